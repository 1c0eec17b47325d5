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
import { expectSettled, LOCK_MS, progressed, runClosed, type Stage, stage, startBackfill } from "./harness.js";

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
    await progressed(s, run.runId, 50);

    // 429s without Retry-After.
    behaviours.failNext(20, 429, "/v2/calls");
    await progressed(s, run.runId, 70);

    // Truncated bodies, then a burst of 5xx.
    behaviours.truncateNext = 3;
    await progressed(s, run.runId, 90);
    behaviours.failNext(4, 503, "/v2/calls");

    const closed = await runClosed(s, run.runId);
    expect(closed.status).toBe("COMPLETED");
    // A page whose transcript request hit a fault is listed again with it (the page is one unit);
    // never twice at once.
    await expectSettled(s, { ...run, extraReadsPerUser: 4 });

    // The storm was waited out (it was answered with 429s), not turned into failures.
    expect(stormMs).toBeGreaterThan(3 * LOCK_MS);
    expect(log.count((r) => r.status === 429)).toBeGreaterThan(20);
    expect(log.count((r) => !!r.truncated)).toBe(3);
    const statuses = await s.prisma.syncUserStatus.findMany({ where: { runId: run.runId, state: "COMPLETED" } });
    // Transient faults spend attempts; none came near the limit of 4.
    for (const u of statuses) expect(u.attempts).toBeLessThan(4);
  }, 300_000);
});
