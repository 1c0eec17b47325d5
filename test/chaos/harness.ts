/**
 * The chaos suite's stage: one `serve` and two `worker` processes (real OS processes) that reach
 * PostgreSQL and Redis only through fault-injecting TCP proxies, and a Gong simulator with a
 * dataset of its own. Scenarios cut the proxies, flip the simulator's fault switches, signal
 * processes, and then check the same outcome every time (`expectSettled`):
 *
 * - every call of the dataset that the backfill covers is stored, once;
 * - no user FAILED that should not have (the scenario says which may);
 * - no user import ran twice at once: one user's listing requests never overlap in time, and
 *   no page was read more often than the faults explain (provider requests per page);
 * - every process is still alive.
 *
 * Each scenario adds its rows to the fault → outcome table, test-output/chaos-summary.md
 * (`recordOutcome` in ./summary.ts; emptied at the start of every test run), and logs them.
 *
 * Outage lengths come from the environment so a long run can use the 30 s while the
 * default suite stays short: CHAOS_LONG_OUTAGE_MS (default 30 000).
 */
import { randomInt } from "node:crypto";
import { expect } from "vitest";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario, type Scenario } from "../../src/simulators/scenario.js";
import { ProcStartSyncDocument } from "../generated/graphql.js";
import { createPrisma, createTestDatabase } from "../support/db.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import {
  type CallsyncProcess,
  connectGong,
  expectedGongCalls,
  gql,
  localId,
  pollUntil,
  processEnv,
  startServe,
  startWorker,
  TEST_REDIS_URL,
  tokenFor,
} from "../support/processes.js";

const DAY = 86_400_000;
export const LONG_OUTAGE_MS = Number(process.env.CHAOS_LONG_OUTAGE_MS ?? 30_000);
/** Short locks, so takeovers and recoveries happen within a test's time. */
export const LOCK_MS = 3_000;

export interface StageOptions {
  users?: number;
  callsPerUser?: number;
  pageSize?: number;
  latencyMs?: number;
  workers?: number;
  extraEnv?: Record<string, string>;
}

export interface Stage {
  prisma: PrismaClient;
  gong: GongSimulator;
  pg: FaultProxy;
  redis: FaultProxy;
  env: Record<string, string>;
  api: CallsyncProcess;
  workers: CallsyncProcess[];
  token: string;
  scenario: Scenario;
  cleanup(): Promise<void>;
}

function scenarioUsers(n: number): Scenario["users"] {
  const users = Array.from({ length: n }, (_, i) => ({
    email: `seller${i + 1}@acme.test`,
    firstName: `Seller${i + 1}`,
    lastName: "Chaos",
  }));
  // seedDemo gives the last user no workspace account: it is SKIPPED, as in production tenants.
  return [...users, { email: "outsider@contractor.test", firstName: "Otto", lastName: "Outsider" }];
}

export async function stage(options: StageOptions = {}): Promise<Stage> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const scenario = defaultScenario({
    // A random seed gives a Gong account id of its own: the Redis pacer keys are not shared.
    seed: randomInt(1, 2 ** 31),
    users: scenarioUsers(options.users ?? 4),
    callsPerUser: options.callsPerUser ?? 30,
    fromMs: Date.now() - 60 * DAY,
    segmentsPerCall: 4,
  });
  const database = await createTestDatabase();
  const prisma = createPrisma(database.url);
  cleanups.push(
    () => database.drop(),
    () => prisma.$disconnect(),
  );
  const gong = await startGongSimulator({
    dataset: generateGongDataset(scenario),
    switches: { pageSize: options.pageSize ?? 5 },
  });
  gong.behaviours.latencyMs = options.latencyMs ?? 40;
  cleanups.push(() => gong.close());
  const pg = await startFaultProxy(Number(new URL(database.url).port || 5432));
  const redis = await startFaultProxy(Number(new URL(TEST_REDIS_URL).port || 6379));
  cleanups.push(
    () => pg.close(),
    () => redis.close(),
  );
  const demo = await seedDemo(prisma, { scenario });
  const token = await tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  const proxiedDb = new URL(database.url);
  proxiedDb.port = String(pg.port);
  const proxiedRedis = new URL(TEST_REDIS_URL);
  proxiedRedis.port = String(redis.port);
  const env = processEnv({
    databaseUrl: proxiedDb.toString(),
    gong,
    extra: {
      REDIS_URL: proxiedRedis.toString(),
      JOB_LOCK_LIFETIME_MS: String(LOCK_MS),
      SHUTDOWN_GRACE_MS: "10000",
      ...options.extraEnv,
    },
  });
  const [api, ...workers] = await Promise.all([
    startServe({ env, name: "api" }),
    ...Array.from({ length: options.workers ?? 2 }, (_, i) => startWorker({ env, name: `worker-${i + 1}` })),
  ]);
  return {
    prisma,
    gong,
    pg,
    redis,
    env,
    api: api!,
    workers,
    token,
    scenario,
    async cleanup() {
      for (const p of [api!, ...workers]) if (p.running) await p.kill("SIGKILL");
      for (const c of cleanups.reverse()) await c().catch(() => {});
    },
  };
}

