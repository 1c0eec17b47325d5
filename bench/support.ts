/** Bench helpers: a throw-away migrated database, timing statistics. */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { applyMigrations, ensureDatabase } from "../src/db/migrate.js";
import { MIGRATIONS_DIR } from "../src/runtime.js";

const SERVER = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const url = new URL(SERVER);
  url.pathname = `/callsync_bench_${randomBytes(4).toString("hex")}`;
  await ensureDatabase(url.toString());
  await applyMigrations(url.toString(), { migrationsDir: MIGRATIONS_DIR });
  return {
    url: url.toString(),
    async drop() {
      const admin = new pg.Client({ connectionString: SERVER });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const ms = (n: number) => `${n.toFixed(1)} ms`;
