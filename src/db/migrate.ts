/**
 * Production migration runner (the `prisma migrate deploy` equivalent) on plain `pg`.
 *
 * Compatible with Prisma's own bookkeeping: same advisory lock, same `_prisma_migrations` table and
 * columns, SHA-256 checksums of `migration.sql`, failures recorded the way Prisma records them. Prisma's
 * engine (`migrate status`, `diagnoseMigrationHistory`) therefore sees a database migrated by this runner
 * as up to date, and `prisma migrate deploy` can take over on a machine with the native engine.
 *
 * Works over one connection (a `pg.Client`, or a client checked out of an existing `pg.Pool`, e.g. the
 * embedded PGlite `Pool({ max: 1 })`).
 */
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

/** Prisma's advisory lock key for migrations (prisma-engines, postgres connector). */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export type Connection = string | pg.ClientConfig | pg.Pool | pg.Client | pg.PoolClient;

export interface MigrateOptions {
  /** Folder holding `<timestamp>_<name>/migration.sql` (e.g. prisma/migrations). */
  migrationsDir: string;
  log?: (message: string) => void;
}

export interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
  constructor(
    message: string,
    readonly migration?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function checksum(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

/** Prisma also accepts a checksum computed with other line endings (git autocrlf). */
function checksumMatches(sql: string, stored: string): boolean {
  if (checksum(sql) === stored) return true;
  const lf = sql.replace(/\r\n/g, "\n");
  return checksum(lf) === stored || checksum(lf.replace(/\n/g, "\r\n")) === stored;
}

/** Migration folders sorted by name, as Prisma orders them. */
export async function readMigrations(migrationsDir: string): Promise<LocalMigration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [];
    throw e;
  });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const out: LocalMigration[] = [];
  for (const name of names) {
    const file = path.join(migrationsDir, name, "migration.sql");
    const exists = await stat(file).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!exists) continue;
    const sql = await readFile(file, "utf8");
    out.push({ name, sql, checksum: checksum(sql) });
  }
  return out;
}

interface Row {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

type Queryable = pg.Client | pg.PoolClient;

/** Resolves any accepted connection input to one session, and how to give it back. */
async function acquire(conn: Connection): Promise<{ client: Queryable; release: () => Promise<void> }> {
  if (conn instanceof pg.Pool) {
    const client = await conn.connect();
    return { client, release: async () => client.release() };
  }
  if (typeof conn === "string" || !("query" in conn)) {
    const client = new pg.Client(typeof conn === "string" ? { connectionString: conn } : conn);
    await client.connect();
    return { client, release: () => client.end() };
  }
  // An already connected Client / PoolClient owned by the caller.
  return { client: conn as Queryable, release: async () => {} };
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const pgErr = e as Error & { code?: string; position?: string; detail?: string };
    return [
      pgErr.message,
      pgErr.code ? `Database error code: ${pgErr.code}` : "",
      pgErr.detail ? `DETAIL: ${pgErr.detail}` : "",
      pgErr.position ? `Position: ${pgErr.position}` : "",
    ]
      .filter(Boolean)
      .join("\n");
  }
  return String(e);
}

/**
 * Applies pending migrations. Throws MigrationError when a migration failed (now or earlier and not
 * resolved), or an applied migration's file was edited.
 */
export async function applyMigrations(conn: Connection, options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const local = await readMigrations(options.migrationsDir);
  const { client, release } = await acquire(conn);
  const applied: string[] = [];
  let locked = false;
  try {
    await client.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})`);
    locked = true;
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<Row>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
    );
    const live = rows.filter((r) => r.rolled_back_at === null);

    const failed = live.filter((r) => r.finished_at === null);
    if (failed.length > 0) {
      const names = failed.map((r) => r.migration_name).join(", ");
      throw new MigrationError(
        `Migrations failed earlier and are not resolved: ${names}. Fix the database, then mark them ` +
          "rolled back or applied (prisma migrate resolve) before deploying again (P3009).",
        failed[0]?.migration_name,
      );
    }

    const done = new Map(live.map((r) => [r.migration_name, r]));
    const edited = local.filter((m) => {
      const row = done.get(m.name);
      return row !== undefined && !checksumMatches(m.sql, row.checksum);
    });
    if (edited.length > 0) {
      throw new MigrationError(
        `Applied migrations were modified after they were applied: ${edited.map((m) => m.name).join(", ")}. ` +
          "Restore the original migration.sql and put the change in a new migration.",
        edited[0]?.name,
      );
    }
    const localNames = new Set(local.map((m) => m.name));
    for (const r of live) {
      if (!localNames.has(r.migration_name)) {
        log(`warning: migration ${r.migration_name} is applied but missing from ${options.migrationsDir}`);
      }
    }

    for (const m of local) {
      if (done.has(m.name)) continue;
      const id = randomUUID();
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), 0)`,
        [id, m.checksum, m.name],
      );
      log(`applying migration ${m.name}`);
      try {
        await client.query("BEGIN");
        // No parameters: simple query protocol, so the whole multi-statement script runs as sent.
        await client.query(m.sql);
        await client.query(
          `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = applied_steps_count + 1
           WHERE id = $1`,
          [id],
        );
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        const logs = `A migration failed to apply. New migrations cannot be applied before the error is recovered from.\n\nMigration name: ${m.name}\n\n${describe(e)}`;
        await client.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, logs]);
        throw new MigrationError(`Migration ${m.name} failed (P3018): ${describe(e)}`, m.name, { cause: e });
      }
      applied.push(m.name);
    }
    if (applied.length === 0) log("no pending migrations");
    return { applied };
  } finally {
    if (locked) await client.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK_KEY})`).catch(() => {});
    await release();
  }
}

/** Same server, another database (`postgres` by default): for CREATE/DROP DATABASE. */
export function adminConfig(conn: string | pg.ClientConfig, database = "postgres"): pg.ClientConfig {
  const cfg: pg.ClientConfig = typeof conn === "string" ? { connectionString: conn } : { ...conn };
  if (cfg.connectionString) {
    const u = new URL(cfg.connectionString);
    u.pathname = `/${encodeURIComponent(database)}`;
    return { ...cfg, connectionString: u.toString() };
  }
  return { ...cfg, database };
}

export function databaseName(conn: string | pg.ClientConfig): string {
  const cfg = typeof conn === "string" ? { connectionString: conn } : conn;
  if (cfg.connectionString) {
    const name = decodeURIComponent(new URL(cfg.connectionString).pathname.replace(/^\//, ""));
    if (name) return name;
  }
  if (cfg.database) return cfg.database;
  throw new Error("database name missing from the connection settings");
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates the database named in `conn` if it does not exist. Returns true when it was created. */
export async function ensureDatabase(conn: string | pg.ClientConfig): Promise<boolean> {
  const name = databaseName(conn);
  const admin = new pg.Client(adminConfig(conn));
  await admin.connect();
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code;
      // Created concurrently by someone else: duplicate_database, or unique_violation on pg_database.
      if (code === "42P04" || code === "23505") return false;
      throw e;
    }
  } finally {
    await admin.end();
  }
}