/** Connects Gong (90-day backfill) and starts the backfill; returns ids and the window start. */
export async function startBackfill(s: Stage) {
  const { integrationId, fromMs } = await connectGong(s.api.url!, s.token);
  const started = await gql(s.api.url!, ProcStartSyncDocument, { integrationId }, s.token);
  expect(started.errors).toBeUndefined();
  return { integrationId, integration: localId(integrationId), runId: localId(started.data!.startSync.id), fromMs };
}

/** Waits until the run is no longer RUNNING; returns its final status. */
export function runClosed(s: Stage, runId: string, timeoutMs = 180_000) {
  return pollUntil(
    `run ${runId} to close`,
    async () => {
      const run = await s.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } });
      return run.status === "RUNNING" ? undefined : run;
    },
    timeoutMs,
    250,
  );
}

/** Resolves once the run has imported at least `calls` calls (any user). */
export function progressed(s: Stage, runId: string, calls: number, timeoutMs = 120_000) {
  return pollUntil(
    `run ${runId} to import ${calls} calls`,
    async () => {
      const agg = await s.prisma.syncUserStatus.aggregate({ where: { runId }, _sum: { callsImported: true } });
      return (agg._sum.callsImported ?? 0) >= calls ? true : undefined;
    },
    timeoutMs,
    100,
  );
}

/** GET /ready of the API process: its status code and the failing checks. */
export async function readiness(s: Stage): Promise<{ status: number; failing: string[] }> {
  const res = await fetch(new URL("/ready", s.api.url!), { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { failing?: string[] };
  return { status: res.status, failing: body.failing ?? [] };
}

/**
 * The listing requests (POST /v2/calls/extensive for one user) of each Gong user: overlapping
 * ones mean two runners at once; more successful reads of one page than `extraReads` allows mean
 * a page was imported twice over.
 */
export function runnerOverlaps(gong: GongSimulator) {
  const byUser = new Map<string, { at: number; doneAt: number; status: number; cursor: string | null }[]>();
  for (const r of gong.log.entries) {
    if (r.path !== "/v2/calls/extensive" || r.method !== "POST") continue;
    const body = r.body as { cursor?: string; filter?: { primaryUserIds?: string[] } };
    const user = body.filter?.primaryUserIds?.[0];
    if (!user) continue;
    const list = byUser.get(user) ?? [];
    list.push({
      at: r.at,
      doneAt: r.doneAt || Number.POSITIVE_INFINITY,
      status: r.truncated ? 0 : r.status,
      cursor: body.cursor ?? null,
    });
    byUser.set(user, list);
  }
  const overlaps: string[] = [];
  const rereads = new Map<string, number>();
  for (const [user, list] of byUser) {
    list.sort((a, b) => a.at - b.at);
    for (let i = 1; i < list.length; i++)
      if (list[i]!.at < list[i - 1]!.doneAt) overlaps.push(`${user} at ${new Date(list[i]!.at).toISOString()}`);
    const ok = new Map<string, number>();
    for (const r of list.filter((x) => x.status === 200)) ok.set(String(r.cursor), (ok.get(String(r.cursor)) ?? 0) + 1);
    rereads.set(
      user,
      [...ok.values()].reduce((n, c) => n + (c - 1), 0),
    );
  }
  return { overlaps, rereads };
}

/** Calls the run has imported so far (all users). */
async function importedSoFar(s: Stage, runId: string): Promise<number> {
  const agg = await s.prisma.syncUserStatus.aggregate({ where: { runId }, _sum: { callsImported: true } });
  return agg._sum.callsImported ?? 0;
}

/**
 * Milliseconds from `sinceMs` (a fault's end) until the run imports again: more calls than it
 * had when called, or the run closed (nothing left to import).
 */
export async function resumedAfter(s: Stage, runId: string, sinceMs: number, timeoutMs = 180_000): Promise<number> {
  const base = await importedSoFar(s, runId);
  await pollUntil(
    `run ${runId} to import again`,
    async () => {
      const run = await s.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } });
      return run.status !== "RUNNING" || (await importedSoFar(s, runId)) > base ? true : undefined;
    },
    timeoutMs,
    100,
  );
  return Date.now() - sinceMs;
}

