/**
 * Bounded job storage: the recurring clean-up job removes finished one-off jobs once they are
 * older than JOB_RETENTION_MS, keeps failed ones for JOB_FAILED_RETENTION_MS, and never touches
 * recurring jobs or callsync's own sync history. Real syncs against the Gong simulator, real
 * Agenda jobs in the API process.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, gongOAuthEnv, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { ProcStartSyncDocument, ProcSyncNowDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { freePort } from "../support/net.js";
import { connectGong, gql, localId, pollUntil } from "../support/processes.js";

const RETENTION_MS = 1_500;
const CLEANUP_EVERY_MS = 500;

let gong: GongSimulator;
let api: TestApi;
let token: string;
let integrationId: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const scenario = defaultScenario({ callsPerUser: 3, fromMs: Date.now() - 30 * 86_400_000 });
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario), switches: { visibleAfterMs: 0 } });
  const port = await freePort();
  api = await startApi(
    {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...gongOAuthEnv(gong),
      WORKER_IN_PROCESS: "true",
      JOB_PROCESS_EVERY_MS: "200",
      JOB_RETENTION_MS: String(RETENTION_MS),
      JOB_FAILED_RETENTION_MS: String(3_600_000),
      JOB_CLEANUP_EVERY_MS: String(CLEANUP_EVERY_MS),
      // Small batches, so one clean-up run needs several DELETEs.
      JOB_CLEANUP_BATCH: "3",
    },
    { port },
  );
  const demo = await seedDemo(api.prisma, { scenario });
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  integrationId = (await connectGong(api.url, token)).integrationId;
}, 60_000);

afterAll(async () => {
  await api?.close();
  await gong?.close();
});

async function jobRows() {
  const { rows } = await api.runtime.db.pool.query<{ name: string; finished: boolean; failed: boolean; age: number }>(
    `SELECT name,
            next_run_at IS NULL AND last_finished_at IS NOT NULL AS finished,
            failed_at IS NOT NULL AS failed,
            COALESCE(EXTRACT(EPOCH FROM now() - last_finished_at) * 1000, 0)::float8 AS age
       FROM agenda_jobs`,
  );
  return rows;
}

async function syncToEnd(runGlobalId: string) {
  const runId = localId(runGlobalId);
  await pollUntil("the run to finish", async () => {
    const run = await api.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } });
    return run.status === "RUNNING" ? undefined : run;
  });
  await api.settleJobs();
}

describe("finished one-off jobs", () => {
  it("are removed after the retention; failed ones, recurring jobs and the sync history stay", async () => {
    const started = await gql(api.url, ProcStartSyncDocument, { integrationId }, token);
    expect(started.errors).toBeUndefined();
    await syncToEnd(started.data!.startSync.id);
    // A job that fails: a run that does not exist.
    await api.runtime.jobs.queue.runUsers(randomUUID());

    const peaks: number[] = [];
    for (let i = 0; i < 6; i++) {
      const run = await gql(api.url, ProcSyncNowDocument, { integrationId }, token);
      expect(run.errors).toBeUndefined();
      await syncToEnd(run.data!.syncNow.id);
      peaks.push((await jobRows()).length);
    }

    // Everything finished; one retention plus two clean-up periods later, only the recent rows are left.
    await sleep(RETENTION_MS + 2 * CLEANUP_EVERY_MS + 500);
    const rows = await jobRows();
    const oneOff = rows.filter((r) => r.finished);
    expect(oneOff.filter((r) => !r.failed && r.age > RETENTION_MS + CLEANUP_EVERY_MS + 500)).toEqual([]);
    expect(oneOff.filter((r) => !r.failed)).toEqual([]);
    // The failed job is kept for diagnosis (its retention is an hour).
    expect(oneOff.filter((r) => r.failed).map((r) => r.name)).toEqual(["sync:run-users"]);
    // The recurring jobs remain: the integration's schedule and the clean-up itself.
    expect(
      rows
        .filter((r) => !r.finished)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["jobs:cleanup", "privacy:retention", "sync:scheduled"]);

    // Each sync leaves run-users, one import per matched user and a transcript follow-up; seven
    // syncs never left more than a few syncs' worth of rows (without clean-up: 7 × that).
    const matched = await api.prisma.syncUserStatus.count({
      where: { run: { integrationId: localId(integrationId), kind: "BACKFILL" }, state: { not: "SKIPPED" } },
    });
    const perSync = matched + 2;
    expect(Math.max(...peaks)).toBeLessThanOrEqual(3 * perSync + 3);

    // What users see of the syncs is callsync's own data, untouched.
    const runs = await api.prisma.syncRun.findMany({
      where: { integrationId: localId(integrationId) },
      include: { users: true },
    });
    expect(runs).toHaveLength(7);
    for (const run of runs) {
      expect(run.status).toBe("COMPLETED");
      expect(run.users.filter((s) => s.state === "COMPLETED").length).toBeGreaterThan(0);
    }
  }, 120_000);

  it("failed ones are removed after their own, longer retention", async () => {
    // Same clean-up, seen from a retention that has passed for the failed job too.
    const { removeFinishedJobs } = await import("../../src/jobs/cleanup.js");
    const later = new Date(Date.now() + 3_600_000 + 1_000);
    const { removed } = await removeFinishedJobs(
      api.runtime.db.pool,
      { finishedMs: RETENTION_MS, failedMs: 3_600_000, batchSize: 2 },
      { now: later },
    );
    expect(removed).toBeGreaterThanOrEqual(1);
    const rows = await jobRows();
    expect(rows.filter((r) => r.finished)).toEqual([]);
    expect(rows.map((r) => r.name).sort()).toEqual(["jobs:cleanup", "privacy:retention", "sync:scheduled"]);
  });
});
