/**
 * The shared pacer (src/providers/pacer.ts) on a real Redis, as two processes use it: two Pacer
 * instances with their own connections and one prefix. What the provider counts is when
 * requests arrive, so what must be spaced is when they actually leave: a runner whose timer
 * fires late (a busy event loop, a loaded machine) must not leave together with the next one.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { Pacer, slotIntervalMs } from "../../src/providers/pacer.js";
import { TEST_REDIS_URL } from "../support/processes.js";

const connections: Redis[] = [];
afterAll(() => {
  for (const c of connections) c.disconnect();
});

/** Two processes' pacers on one prefix, once their Redis connections are up (before, they pace in memory). */
async function pacers(quota: { points: number; duration: number }[], prefix = `pacer-test-${randomUUID()}`, n = 2) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const redis = new Redis(TEST_REDIS_URL);
      connections.push(redis);
      if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
      return Object.assign(new Pacer("gong", quota, { redis, prefix }), { redis });
    }),
  );
}

/** Blocks this process's event loop, as a CPU-starved worker is blocked. */
function busy(ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

describe("shared pacing across processes", () => {
  it("spaces requests by when they leave, also when a runner's timer fires late", async () => {
    const quota = [{ points: 3, duration: 1 }];
    const interval = slotIntervalMs(quota);
    const [a, b] = await pacers(quota);
    const left: number[] = [];
    const take = (p: Pacer) => p.take("account-1").then(() => left.push(Date.now()));
    const takes = Array.from({ length: 8 }, (_, i) => take(i % 2 === 0 ? a! : b!));
    // The first requests leave; then the event loop is stuck for several slots, so the timers
    // of the waiting runners all fire late, at once.
    await new Promise((r) => setTimeout(r, 50));
    busy(4 * interval);
    await Promise.all(takes);
    left.sort((x, y) => x - y);
    const gaps = left.slice(1).map((t, i) => t - left[i]!);
    // Each departure a slot after the one before (half a slot of slack for a loaded machine;
    // runners released together by a late timer would leave milliseconds apart).
    for (const g of gaps) expect(g, `gaps ${gaps.join(", ")}`).toBeGreaterThanOrEqual(interval / 2);
  });

  it("serves waiting runners in turn: each waits for the others once, not for ever", async () => {
    // Six runners of one account on two processes, each sending request after request (as
    // imports do: a page, its transcripts, the next page). Each should wait for the other five
    // and its own slot, about 6 slots. Racing for the slot whenever it freed up, some runner lost
    // again and again: 16–21 slots (1.8–2.4 s here), and in the chaos suite, whose imports may wait
    // 3 s (their lease), a runner gave its page up and it was read again.
    const quota = [{ points: 10, duration: 1 }];
    const interval = slotIntervalMs(quota);
    const [a, b] = await pacers(quota);
    const runners = 6;
    const waits: number[] = [];
    await Promise.all(
      Array.from({ length: runners }, async (_, i) => {
        for (let n = 0; n < 10; n++) {
          const asked = Date.now();
          await (i % 2 === 0 ? a! : b!).take("account-3");
          waits.push(Date.now() - asked);
          await new Promise((r) => setTimeout(r, 20)); // the request itself
        }
      }),
    );
    const longest = Math.max(...waits);
    // Its turn comes after every other runner's, plus half as much again for a loaded machine.
    expect(longest, `longest wait ${longest} ms, slot ${Math.round(interval)} ms`).toBeLessThanOrEqual(
      1.5 * runners * interval,
    );
  }, 30_000);

  it("a runner that went away while queued holds the others back for its grace period only", async () => {
    const quota = [{ points: 10, duration: 1 }];
    const interval = slotIntervalMs(quota);
    const [a, b, c] = await pacers(quota, `pacer-test-${randomUUID()}`, 3);
    await a!.take("account-4");
    // `c` queues first, then loses Redis for good (its process died): it never asks again there.
    const lost = c!.take("account-4");
    await new Promise((r) => setTimeout(r, 10));
    c!.redis.disconnect();
    await lost;
    const started = Date.now();
    await b!.take("account-4");
    const waited = Date.now() - started;
    expect(waited).toBeLessThanOrEqual(1_000 + 3 * interval);
  });

  it("a runner whose lease is lost stops waiting at once and leaves the queue", async () => {
    const quota = [{ points: 10, duration: 1 }];
    const interval = slotIntervalMs(quota);
    const [a, b] = await pacers(quota);
    await a!.take("account-5");
    const lease = new AbortController();
    const queued = b!.take("account-5", 1, lease.signal).then(
      () => "taken",
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 10));
    lease.abort(new Error("lease lost"));
    expect(await queued).toEqual(new Error("lease lost"));
    // Its place is free again: the next runner waits for the slot, not for a grace period.
    const started = Date.now();
    await a!.take("account-5");
    expect(Date.now() - started).toBeLessThan(interval + 200);
  });

  it("a 429's block holds every process back until its end", async () => {
    const [a, b] = await pacers([{ points: 100, duration: 1 }]);
    await a!.block("account-2", Date.now() + 600);
    const started = Date.now();
    await b!.take("account-2");
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  });
});
