import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMigration, diffMigrationsToSchema } from "../../src/db/engine.js";
import { applyMigrations } from "../../src/db/migrate.js";
import { createEmptyDatabase, testServerUrl } from "../support/db.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "callsync-create-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("createMigration", () => {
  it("writes the first migration with prisma/sql appended, and the lock file", async () => {
    const migrationsDir = path.join(dir, "first");
    const created = await createMigration("Init", {
      databaseUrl: testServerUrl(),
      schemaPath: path.resolve("prisma/schema.prisma"),
      migrationsDir,
      extraSqlDir: path.resolve("prisma/sql"),
      now: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    });
    expect(created?.name).toBe("20240102030405_init");
    const sql = await readFile(path.join(migrationsDir, "20240102030405_init", "migration.sql"), "utf8");
    expect(sql).toContain('CREATE TABLE "Workspace"');
    expect(sql).toContain('CREATE TRIGGER "TranscriptSegment_tsv"');
    expect(sql).toContain('"User_email_lowercase"');
    expect(await readFile(path.join(migrationsDir, "migration_lock.toml"), "utf8")).toMatch(/provider = "postgresql"/);
    // The committed initial migration is reproducible from schema.prisma + prisma/sql (while it is the only one).
    const committed = (await readdir(path.resolve("prisma/migrations"))).filter((n) => /^\d{14}_/.test(n));
    if (committed.length === 1) {
      expect(await readFile(path.resolve("prisma/migrations", committed[0]!, "migration.sql"), "utf8")).toBe(sql);
    }
  });

  it("writes a follow-up migration with only the change, which removes the drift", async () => {
    const migrationsDir = path.join(dir, "next");
    await cp(path.resolve("prisma/migrations"), migrationsDir, { recursive: true });
    const schemaPath = path.join(dir, "schema.prisma");
    const schema = (await readFile(path.resolve("prisma/schema.prisma"), "utf8")).replace(
      /(model Workspace \{\n)/,
      "$1  slug String?\n",
    );
    await writeFile(schemaPath, schema);
    const opts = { databaseUrl: testServerUrl(), schemaPath, migrationsDir, extraSqlDir: path.resolve("prisma/sql") };

    expect(await diffMigrationsToSchema(opts)).not.toBe("");
    const created = await createMigration("add workspace slug", opts);
    expect(created?.name).toMatch(/^\d{14}_add_workspace_slug$/);
    expect(created?.sql.trim()).toBe('-- AlterTable\nALTER TABLE "Workspace" ADD COLUMN     "slug" TEXT;');
    expect(await diffMigrationsToSchema(opts)).toBe("");
    expect(await createMigration("again", opts)).toBeNull();

    const db = await createEmptyDatabase();
    try {
      const { applied } = await applyMigrations(db.url, { migrationsDir });
      expect(applied.at(-1)).toBe(created?.name);
    } finally {
      await db.drop();
    }
  });
});
