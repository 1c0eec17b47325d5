/**
 * Issue #4, several processes on one database and one Redis: two API processes (A, B) and two
 * worker processes, all real OS processes. Live progress crosses processes through Redis; the
 * database keeps one recurring schedule per integration and one running sync at a time, however
 * many processes ask; each run's work is done once.
 */
import { randomInt } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  ProcStartSyncDocument,
  ProcSyncNowDocument,
  ProcSyncProgressDocument,
  type ProcSyncProgressSubscription,
} from "../generated/graphql.js";
import { createPrisma, createTestDatabase, type TestDatabase } from "../support/db.js";
import {
  type CallsyncProcess,
  connectGong,
  expectedGongCalls,
  gql,
  killAll,
  listingRequests,
  localId,
  percentile,
  processEnv,
  startServe,
  startWorker,
  tokenFor,
} from "../support/processes.js";
import { type Subscription, subscribe } from "../support/ws.js";

const DAY = 86_400_000;
const scenario = defaultScenario({ seed: randomInt(1, 2 ** 31), callsPerUser: 15, fromMs: Date.now() - 60 * DAY });
const MATCHED = ["ada@acme.test", "max@acme.test", "sam@acme.test"];

let database: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;
let gong: GongSimulator;
let apiA: CallsyncProcess;
let apiB: CallsyncProcess;
let workers: CallsyncProcess[];
let token: string;
let integrationId: string;
let integration: string;
let fromMs: number;
let progressOnA: Subscription<ProcSyncProgressSubscription>;

beforeAll(async () => {
  database = await createTestDatabase();
  prisma = createPrisma(database.url);
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario), switches: { pageSize: 5 } });
  gong.behaviours.latencyMs = 50;
  const demo = await seedDemo(prisma, { scenario });
  token = await tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  // Locks outlive any page by far here: a takeover would be a bug, not a recovery.
  const env = processEnv({ databaseUrl: database.url, gong, extra: { JOB_LOCK_LIFETIME_MS: "10000" } });
  // All four start at once on a fresh database (each creates the job table and indexes if missing).
  const started = await Promise.all([
    startServe({ env, name: "api-a" }),
    startServe({ env, name: "api-b" }),
    startWorker({ env, name: "worker-1" }),
    startWorker({ env, name: "worker-2" }),
  ]);
  [apiA, apiB] = started;
  workers = started.slice(2);
}, 180_000);

afterAll(async () => {
  await progressOnA?.close();
  await killAll();
  await pool?.end();
  await prisma?.$disconnect();
  await gong?.close();
  await database?.drop();
});

type Progress = ProcSyncProgressSubscription["syncProgress"];

/** First-page requests (no cursor) per matched user since log position `since`. */
function firstPagesSince(since: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const email of MATCHED) {
    const gongUser = gong.dataset.users.find((u) => u.emailAddress === email)!;
    counts[email] = listingRequests(gong, gongUser.id, since).filter((r) => r.cursor === null).length;
  }
  return counts;
}

