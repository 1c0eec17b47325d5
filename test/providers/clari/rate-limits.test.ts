import { describe, expect, it } from "vitest";
import { nextClariWeeklyReset } from "../../../src/providers/clari/client.js";
import { ProviderError } from "../../../src/providers/errors.js";
import { adaUser, calls, clientFor, dataset, fastPacer, HOUR, simulator } from "./support.js";

const window = () => ({ fromMs: Date.now() - 30 * 24 * HOUR, toMs: Date.now() });
const tooMany = (sim: Awaited<ReturnType<typeof simulator>>) => sim.log.count((r) => r.status === 429);

describe("Clari Copilot rate limits and faults", () => {
  it("by default the simulator answers 429 without Retry-After, API-Gateway style", async () => {
    const sim = await simulator({ quota: true });
    expect(sim.behaviours.quota).toEqual([{ points: 10, duration: 1 }]);
    expect(sim.settings.weeklyQuota).toBe(100_000);
    const headers = { "x-api-key": sim.apiKeys.default.apiKey, "x-api-password": sim.apiKeys.default.apiSecret };
    // A bucket of 10 that refills at 10/s: a burst gets its 10, and what is over them is
    // limited unless the bucket refilled meanwhile. A loaded machine spreads a "concurrent"
    // burst over time, so the refill over the arrival spread (from the simulator's log) is
    // allowed for, and a burst that drew no 429 at all is tried again after a refill.
    for (let burst = 1; ; burst++) {
      const since = sim.log.entries.length;
      const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${sim.url}/users`, { headers })));
      const arrivals = sim.log.entries.slice(since).map((r) => r.at);
      const refilled = Math.floor(((Math.max(...arrivals) - Math.min(...arrivals)) * 10) / 1000);
      const served = answers.filter((r) => r.status === 200).length;
      expect(served).toBeGreaterThanOrEqual(10);
      expect(served).toBeLessThanOrEqual(10 + refilled + 1);
      const limited = answers.filter((r) => r.status === 429);
      expect(limited.length + served).toBe(20);
      if (limited.length > 0) {
        expect(limited[0]?.headers.get("retry-after")).toBeNull();
        expect(await limited[0]?.json()).toEqual({ message: "Too Many Requests" });
        break;
      }
      expect(burst, "bursts that all arrived too slowly to draw a 429").toBeLessThan(5);
      await new Promise((r) => setTimeout(r, 1_100));
    }
  });

  it("429s without Retry-After are backed off from 1 s, doubling, spend no attempt, and the page completes", async () => {
    const sim = await simulator({ dataset: dataset(calls(2, Date.now() - 10 * 24 * HOUR)) });
    sim.behaviours.failNext(3, 429, "/calls");
    const waits: number[] = [];
    // The client's own backoff (1 s), and two attempts: three 429s in a row are waited out only
    // if they spend none.
    const client = clientFor(sim, {
      rateLimitBackoffMs: undefined,
      attempts: 2,
      onWait: (reason, until) => reason === "RATE_LIMIT" && waits.push(until - Date.now()),
    });
    const started = Date.now();
    const page = await client.listCallsPage(adaUser, window(), null);
    expect(page.calls).toHaveLength(2);
    const listings = sim.log.entries.filter((r) => r.path === "/calls").map((r) => ({ at: r.at, status: r.status }));
    expect(listings.map((r) => r.status)).toEqual([429, 429, 429, 200]);
    // 1 s, 2 s, 4 s: each wait at least its backoff (minus the time it took to notice), never a flat minute.
    expect(waits).toHaveLength(3);
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThan(0.5 * 1_000 * 2 ** i);
      expect(w).toBeLessThanOrEqual(1_000 * 2 ** i);
    });
    for (let i = 1; i < listings.length; i++)
      expect(listings[i]!.at - listings[i - 1]!.at).toBeGreaterThanOrEqual(1_000 * 2 ** (i - 1) - 50);
    expect(Date.now() - started).toBeLessThan(30_000);

    // A success resets the backoff: the next 429 waits about a second again.
    sim.behaviours.failNext(1, 429, "/calls");
    waits.length = 0;
    await client.listCallsPage(adaUser, window(), null);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeLessThanOrEqual(1_000);
  }, 60_000);

  it("a 429 with Retry-After is waited for exactly, not guessed ([I] switch)", async () => {
    const sim = await simulator({ dataset: dataset(calls(4, Date.now() - 10 * 24 * HOUR)) });
    sim.behaviours.quota = [{ points: 3, duration: 1 }];
    sim.behaviours.sendRetryAfter = true;
    // Without Retry-After this client would wait a minute and give up (longer than maxInlineWaitMs).
    const client = clientFor(sim, { rateLimitBackoffMs: 60_000, maxInlineWaitMs: 5_000 });
    const started = Date.now();
    const page = await client.listCallsPage(adaUser, window(), null);
    expect(page.calls).toHaveLength(4);
    expect(tooMany(sim)).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("the weekly quota ('Limit Exceeded') surfaces at once as RATE_LIMITED until Sunday 00:00 GMT", async () => {
    const sim = await simulator({ dataset: dataset(calls(3, Date.now() - 10 * 24 * HOUR)) });
    sim.settings.weeklyQuota = 2;
    const pacer = fastPacer();
    const client = clientFor(sim, { pacer, detailsConcurrency: 1 });
    const error = await client.listCallsPage(adaUser, window(), null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: "RATE_LIMITED", details: { retryAt: nextClariWeeklyReset(Date.now()) } });
    expect(tooMany(sim)).toBe(1);

    // Every client sharing the workspace's pacer now waits for the reset without asking Clari.
    const before = sim.log.count();
    await expect(clientFor(sim, { pacer }).listUsers()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    expect(sim.log.count()).toBe(before);
  });

  it("the weekly quota resets on Sunday 00:00 GMT of the simulator's clock", async () => {
    const sim = await simulator({ dataset: dataset([]) });
    sim.settings.weeklyQuota = 1;
    sim.clock.set(Date.parse("2025-06-14T23:59:00.000Z"));
    expect((await clientFor(sim).listUsers()).users.length).toBe(2);
    await expect(clientFor(sim, { attempts: 1 }).listUsers()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    sim.clock.set(Date.parse("2025-06-15T00:00:01.000Z"));
    expect((await clientFor(sim).listUsers()).users.length).toBe(2);
  });

  it("429s that never clear surface as RATE_LIMITED instead of spinning", async () => {
    const sim = await simulator({ dataset: dataset([]) });
    sim.behaviours.quota = [{ points: 0, duration: 1 }];
    const error = await clientFor(sim, { rateLimitBackoffMs: 60, maxInlineWaitMs: 100 })
      .listUsers()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "RATE_LIMITED", kind: "RATE_LIMITED" });
    expect(tooMany(sim)).toBeGreaterThanOrEqual(2);
    expect(tooMany(sim)).toBeLessThan(10);
  });

  it("latency is tolerated within the timeout", async () => {
    const sim = await simulator({ dataset: dataset(calls(2, Date.now() - 10 * 24 * HOUR)) });
    sim.behaviours.latencyMs = 30;
    expect((await clientFor(sim).listCallsPage(adaUser, window(), null)).calls).toHaveLength(2);
  });
});
