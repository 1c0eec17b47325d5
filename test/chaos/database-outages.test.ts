/**
 * Issue #11, PostgreSQL goes away under a running backfill: a 1 s cut (a restart), then a long
 * one (CHAOS_LONG_OUTAGE_MS, 30 s by default) — ten times the job lock lifetime, so every lock
 * and lease runs out meanwhile. Every connection (Prisma's pool, the jobs' LISTEN connection)
 * is reset by the proxy and refused until it returns. The processes stay up, `/ready` says
 * "not ready" while the database is away and "ready" after, and the run finishes as if nothing
 * had happened.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcSyncNowDocument } from "../generated/graphql.js";
import { gql, pollUntil } from "../support/processes.js";
import {
  expectSettled,
  LONG_OUTAGE_MS,
  progressed,
  readiness,
  resumedAfter,
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

describe("PostgreSQL outages during a backfill", () => {
  it(
    "cuts of 1 s and of 30 s: processes survive, /ready follows the database, the run completes exactly",
    async () => {
      const run = await startBackfill(s);
      await progressed(s, run.runId, 20);

      await s.pg.outage(1_000);
      const shortResumeMs = await resumedAfter(s, run.runId, Date.now());
      await progressed(s, run.runId, 60);

      const outage = s.pg.outage(LONG_OUTAGE_MS);
      const during = await pollUntil(
        "/ready to report the database",
        async () => {
          const r = await readiness(s);
          return r.status === 503 && r.failing.includes("database") ? r : undefined;
        },
        10_000,
        200,
      );
      expect(during.status).toBe(503);
      // While the database is away, a sync request is answered (with an error), not hung or crashed.
      const refused = await gql(s.api.url!, ProcSyncNowDocument, { integrationId: run.integrationId }, s.token);
      expect(refused.errors?.length).toBeGreaterThan(0);
      await outage;
      const restoredAt = Date.now();
      const longResumeMs = resumedAfter(s, run.runId, restoredAt);
      longResumeMs.catch(() => {}); // awaited below; not unhandled if the test fails first

      await pollUntil(
        "/ready after the outage",
        async () => ((await readiness(s)).status === 200 ? true : undefined),
        30_000,
        250,
      );
      const readyMs = Date.now() - restoredAt;
      const closed = await runClosed(s, run.runId);
      expect(closed.status).toBe("COMPLETED");
      // A page in flight when a cut begins (listed and its transcripts asked for, its store refused)
      // is read again by the runner that takes the user over from its checkpoint: at most one page
      // per user and cut, never two runners at once (overlaps stay 0). Two cuts, so at most 2.
      // More re-reads came from the pacer, not the cuts: its waiters raced for Gong's send slot,
      // so with four imports one lost ten times in a row, gave up after its 3 s inline wait (the
      // lease here) between a page's listing and its transcripts, and the page was read again —
      // 3–4 per user, with or without a cut. The slot now goes to waiters in turn.
      const settled = await expectSettled(s, { ...run, extraReadsPerUser: 2 });
      const resumedMs = await longResumeMs;
      const notes = `one run for both cuts; ${settled.pagesReread} page(s) re-read, ${settled.overlaps} overlapping runners`;
      const figures = { stored: settled.stored, expected: settled.expected, duplicates: settled.duplicates };
      recordOutcome({
        fault: "PostgreSQL cut 1 s",
        ...figures,
        failedUsers: settled.failedUsers,
        recovered: `imports again ${secs(shortResumeMs)} after the cut ended`,
        notes,
      });
      recordOutcome({
        fault: `PostgreSQL cut ${secs(LONG_OUTAGE_MS)}`,
        ...figures,
        failedUsers: settled.failedUsers,
        recovered: `/ready 200 after ${secs(readyMs)}, imports again after ${secs(resumedMs)}`,
        notes,
      });
      expect(s.pg.accepted).toBeGreaterThan(10);

      // And the next sync is not blocked by anything the outage left behind.
      const next = await gql(s.api.url!, ProcSyncNowDocument, { integrationId: run.integrationId }, s.token);
      expect(next.errors).toBeUndefined();
    },
    LONG_OUTAGE_MS + 240_000,
  );
});
