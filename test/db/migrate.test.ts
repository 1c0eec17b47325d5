import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployWithEngine, diagnoseMigrationHistory } from "../../src/db/engine.js";
import { applyMigrations, checksum, ensureDatabase, readMigrations } from "../../src/db/migrate.js";
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from "../support/db.js";

const migrationsDir = path.resolve("prisma/migrations");

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

describe("applyMigrations on an empty database", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createEmptyDatabase();
  });
  afterAll(() => db?.drop());

  it("applies every migration, then a second run is a no-op", async () => {
    const local = await readMigrations(migrationsDir);
    expect(local.length).toBeGreaterThan(0);
    const first = await applyMigrations(db.url, { migrationsDir });
    expect(first.applied).toEqual(local.map((m) => m.name));
    const second = await applyMigrations(db.url, { migrationsDir });
    expect(second.applied).toEqual([]);
    const rows = await query<MigrationRow>(db.url, `SELECT * FROM "_prisma_migrations"`);
    expect(rows).toHaveLength(local.length);
  });

  it("writes _prisma_migrations rows the way Prisma does", async () => {
    const local = await readMigrations(migrationsDir);
    const rows = await query<MigrationRow>(db.url, `SELECT * FROM "_prisma_migrations" ORDER BY started_at`);
    for (const [i, row] of rows.entries()) {
      const m = local[i]!;
      const sql = await readFile(path.join(migrationsDir, m.name, "migration.sql"), "utf8");
      expect(row.migration_name).toBe(m.name);
      expect(row.checksum).toBe(checksum(sql));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
    }
    const columns = await query<{ column_name: string; data_type: string; is_nullable: string }>(
      db.url,
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => [c.column_name, c.data_type, c.is_nullable])).toEqual([
      ["id", "character varying", "NO"],
      ["checksum", "character varying", "NO"],
      ["finished_at", "timestamp with time zone", "YES"],
      ["migration_name", "character varying", "NO"],
      ["logs", "text", "YES"],
      ["rolled_back_at", "timestamp with time zone", "YES"],
      ["started_at", "timestamp with time zone", "NO"],
      ["applied_steps_count", "integer", "NO"],
    ]);
  });

  it("is reported up to date by Prisma's own engine (migrate status)", async () => {
    const d = await diagnoseMigrationHistory({ databaseUrl: db.url, migrationsDir });
    expect(d).toEqual({ editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null });
  });
});