async function runFinished(runId: string, timeoutMs = 60_000): Promise<Progress> {
  const event = await progressOnA.until(
    (e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING",
    timeoutMs,
  );
  return event.syncProgress;
}

async function statusesOf(runGlobalId: string) {
  return prisma.syncUserStatus.findMany({
    where: { runId: localId(runGlobalId) },
    include: { providerUser: true },
  });
}

describe("two API processes and two workers on one database and Redis", () => {
  it("a subscriber on API A sees, live, the per-user progress of a sync started through API B", async () => {
    ({ integrationId, fromMs } = await connectGong(apiB.url!, token));
    integration = localId(integrationId);
    progressOnA = subscribe(apiA.url!, token, ProcSyncProgressDocument, { integrationId });
    await new Promise((r) => setTimeout(r, 300));

    const since = gong.log.entries.length;
    const started = await gql(apiB.url!, ProcStartSyncDocument, { integrationId }, token);
    expect(started.errors).toBeUndefined();
    const runId = started.data!.startSync.id;
    const final = await runFinished(runId);
    expect(final.run.status).toBe("COMPLETED");
    expect(progressOnA.errors).toEqual([]);

    const seen = new Map<string, string[]>();
    for (const data of progressOnA.events) {
      const u = data.syncProgress.user;
      if (!u || data.syncProgress.run.id !== runId) continue;
      const states = seen.get(u.email!) ?? [];
      if (states.at(-1) !== u.state) states.push(u.state);
      seen.set(u.email!, states);
    }
    for (const email of MATCHED) {
      expect(seen.get(email), email).toContain("IN_PROGRESS");
      expect(seen.get(email)?.at(-1), email).toBe("COMPLETED");
    }
    expect(seen.get("outsider@contractor.test")).toEqual(["SKIPPED"]);

    // The work was done once: one status per provider user, each user's first page read once.
    expect(await statusesOf(runId)).toHaveLength(4);
    expect(firstPagesSince(since)).toEqual(Object.fromEntries(MATCHED.map((e) => [e, 1])));
    expect(await prisma.call.count({ where: { integrationId: integration } })).toBe(expectedGongCalls(gong, fromMs));

    const { rows } = await pool.query<{ worker: string; n: number }>(
      `SELECT last_modified_by AS worker, count(*)::int AS n FROM agenda_jobs
        WHERE name IN ('sync:run-users', 'sync:import-user') GROUP BY 1 ORDER BY 1`,
    );
    console.log(`[multi-process] backfill jobs by process: ${rows.map((r) => `${r.worker}=${r.n}`).join(", ")}`);
    for (const r of rows) expect(["worker-1", "worker-2"]).toContain(r.worker);
  }, 90_000);

  it("keeps one recurring sync per integration; a second startSync through the other process is refused", async () => {
    // startSync scheduled the recurring sync through B; the lifecycle refuses starting the import again through A.
    const again = await gql(apiA.url!, ProcStartSyncDocument, { integrationId }, token);
    expect(again.errors?.map((e) => e.extensions?.code)).toEqual(["IMPORT_ALREADY_STARTED"]);
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM agenda_jobs WHERE name = 'sync:scheduled' AND data->>'integrationId' = $1`,
      [integration],
    );
    expect(rows[0]!.n).toBe(1);
    const runs = await prisma.syncRun.findMany({
      where: { integrationId: integration },
      orderBy: { startedAt: "asc" },
    });
    expect(runs.map((r) => [r.kind, r.status])).toEqual([["BACKFILL", "COMPLETED"]]);
  }, 90_000);

  it("starts exactly one run when both API processes get syncNow at the same moment", async () => {
    const since = gong.log.entries.length;
    const triggers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        gql((i % 2 === 0 ? apiA : apiB).url!, ProcSyncNowDocument, { integrationId }, token),
      ),
    );
    const ok = triggers.filter((t) => !t.errors);
    const refused = triggers.flatMap((t) => t.errors ?? []).map((e) => e.extensions?.code);
    expect(ok).toHaveLength(1);
    expect(refused).toEqual(Array(7).fill("SYNC_IN_PROGRESS"));
    const running = await prisma.syncRun.count({ where: { integrationId: integration, status: "RUNNING" } });
    expect(running).toBeLessThanOrEqual(1);

    const runId = ok[0]!.data!.syncNow.id;
    const final = await runFinished(runId);
    expect(final.run.status).toBe("COMPLETED");
    const statuses = await statusesOf(runId);
    expect(statuses).toHaveLength(4);
    expect(firstPagesSince(since)).toEqual(Object.fromEntries(MATCHED.map((e) => [e, 1])));
    const runs = await prisma.syncRun.groupBy({
      by: ["kind"],
      where: { integrationId: integration },
      _count: { _all: true },
    });
    expect(Object.fromEntries(runs.map((r) => [r.kind, r._count._all]))).toEqual({ BACKFILL: 1, MANUAL: 1 });
    const duplicates = await prisma.call.groupBy({
      by: ["providerCallId"],
      where: { integrationId: integration },
      _count: { _all: true },
      having: { providerCallId: { _count: { gt: 1 } } },
    });
    expect(duplicates).toEqual([]);
  }, 90_000);

  it("delivers the workers' progress events to API A quickly (latency from the worker's write to receipt)", () => {
    const latencies = progressOnA.events.map((e, i) => progressOnA.receivedAt[i]! - Date.parse(e.syncProgress.at));
    expect(latencies.length).toBeGreaterThan(20);
    const median = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    console.log(
      `[multi-process] event latency worker → Redis → API A → graphql-ws client over ${latencies.length} events: ` +
        `median ${median} ms, p95 ${p95} ms, max ${Math.max(...latencies)} ms`,
    );
    expect(median).toBeLessThan(1_000);
    for (const w of workers) expect(w.running).toBe(true);
  });
});
