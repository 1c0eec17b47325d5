/** Writes schema/schema.graphql from the Pothos schema (`npm run schema:print`). */
import { mkdirSync, writeFileSync } from "node:fs";
import { printSchema } from "graphql";
import { schema } from "./schema/index.js";

export const SCHEMA_FILE = new URL("../../schema/schema.graphql", import.meta.url);

export function printedSchema(): string {
  return `${printSchema(schema)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(new URL("../../schema/", import.meta.url), { recursive: true });
  writeFileSync(SCHEMA_FILE, printedSchema());
  console.log("wrote schema/schema.graphql");
}
