/**
 * Issue #11, "no run is stuck": a run whose jobs are gone (workers died, jobs lost or
 * cancelled) is resumed or closed by any live worker's recovery sweep, so `syncNow` is never
 * blocked by a run nobody works on. The jobs are removed from the real Agenda table while no
 * worker runs; then a worker starts and nothing else is done by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB } from "../../src/jobs/queue.js";
import { ProcStartSyncDocument, ProcSyncNowDocument } from "../generated/graphql.js";
import type { TestApi } from "../support/api.js";
import { type GongStage, gongStage } from "../support/gong-stage.js";
import { expectedGongCalls, gql, localId, pollUntil } from "../support/processes.js";

let s: GongStage;
let worker: TestApi | null = null;

beforeAll(async () => {
  // Only a producer at first: jobs are queued and nobody takes them.
  s = await gongStage({ users: 3, callsPerUser: 2, pageSize: 50, producerOnly: true, lockMs: 1_500 });
}, 60_000);

afterAll(async () => {
  await s?.close();
});

/** Every job of the sync engine disappears, as when they were lost with the workers that held them. */
async function loseJobs() {
  await s.api.runtime.db.pool.query("DELETE FROM agenda_jobs WHERE name = ANY($1)", [[JOB.runUsers, JOB.importUser]]);
}

async function runStatus(runId: string) {
  return (await s.api.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status;
}

async function closed(runId: string) {
  return pollUntil(
    `run ${runId} to close`,
    async () => ((await runStatus(runId)) === "RUNNING" ? undefined : runStatus(runId)),
    30_000,
    100,
  );
}

/** syncNow until it is accepted (a new run) instead of SYNC_IN_PROGRESS; returns the new run. */
async function syncNowAccepted() {
  return pollUntil(
    "syncNow to be accepted",
    async () => {
      const r = await gql(s.api.url, ProcSyncNowDocument, { integrationId: s.integrationId }, s.token);
      if (r.errors) {
        expect(r.errors.map((e) => e.extensions?.code)).toEqual(["SYNC_IN_PROGRESS"]);
        return undefined;
      }
      return localId(r.data!.syncNow.id);
    },
    30_000,
    250,
  );
}

describe("runs whose jobs are gone", () => {
  it("a run never listed (its listing job lost) is listed again and completes", async () => {
    const started = await gql(s.api.url, ProcStartSyncDocument, { integrationId: s.integrationId }, s.token);
    expect(started.errors).toBeUndefined();
    const runId = localId(started.data!.startSync.id);
    await loseJobs();
    worker = await s.addWorker("sweeper-1");
    expect(await closed(runId)).toBe("COMPLETED");
    expect(await s.api.prisma.call.count({ where: { integrationId: s.integration } })).toBe(
      expectedGongCalls(s.gong, s.fromMs),
    );
  }, 60_000);

  it("a run's users are left to its listing while that job is alive: the listing queues them, once", async () => {
    await worker!.close();
    s.workers.splice(s.workers.indexOf(worker!), 1);
    const runId = await syncNowAccepted();
    // The listing job stays queued; its users exist (listed by hand), their imports not queued
    // yet and their leases run out, as when queueing them takes the listing longer than a lease.
    await s.api.runtime.engine.runUsers(runId);
    await s.api.runtime.db.pool.query("DELETE FROM agenda_jobs WHERE name = $1", [JOB.importUser]);
    await s.api.prisma.syncUserStatus.updateMany({ where: { runId }, data: { leaseUntil: new Date(Date.now() - 1) } });
    expect(await s.api.runtime.engine.recover()).toBe(0);
    const imports = () =>
      s.api.runtime.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM agenda_jobs WHERE name = $1", [
        JOB.importUser,
      ]);
    expect((await imports()).rows[0]!.n).toBe(0);
    // A worker runs the listing, which queues each user once; the sweeps add none.
    worker = await s.addWorker("sweeper-listing");
    expect(await closed(runId)).toBe("COMPLETED");
    expect((await imports()).rows[0]!.n).toBe(3);
  }, 60_000);

  it("a run whose users' import jobs were lost is resumed by a live worker; syncNow then starts a new run", async () => {
    await worker!.close();
    s.workers.splice(s.workers.indexOf(worker!), 1);
    const runId = await syncNowAccepted();
    // Listed by hand as a worker would, then every import job is lost.
    await s.api.runtime.engine.runUsers(runId);
    await loseJobs();
    const open = await s.api.prisma.syncUserStatus.count({
      where: { runId, state: { in: ["PENDING", "IN_PROGRESS"] } },
    });
    expect(open).toBe(3);
    const refused = await gql(s.api.url, ProcSyncNowDocument, { integrationId: s.integrationId }, s.token);
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(["SYNC_IN_PROGRESS"]);
    worker = await s.addWorker("sweeper-2");
    expect(await closed(runId)).toBe("COMPLETED");
    const users = await s.api.prisma.syncUserStatus.findMany({ where: { runId, state: { not: "SKIPPED" } } });
    expect(users.map((u) => u.state)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED"]);
    const next = await syncNowAccepted();
    expect(await closed(next)).toBe("COMPLETED");
  }, 60_000);

  it("a run whose users all finished but that was never closed is closed, and syncNow is accepted", async () => {
    const last = await s.api.prisma.syncRun.findFirstOrThrow({
      where: { integrationId: s.integration },
      orderBy: { startedAt: "desc" },
    });
    // The worker stopped between the last user's completion and the run's close.
    await s.api.prisma.syncRun.update({
      where: { id: last.id },
      data: { status: "RUNNING", activeSlot: true, finishedAt: null },
    });
    const next = await syncNowAccepted();
    expect(await runStatus(last.id)).toBe("COMPLETED");
    expect(await closed(next)).toBe("COMPLETED");
  }, 60_000);
});