describe("Prisma's engine sees what the runner did", () => {
  it("reports pending migrations on a database the runner has not migrated", async () => {
    const db = await createEmptyDatabase();
    try {
      const d = await diagnoseMigrationHistory({ databaseUrl: db.url, migrationsDir });
      const local = await readMigrations(migrationsDir);
      expect(d.history).toEqual({
        diagnostic: "databaseIsBehind",
        unappliedMigrationNames: local.map((m) => m.name),
      });
    } finally {
      await db.drop();
    }
  });

  it("Prisma's own deploy accepts the migrations, and the runner then finds nothing to do", async () => {
    const db = await createEmptyDatabase();
    try {
      const local = await readMigrations(migrationsDir);
      expect(await deployWithEngine({ databaseUrl: db.url, migrationsDir })).toEqual(local.map((m) => m.name));
      expect((await applyMigrations(db.url, { migrationsDir })).applied).toEqual([]);
      const rows = await query<MigrationRow>(db.url, `SELECT * FROM "_prisma_migrations" ORDER BY started_at`);
      expect(rows.map((r) => [r.migration_name, r.checksum, r.applied_steps_count])).toEqual(
        local.map((m) => [m.name, m.checksum, 1]),
      );
    } finally {
      await db.drop();
    }
  });

  it("a cloned test database is migrated and in sync", async () => {
    const db = await createTestDatabase();
    try {
      const d = await diagnoseMigrationHistory({ databaseUrl: db.url, migrationsDir });
      expect(d.history).toBeNull();
      expect(d.failedMigrationNames).toEqual([]);
      expect((await applyMigrations(db.url, { migrationsDir })).applied).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});

describe("runner edge cases (scratch migrations folder)", () => {
  let dir: string;
  let db: TestDatabase;
  const write = async (name: string, sql: string) => {
    await mkdir(path.join(dir, name), { recursive: true });
    await writeFile(path.join(dir, name, "migration.sql"), sql);
  };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "callsync-migrations-"));
    db = await createEmptyDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs over one shared connection (pg.Pool max 1), and over a connected pg.Client", async () => {
    await write("20240101000000_a", `CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a VALUES (1);`);
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      expect((await applyMigrations(pool, { migrationsDir: dir })).applied).toEqual(["20240101000000_a"]);
      // The pool's only connection was given back and the advisory lock released.
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM pg_locks
         WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
      expect(rows[0].n).toBe(0);
    } finally {
      await pool.end();
    }
    await write("20240102000000_b", `CREATE TABLE b (id int PRIMARY KEY);`);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await applyMigrations(client, { migrationsDir: dir })).applied).toEqual(["20240102000000_b"]);
      await client.query("SELECT 1"); // still usable: the caller owns it
    } finally {
      await client.end();
    }
  });

  it("runs dollar-quoted bodies with semicolons as one script", async () => {
    await write(
      "20240103000000_fn",
      `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; RETURN 2; END $$;\nSELECT f();`,
    );
    expect((await applyMigrations(db.url, { migrationsDir: dir })).applied).toEqual(["20240103000000_fn"]);
  });

  it("records a failure like Prisma, rolls the migration back, and refuses to continue", async () => {
    await write("20240104000000_bad", `CREATE TABLE c (id int);\nSELECT no_such_function();`);
    await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(/20240104000000_bad failed/);
    const [row] = await query<MigrationRow>(
      db.url,
      `SELECT * FROM "_prisma_migrations" WHERE migration_name = '20240104000000_bad'`,
    );
    expect(row?.finished_at).toBeNull();
    expect(row?.applied_steps_count).toBe(0);
    expect(row?.logs).toMatch(/no_such_function/);
    // The whole migration rolled back.
    expect(await query(db.url, `SELECT to_regclass('c') AS t`)).toEqual([{ t: null }]);
    // Prisma's engine sees the failed migration too.
    const d = await diagnoseMigrationHistory({ databaseUrl: db.url, migrationsDir: dir });
    expect(d.failedMigrationNames).toEqual(["20240104000000_bad"]);
    // Still failed: no further migration runs until resolved.
    await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(/P3009/);
    // Resolve the way `prisma migrate resolve --rolled-back` does, fix the file, apply again.
    await query(db.url, `UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE finished_at IS NULL`);
    await write("20240104000000_bad", `CREATE TABLE c (id int);`);
    expect((await applyMigrations(db.url, { migrationsDir: dir })).applied).toEqual(["20240104000000_bad"]);
  });

  it("reports an edited applied migration as an error", async () => {
    await write("20240101000000_a", `CREATE TABLE a (id bigint PRIMARY KEY);`);
    await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(/modified.*20240101000000_a/);
    const d = await diagnoseMigrationHistory({ databaseUrl: db.url, migrationsDir: dir });
    expect(d.editedMigrationNames).toEqual(["20240101000000_a"]);
  });

  it("serialises concurrent runners with Prisma's advisory lock", async () => {
    const other = await createEmptyDatabase();
    try {
      await write("20240105000000_slow", `SELECT pg_sleep(0.3);\nCREATE TABLE d (id int);`);
      const runs = await Promise.all([1, 2, 3].map(() => applyMigrations(other.url, { migrationsDir: dir })));
      // Each migration applied exactly once across the three runners.
      const applied = runs.flatMap((r) => r.applied).sort();
      const rows = await query<MigrationRow>(other.url, `SELECT * FROM "_prisma_migrations"`);
      expect(applied).toEqual(rows.map((r) => r.migration_name).sort());
      expect(new Set(applied).size).toBe(applied.length);
    } finally {
      await other.drop();
    }
  });
});

describe("ensureDatabase", () => {
  it("creates a missing database once", async () => {
    const db = await createEmptyDatabase();
    await db.drop();
    try {
      const results = await Promise.all([ensureDatabase(db.url), ensureDatabase(db.url)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await ensureDatabase(db.url)).toBe(false);
      expect(await query(db.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      const c = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, "/postgres") });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`);
      await c.end();
    }
  });
});
