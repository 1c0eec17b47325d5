/**
 * Bench helpers: throw-away migrated databases (fresh or cloned from a seeded template), timing
 * statistics, and the connected Gong set-up of the end-to-end benches (gongBench).
 */
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import pg from "pg";
import { mintToken } from "../src/auth/tokens.js";
import { loadConfig } from "../src/config.js";
import { applyMigrations, ensureDatabase } from "../src/db/migrate.js";
import { MIGRATIONS_DIR, openRuntime, type Runtime } from "../src/runtime.js";
import { seedDemo } from "../src/seed/demo.js";
import { generateGongDataset } from "../src/simulators/gong/dataset.js";
import {
  type GongSimulator,
  type GongSimulatorOptions,
  gongOAuthEnv,
  startGongSimulator,
} from "../src/simulators/gong/server.js";
import type { Scenario } from "../src/simulators/scenario.js";
import { authorizeInBrowser } from "../test/support/oauth.js";

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
/**
 * The Gong set-up every end-to-end bench starts from: a Gong simulator, a fresh database, callsync
 * runtimes on it (one `start`, or a `serve` and workers), the demo workspace for the scenario, and
 * a Gong integration connected through the browser's OAuth round trip with a backfill period
 * chosen — ready for `startSync`.
 */

export type Gql = (
  query: string,
  variables?: Record<string, unknown>,
) => Promise<Record<string, Record<string, unknown>>>;

export interface GongBench {
  gong: GongSimulator;
  database: BenchDatabase;
  /** The runtime that serves the API (`start`, or `serve` when workers are separate). */
  api: Runtime;
  url: string;
  token: string;
  /** The integration's global id. */
  integrationId: string;
  gql: Gql;
  /** startSync; returns the run's row id. */
  startSync(): Promise<string>;
  /** Waits until the run is no longer RUNNING. */
  waitForRun(runId: string): Promise<void>;
  close(): Promise<void>;
}

export interface GongBenchOptions {
  scenario: Scenario;
  simulator?: Omit<GongSimulatorOptions, "dataset">;
  /** Extra configuration (REDIS_URL, GONG_QUOTA, …). */
  env?: Record<string, string>;
  /** 0 (default): one `start` runtime that also works; n: a `serve` and n worker runtimes. */
  workers?: number;
  period?: "DAYS_30" | "ALL_TIME";
}

export async function gongBench(options: GongBenchOptions): Promise<GongBench> {
  const gong = await startGongSimulator({ ...options.simulator, dataset: generateGongDataset(options.scenario) });
  const database = await benchDatabase();
  const runtimes: Runtime[] = [];
  const close = async () => {
    gong.webhooks.clear();
    for (const r of runtimes.reverse()) await r.close();
    await gong.close();
    await database.drop();
  };
  try {
    // A real port: the OAuth redirect URI (PUBLIC_URL) must point at this API.
    const port = await freePort();
    const workers = options.workers ?? 0;
    const env = {
      NODE_ENV: "test",
      DATABASE_URL: database.url,
      LOG_LEVEL: "silent",
      JOB_PROCESS_EVERY_MS: "200",
      ...gongOAuthEnv(gong),
      ...(workers > 0 ? { WORKER_IN_PROCESS: "false" } : {}),
      ...options.env,
    };
    const config = loadConfig({ ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
    const api = await openRuntime(config, { role: workers > 0 ? "serve" : "start", port });
    runtimes.push(api);
    for (let i = 1; i <= workers; i++)
      runtimes.push(await openRuntime(loadConfig({ ...env, WORKER_NAME: `bench-worker-${i}` }), { role: "worker" }));
    const url = api.app!.url();
    const demo = await seedDemo(api.db.prisma, { scenario: options.scenario });
    const token = await mintToken(config.jwt, { userId: demo.adminId, workspaceId: demo.workspaceId });
    const gql: Gql = async (query, variables = {}) => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: Record<string, Record<string, unknown>>; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data!;
    };
    const connect = await gql(
      `mutation { connectIntegration(provider: GONG) { authorizationUrl integration { id } } }`,
    );
    const { authorizationUrl, integration } = connect.connectIntegration as {
      authorizationUrl: string;
      integration: { id: string };
    };
    // The browser's round trip: callsync's start route (sets the state cookie), consent, callback.
    const { outcome } = await authorizeInBrowser(authorizationUrl, token);
    if (outcome !== "connected") throw new Error(`Gong authorization: ${outcome}`);
    const id = integration.id;
    await gql(`mutation($id: ID!, $p: BackfillPeriod!) { chooseBackfill(integrationId: $id, period: $p) { id } }`, {
      id,
      p: options.period ?? "ALL_TIME",
    });
    return {
      gong,
      database,
      api,
      url,
      token,
      integrationId: id,
      gql,
      async startSync() {
        const started = await gql(`mutation($id: ID!) { startSync(integrationId: $id) { id } }`, { id });
        return Buffer.from(String(started.startSync!.id), "base64").toString().split(":")[1]!;
      },
      async waitForRun(runId) {
        for (;;) {
          const run = await api.db.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } });
          if (run.status !== "RUNNING") return;
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
