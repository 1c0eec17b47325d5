/**
 * Job leases: every long job renews its Agenda lock while it runs and waits (JobLease), so a
 * job that runs far longer than its lock lifetime is still entered by one runner only; and a
 * runner whose lock was claimed again stops before its next write. Real Agenda on a real
 * PostgreSQL, two worker runtimes on one database, a 1 s lock lifetime (config), the Gong
 * simulator made slow so every provider request outlasts the lock several times over.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB } from "../../src/jobs/queue.js";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, gongOAuthEnv, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import type { SyncEngine } from "../../src/sync/engine.js";
import { JobLease, LeaseLost } from "../../src/sync/lease.js";
import { ProcStartSyncDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { freePort } from "../support/net.js";
import { connectGong, gql, localId, pollUntil } from "../support/processes.js";

/**
 * Long enough that a renewal delayed by a loaded machine (a slow commit, a GC pause) still lands
 * in time: a lease lost that way is rightly given up and the job entered again, which is not what
 * this file is about. (At 1 s the full suite once entered an import twice in a row, most likely so.)
 */
const LOCK_MS = 2_000;
/** Every provider request takes this long: 2.5 lock lifetimes. */
const SLOW_MS = 5_000;

let gong: GongSimulator;
let scenario: ReturnType<typeof defaultScenario>;
const apis: TestApi[] = [];

const gongEnv = () => ({
  ...gongOAuthEnv(gong),
  JOB_LOCK_LIFETIME_MS: String(LOCK_MS),
  JOB_PROCESS_EVERY_MS: "200",
  // A job entered twice is explained by the warnings before it (a lease lost, a user queued again).
  LOG_LEVEL: "warn",
});

/** Connects Gong in a fresh workspace of `api`'s database; returns the integration's id and a token. */
async function connected(api: TestApi) {
  const demo = await seedDemo(api.prisma, { scenario });
  const token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  const { integrationId } = await connectGong(api.url, token);
  return { integrationId, token };
}

/**
 * Runner entries per job (method + its key argument): how many in all, at most at once, and how
 * each ended (so a failure says why a job was entered again).
 */
function countEntries(engines: SyncEngine[]) {
  const entries = new Map<string, { total: number; active: number; peak: number; ends: string[] }>();
  const wrap = <K extends "runUsers" | "importUser" | "followUpTranscripts">(engine: SyncEngine, method: K) => {
    const original = (engine[method] as (...args: unknown[]) => Promise<void>).bind(engine);
    (engine as unknown as Record<K, unknown>)[method] = async (...args: unknown[]) => {
      const key = `${method}:${String(args[0])}`;
      const e = entries.get(key) ?? { total: 0, active: 0, peak: 0, ends: [] };
      entries.set(key, e);
      e.total++;
      e.active++;
      e.peak = Math.max(e.peak, e.active);
      try {
        const result = await original(...args);
        e.ends.push("returned");
        return result;
      } catch (err) {
        e.ends.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
        throw err;
      } finally {
        e.active--;
      }
    };
  };
  for (const engine of engines)
    for (const m of ["runUsers", "importUser", "followUpTranscripts"] as const) wrap(engine, m);
  return entries;
}

beforeAll(async () => {
  scenario = defaultScenario({
    callsPerUser: 1,
    fromMs: Date.now() - 20 * 86_400_000,
    users: [
      { email: "rep0@acme.test", firstName: "Rep0", lastName: "Seller" },
      { email: "rep1@acme.test", firstName: "Rep1", lastName: "Seller" },
    ],
  });
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario), switches: { visibleAfterMs: 0 } });
}, 60_000);

afterAll(async () => {
  for (const api of apis.reverse()) await api.close();
  await gong?.close();
});

