/** Bench helpers: throw-away migrated databases (fresh or cloned from a seeded template), timing statistics. */
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import pg from "pg";
import { applyMigrations, ensureDatabase } from "../src/db/migrate.js";
import { MIGRATIONS_DIR } from "../src/runtime.js";

const SERVER = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

function databaseUrl(name: string): string {
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const dropper = (name: string) => () =>
  admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));

export async function benchDatabase(): Promise<BenchDatabase> {
  const name = `callsync_bench_${randomBytes(4).toString("hex")}`;
  await ensureDatabase(databaseUrl(name));
  await applyMigrations(databaseUrl(name), { migrationsDir: MIGRATIONS_DIR });
  return { url: databaseUrl(name), drop: dropper(name) };
}

/** A hash of the migrations and of the given source files: a seeded template is reused while it matches. */
async function sourceHash(files: string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const dir of (await readdir(MIGRATIONS_DIR)).sort())
    hash.update(await readFile(path.join(MIGRATIONS_DIR, dir, "migration.sql")).catch(() => Buffer.alloc(0)));
  for (const f of files) hash.update(await readFile(f));
  return hash.digest("hex").slice(0, 12);
}

/**
 * A throw-away database cloned from a seeded template (`CREATE DATABASE … TEMPLATE`), so seeding
 * thousands of calls happens once per version of the migrations and the seeding code. The seed's
 * result (ids) is kept as the template's comment. BENCH_FRESH=1 seeds again.
 */
export async function seededBenchDatabase<T>(
  label: string,
  sources: string[],
  seed: (url: string) => Promise<T>,
): Promise<BenchDatabase & { data: T; seededNow: boolean }> {
  const prefix = `callsync_bench_tpl_${label}_`;
  const template = `${prefix}${await sourceHash(sources)}`;
  let data = await admin(async (c) => {
    const { rows } = await c.query(
      "SELECT shobj_description(oid, 'pg_database') AS data FROM pg_database WHERE datname = $1",
      [template],
    );
    return rows[0]?.data && !process.env.BENCH_FRESH ? (JSON.parse(rows[0].data) as T) : null;
  });
  const seededNow = data === null;
  if (data === null) {
    const building = await benchDatabase();
    data = await seed(building.url);
    const buildingName = new URL(building.url).pathname.slice(1);
    await admin(async (c) => {
      const { rows } = await c.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${prefix}%`]);
      for (const r of rows) await c.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
      await c.query(`ALTER DATABASE "${buildingName}" RENAME TO "${template}"`);
      await c.query(`COMMENT ON DATABASE "${template}" IS ${pg.escapeLiteral(JSON.stringify(data))}`);
    });
  }
  const name = `callsync_bench_${randomBytes(4).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return { url: databaseUrl(name), drop: dropper(name), data, seededNow };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const ms = (n: number) => `${n.toFixed(1)} ms`;

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
