/**
 * Issue #11, a slow and unreliable provider under a running backfill with two workers, in one
 * run, one fault after the other:
 *
 * - a 429 storm with Retry-After: 2 that lasts several job lock lifetimes (the jobs must keep
 *   their leases or reschedule, not be taken over while their handlers still run);
 * - 429s without Retry-After (backed off from 1 s, never a flat minute; no attempt spent);
 * - truncated JSON bodies and 5xx answers (transient: retried, never a FAILED user);
 *
 * and at the end every call is stored once, nobody FAILED, no user's import ran twice at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../support/processes.js";
import {
  expectSettled,
  LOCK_MS,
  progressed,
  resumedAfter,
  runClosed,
  type Stage,
  stage,
  startBackfill,
} from "./harness.js";
import { recordOutcome, secs } from "./summary.js";

let s: Stage;

beforeAll(async () => {
  s = await stage({ users: 4, callsPerUser: 40, pageSize: 5, latencyMs: 40 });
}, 120_000);

afterAll(async () => {
  await s?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("provider faults during a backfill", () => {
  it("a 429 storm longer than the lock, 429s without Retry-After, truncated bodies and 5xx: every call once, nobody FAILED", async () => {
    const { behaviours, log } = s.gong;
    const run = await startBackfill(s);
    await progressed(s, run.runId, 10);

    // Storm: every listing request answers 429 (Retry-After: 2) for ~4 lock lifetimes.
    const stormStarted = Date.now();
    behaviours.failNext(10_000, 429, "/v2/calls/extensive", { "Retry-After": "2" });
    await sleep(4 * LOCK_MS);
    behaviours.clearFailures();
    const stormMs = Date.now() - stormStarted;
    const stormResumeMs = await resumedAfter(s, run.runId, Date.now());
    await progressed(s, run.runId, 50);

    // 429s without Retry-After. "Recovered": from the first of them until the import moves on
    // after the last one was answered.
    const since = (status: number, from: number) => log.entries.slice(from).filter((r) => r.status === status).length;
    let mark = log.entries.length;
    const noRetryAfterAt = Date.now();
    behaviours.failNext(20, 429, "/v2/calls");
    await pollUntil("the 20 injected 429s", async () => (since(429, mark) >= 20 ? true : undefined), 120_000, 100);
    const noRetryAfterMs = await resumedAfter(s, run.runId, noRetryAfterAt);
    await progressed(s, run.runId, 70);

    // Truncated bodies, then a burst of 5xx.
    mark = log.entries.length;
    const truncatedAt = Date.now();
    behaviours.truncateNext = 3;
    await pollUntil(
      "the 3 truncated bodies",
      async () => (log.entries.slice(mark).filter((r) => r.truncated).length >= 3 ? true : undefined),
      120_000,
      100,
    );
    const truncatedMs = await resumedAfter(s, run.runId, truncatedAt);
    await progressed(s, run.runId, 90);
    mark = log.entries.length;
    const unavailableAt = Date.now();
    behaviours.failNext(4, 503, "/v2/calls");
    await pollUntil("the 4 injected 503s", async () => (since(503, mark) >= 4 ? true : undefined), 120_000, 100);
    const unavailableMs = await resumedAfter(s, run.runId, unavailableAt);

    const closed = await runClosed(s, run.runId);
    // A page whose transcript request hit a fault is listed again with it (the page is one unit);
    // never twice at once. (Checked first: it names any FAILED user and why.)
    const settled = await expectSettled(s, { ...run, extraReadsPerUser: 4 });
    expect(closed.status).toBe("COMPLETED");

    // The storm was waited out (it was answered with 429s), not turned into failures.
    expect(stormMs).toBeGreaterThan(3 * LOCK_MS);
    expect(log.count((r) => r.status === 429)).toBeGreaterThan(20);
    expect(log.count((r) => !!r.truncated)).toBe(3);
    const statuses = await s.prisma.syncUserStatus.findMany({ where: { runId: run.runId, state: "COMPLETED" } });
    // Transient faults spend attempts; none came near the limit of 4.
    for (const u of statuses) expect(u.attempts).toBeLessThan(4);

    const figures = {
      stored: settled.stored,
      expected: settled.expected,
      duplicates: settled.duplicates,
      failedUsers: settled.failedUsers,
    };
    const notes = `one run for the four faults; ${settled.pagesReread} page(s) re-read, ${settled.overlaps} overlapping runners; attempts at most ${Math.max(...statuses.map((u) => u.attempts))} of 4`;
    recordOutcome({
      fault: `429 storm with Retry-After: 2 for ${secs(stormMs)} (lock ${secs(LOCK_MS)})`,
      ...figures,
      recovered: `imports again ${secs(stormResumeMs)} after the storm ended`,
      notes,
    });
    recordOutcome({
      fault: "20 × 429 without Retry-After",
      ...figures,
      recovered: `all 20 answered and imports moving ${secs(noRetryAfterMs)} after the first`,
      notes,
    });
    recordOutcome({
      fault: "3 truncated JSON bodies",
      ...figures,
      recovered: `imports moving ${secs(truncatedMs)} after the first`,
      notes,
    });
    recordOutcome({
      fault: "4 × 503",
      ...figures,
      recovered: `imports moving ${secs(unavailableMs)} after the first`,
      notes,
    });
  }, 300_000);
});