describe("a job running longer than its lock lifetime", () => {
  it("keeps its lock and is entered by one runner only, on either of two workers", async () => {
    const port = await freePort();
    const worker = (name: string) => ({ ...gongEnv(), WORKER_IN_PROCESS: "true", WORKER_NAME: name });
    const a = await startApi({ ...worker("lease-a"), PUBLIC_URL: `http://127.0.0.1:${port}` }, { port });
    apis.push(a);
    const b = await startApi(worker("lease-b"), { database: a.database });
    apis.push(b);
    const entries = countEntries([a.runtime.engine, b.runtime.engine]);
    const { integrationId, token } = await connected(a);

    gong.behaviours.latencyMs = SLOW_MS;
    try {
      const started = await gql(a.url, ProcStartSyncDocument, { integrationId }, token);
      expect(started.errors).toBeUndefined();
      const runId = localId(started.data!.startSync.id);
      // Until the run is over, or a job was entered a second time (without renewal, the expired
      // jobs are claimed again and again and the run never finishes).
      const twice = () => [...entries].filter(([, e]) => e.total > 1);
      const run = await pollUntil(
        "the slow backfill to finish",
        async () => {
          const r = await a.prisma.syncRun.findUniqueOrThrow({ where: { id: runId }, include: { users: true } });
          return r.status === "RUNNING" && twice().length === 0 ? undefined : r;
        },
        90_000,
        100,
      );
      // The listing and every import ran for several lock lifetimes (each request alone is 2.5).
      expect(twice(), "jobs entered more than once").toEqual([]);
      expect(entries.get(`runUsers:${runId}`)).toMatchObject({ total: 1, active: 0, peak: 1 });
      await a.settleJobs(30_000);
      expect(run.status).toBe("COMPLETED");
      const imported = run.users.filter((u) => u.state === "COMPLETED");
      expect(imported.length).toBeGreaterThan(0);
      for (const u of imported)
        expect(entries.get(`importUser:${u.id}`), u.id).toMatchObject({ total: 1, active: 0, peak: 1 });
      for (const [key, e] of entries) expect(e, key).toMatchObject({ total: 1, peak: 1 });
      // Each job row was claimed once: Agenda saw its end once, by the worker that ran it.
      const { rows } = await a.runtime.db.pool.query<{ name: string; n: number }>(
        `SELECT name, count(*)::int AS n FROM agenda_jobs WHERE name = ANY($1) GROUP BY 1`,
        [[JOB.runUsers, JOB.importUser]],
      );
      expect(Object.fromEntries(rows.map((r) => [r.name, r.n]))).toEqual({
        [JOB.runUsers]: 1,
        [JOB.importUser]: imported.length,
      });
    } finally {
      gong.behaviours.latencyMs = 0;
    }
  }, 150_000);
});

describe("a runner whose job was claimed again", () => {
  it("stops before its next write: the user listing it was waiting on writes nothing", async () => {
    // A producer only (no worker): the job row is claimed here the way Agenda claims it.
    const port = await freePort();
    const api = await startApi({ ...gongEnv(), PUBLIC_URL: `http://127.0.0.1:${port}` }, { port });
    apis.push(api);
    const { integrationId, token } = await connected(api);
    const started = await gql(api.url, ProcStartSyncDocument, { integrationId }, token);
    expect(started.errors).toBeUndefined();
    const runId = localId(started.data!.startSync.id);
    const pool = api.runtime.db.pool;
    const claim = async () =>
      (
        await pool.query<{ id: string; locked_at: Date }>(
          `UPDATE agenda_jobs SET locked_at = $2, last_modified_by = 'test'
            WHERE name = $1 AND data->>'runId' = $3 RETURNING id, locked_at`,
          [JOB.runUsers, new Date(), runId],
        )
      ).rows[0]!;
    const first = await claim();
    const job = { attrs: { _id: first.id, name: JOB.runUsers, lockedAt: first.locked_at } };
    const lease = new JobLease(pool, job, LOCK_MS, api.runtime.log).start();

    gong.behaviours.latencyMs = SLOW_MS;
    try {
      const running = api.runtime.engine.runUsers(runId, lease).then(
        () => "finished",
        (e: unknown) => e,
      );
      // While the listing is in flight (its lock renewed meanwhile), another worker claims it.
      await new Promise((r) => setTimeout(r, LOCK_MS / 2));
      expect(lease.held).toBe(true);
      await claim();
      const outcome = await running;
      expect(outcome).toBeInstanceOf(LeaseLost);
      expect(lease.held).toBe(false);
      // Not one status row: the users are the new holder's to list.
      expect(await api.prisma.syncUserStatus.count({ where: { runId } })).toBe(0);
      // And the lost runner never renewed (or cleared) the new holder's lock.
      expect(await lease.release()).toBe(false);
    } finally {
      lease.stop();
      gong.behaviours.latencyMs = 0;
    }
  }, 90_000);
});