/**
 * Milliseconds from `sinceMs` until every user open now has a page more or is finished: after a
 * worker died, the slowest of them is one of its users, taken over by another runner.
 */
export async function allOpenUsersMovedAfter(
  s: Stage,
  runId: string,
  sinceMs: number,
  timeoutMs = 180_000,
): Promise<number> {
  const open = await s.prisma.syncUserStatus.findMany({
    where: { runId, state: { in: ["PENDING", "IN_PROGRESS"] } },
    select: { id: true, pagesDone: true },
  });
  await pollUntil(
    "every open user to move on",
    async () => {
      const now = await s.prisma.syncUserStatus.findMany({ where: { id: { in: open.map((u) => u.id) } } });
      const moved = now.every(
        (u) =>
          !["PENDING", "IN_PROGRESS"].includes(u.state) || u.pagesDone > open.find((o) => o.id === u.id)!.pagesDone,
      );
      return moved ? true : undefined;
    },
    timeoutMs,
    100,
  );
  return Date.now() - sinceMs;
}

export interface SettledFigures {
  stored: number;
  expected: number;
  duplicates: number;
  failedUsers: number;
  /** Successful re-reads of a page (all users): a page read, lost before its commit, read again. */
  pagesReread: number;
  /** Runners of one user overlapping in time (always 0 when this returns). */
  overlaps: number;
}

export interface SettledExpectations {
  runId: string;
  fromMs: number;
  integration: string;
  /** Users that may end FAILED (by provider user email); none by default. */
  mayFail?: string[];
  /** Pages that may legitimately be read twice per user (a runner killed between read and commit). */
  extraReadsPerUser?: number;
}

/** The outcome every scenario must end with (see the file comment); returns its figures for the table. */
export async function expectSettled(s: Stage, e: SettledExpectations): Promise<SettledFigures> {
  const statuses = await s.prisma.syncUserStatus.findMany({
    where: { runId: e.runId },
    include: { providerUser: true },
  });
  const failed = statuses.filter(
    (u) => u.state === "FAILED" && !(e.mayFail ?? []).includes(u.providerUser.email ?? ""),
  );
  expect(failed.map((u) => `${u.providerUser.email}: ${u.errorCode} ${u.errorMessage}`)).toEqual([]);
  expect(statuses.filter((u) => u.state === "PENDING" || u.state === "IN_PROGRESS")).toEqual([]);

  const stored = await s.prisma.call.count({ where: { integrationId: e.integration } });
  const distinct = await s.prisma.call.groupBy({ by: ["providerCallId"], where: { integrationId: e.integration } });
  expect(distinct.length).toBe(stored);
  expect(stored).toBe(expectedGongCalls(s.gong, e.fromMs));
  const counted = statuses.reduce((n, u) => n + u.callsImported, 0);
  expect(counted).toBe(stored);

  const { overlaps, rereads } = runnerOverlaps(s.gong);
  expect(overlaps).toEqual([]);
  for (const [user, n] of rereads)
    expect(n, `pages read twice for ${user}`).toBeLessThanOrEqual(e.extraReadsPerUser ?? 0);

  for (const p of [s.api, ...s.workers]) expect(p.running, `${p.name} alive`).toBe(true);
  return {
    stored,
    expected: expectedGongCalls(s.gong, e.fromMs),
    duplicates: stored - distinct.length,
    failedUsers: statuses.filter((u) => u.state === "FAILED").length,
    pagesReread: [...rereads.values()].reduce((a, b) => a + b, 0),
    overlaps: overlaps.length,
  };
}
