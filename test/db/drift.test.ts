/**
 * DRIFT: the database the migrations build must equal what prisma/schema.prisma describes. Fails when a
 * model changes without a migration (`npm run db:migration <name>`), or a migration is edited by hand
 * in a way the schema does not reflect.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { diffMigrationsToSchema } from "../../src/db/engine.js";
import { testServerUrl } from "../support/db.js";

const schemaPath = path.resolve("prisma/schema.prisma");
const migrationsDir = path.resolve("prisma/migrations");

describe("schema.prisma ↔ prisma/migrations", () => {
  it("has no drift (the wasm engine's diff is empty)", async () => {
    const sql = await diffMigrationsToSchema({ databaseUrl: testServerUrl(), schemaPath, migrationsDir });
    expect(sql, `schema.prisma has changes no migration contains:\n${sql}`).toBe("");
  });

  it("detects drift: a schema with one more field gives a non-empty diff", async () => {
    const schema = await readFile(schemaPath, "utf8");
    const modified = schema.replace(/(model Workspace \{\n)/, "$1  driftProbe String?\n");
    expect(modified).not.toBe(schema);
    const sql = await diffMigrationsToSchema({
      databaseUrl: testServerUrl(),
      schemaPath,
      migrationsDir,
      schemaContent: modified,
    });
    expect(sql).toMatch(/ALTER TABLE "Workspace" ADD COLUMN\s+"driftProbe" TEXT/);
  });

  it("detects drift: a dropped index gives a non-empty diff", async () => {
    const schema = await readFile(schemaPath, "utf8");
    const modified = schema.replace(/\n\s*@@index\(\[tsv\], type: Gin\)/, "");
    expect(modified).not.toBe(schema);
    const sql = await diffMigrationsToSchema({
      databaseUrl: testServerUrl(),
      schemaPath,
      migrationsDir,
      schemaContent: modified,
    });
    expect(sql).toMatch(/DROP INDEX "TranscriptSegment_tsv_idx"/);
  });
});
