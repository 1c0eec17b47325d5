/**
 * Issue #11, Redis goes away (CHAOS_LONG_OUTAGE_MS, 30 s by default) while a backfill runs and
 * the wizard watches it live, and a worker is SIGKILLed in the middle of it:
 *
 * - nobody crashes (the event publisher, the subscriber and the pacer's client all have their
 *   error paths) and `/ready` reports the lost Redis meanwhile;
 * - while Redis is away, events published by the API process still reach its own subscribers;
 * - when Redis is back, the workers' progress events reach the API's subscribers again;
 * - the killed worker's user is resumed by the other worker, never run twice at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ProcSyncNowDocument,
  ProcSyncProgressDocument,
  type ProcSyncProgressSubscription,
  WizardIntegrationEventsDocument,
  type WizardIntegrationEventsSubscription,
} from "../generated/graphql.js";
import { gql, localId, pollUntil } from "../support/processes.js";
import { subscribe } from "../support/ws.js";
import {
  allOpenUsersMovedAfter,
  expectSettled,
  LOCK_MS,
  LONG_OUTAGE_MS,
  progressed,
  readiness,
  runClosed,
  type Stage,
  stage,
  startBackfill,
} from "./harness.js";
import { recordOutcome, secs } from "./summary.js";

let s: Stage;

beforeAll(async () => {
  s = await stage({ users: 4, callsPerUser: 40, pageSize: 5, latencyMs: 60 });
}, 120_000);

afterAll(async () => {
  await s?.cleanup();
});

describe("Redis outage and a killed worker during a backfill", () => {
  it(
    "processes survive, local events flow while Redis is away, remote ones resume after; the killed worker's user resumes once",
    async () => {
      const run = await startBackfill(s);
      const progress = subscribe<ProcSyncProgressSubscription, { integrationId: string }>(
        s.api.url!,
        s.token,
        ProcSyncProgressDocument,
        { integrationId: run.integrationId },
      );
      try {
        await progressed(s, run.runId, 10);
        await progress.until((e) => e.syncProgress.user?.state === "IN_PROGRESS");

        s.redis.cut();
        const cutAt = Date.now();
        await pollUntil(
          "/ready to report Redis",
          async () => ((await readiness(s)).failing.some((f) => f === "events" || f === "pacing") ? true : undefined),
          10_000,
          200,
        );

        // A worker dies in the middle of the outage; the other one takes its users over.
        const victim = s.workers[0]!;
        await victim.kill("SIGKILL");
        const killedAt = Date.now();
        const takenOverMs = allOpenUsersMovedAfter(s, run.runId, killedAt);
        takenOverMs.catch(() => {}); // awaited below; not unhandled if the test fails first
        s.workers = s.workers.slice(1);

        await new Promise((r) => setTimeout(r, Math.max(0, LONG_OUTAGE_MS - (Date.now() - cutAt))));
        s.redis.restore();
        const restoredAt = Date.now();
        await pollUntil(
          "/ready after Redis returns",
          async () => ((await readiness(s)).status === 200 ? true : undefined),
          30_000,
          250,
        );
        const readyMs = Date.now() - restoredAt;

        // Workers' progress crosses processes again. The backfill often finishes during the
        // outage; its last events then went by while the API was not subscribed (a worker that
        // reconnects first flushes its buffer to nobody), and the API's re-read event after it
        // subscribed again is what tells the watcher the run is over.
        await progress.until(
          (e) => e.syncProgress.run.status !== "RUNNING" || Date.parse(String(e.syncProgress.at)) > restoredAt,
          90_000,
        );
        const eventsMs = Date.now() - restoredAt;

        const closed = await runClosed(s, run.runId);
        expect(closed.status).toBe("COMPLETED");
        // The killed runner may have read a page it never committed; its successor reads it again.
        const settled = await expectSettled(s, { ...run, extraReadsPerUser: 1 });
        expect(progress.errors).toEqual([]);
        const figures = {
          stored: settled.stored,
          expected: settled.expected,
          duplicates: settled.duplicates,
          failedUsers: settled.failedUsers,
        };
        recordOutcome({
          fault: `Redis cut ${secs(LONG_OUTAGE_MS)}`,
          ...figures,
          recovered: `/ready 200 after ${secs(readyMs)}; the API's subscriber saw workers' progress after ${secs(eventsMs)}`,
          notes: "same run as the SIGKILL below; local events delivered during a second cut",
        });
        recordOutcome({
          fault: "worker SIGKILLed (during the Redis cut)",
          ...figures,
          recovered: `every open user imported again ${secs(await takenOverMs)} after the kill (lock ${secs(LOCK_MS)})`,
          notes: `${settled.pagesReread} page(s) re-read, ${settled.overlaps} overlapping runners`,
        });

        // Redis away again: "sync now" on the API process publishes SYNC_STARTED there, and that
        // process's own subscriber receives it without a Redis round trip.
        const events = subscribe<WizardIntegrationEventsSubscription, { integrationId: string }>(
          s.api.url!,
          s.token,
          WizardIntegrationEventsDocument,
          { integrationId: run.integrationId },
        );
        try {
          await new Promise((r) => setTimeout(r, 500));
          s.redis.cut();
          const again = await gql(s.api.url!, ProcSyncNowDocument, { integrationId: run.integrationId }, s.token);
          expect(again.errors).toBeUndefined();
          await events.until((e) => e.integrationEvents.type === "SYNC_STARTED", 10_000);
          expect(s.redis.isCut).toBe(true);
        } finally {
          s.redis.restore();
          await events.close();
        }
        const next = await pollUntil(
          "the incremental sync to close",
          async () => {
            const r = await s.prisma.syncRun.findFirst({
              where: { integrationId: run.integration, kind: { not: "BACKFILL" } },
            });
            return r && r.status !== "RUNNING" ? r : undefined;
          },
          120_000,
          250,
        );
        expect(next.status).toBe("COMPLETED");
        // The incremental sync's progress is written by a worker, so it reached the API through
        // Redis, live, after the outages.
        await progress.until((e) => localId(e.syncProgress.run.id) === next.id, 30_000);
        for (const p of [s.api, ...s.workers]) expect(p.running, p.name).toBe(true);
      } finally {
        await progress.close();
      }
    },
    LONG_OUTAGE_MS + 240_000,
  );
});
