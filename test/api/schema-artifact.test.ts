import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printedSchema, SCHEMA_FILE } from "../../src/graphql/print.js";

describe("schema/schema.graphql", () => {
  it("is the SDL printed from the Pothos schema (run `npm run schema:print` after changing the schema)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(printedSchema());
  });
});
