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
    const answers = await Promise.all(Array.from({ length: 11 }, () => fetch(`${sim.url}/users`, { headers })));
    const limited = answers.filter((r) => r.status === 429);
    expect(limited).toHaveLength(1);
    expect(limited[0]?.headers.get("retry-after")).toBeNull();
    expect(await limited[0]?.json()).toEqual({ message: "Too Many Requests" });
  });

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
    expect((await clientFor(sim).listUsers()).length).toBe(2);
    await expect(clientFor(sim, { attempts: 1 }).listUsers()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    sim.clock.set(Date.parse("2025-06-15T00:00:01.000Z"));
    expect((await clientFor(sim).listUsers()).length).toBe(2);
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

  it("a burst of 5xx answers is retried with backoff and the page completes", async () => {
    const sim = await simulator({ dataset: dataset(calls(3, Date.now() - 10 * 24 * HOUR)) });
    sim.behaviours.failNext(1, 500);
    sim.behaviours.failNext(1, 504);
    const page = await clientFor(sim).listCallsPage(adaUser, window(), null);
    expect(page.calls).toHaveLength(3);
    expect(sim.log.entries.slice(0, 3).map((r) => r.status)).toEqual([500, 504, 200]);
  });

  it("a 5xx burst longer than the retries fails the page as PROVIDER_UNAVAILABLE (retryable)", async () => {
    const sim = await simulator({ dataset: dataset(calls(3, Date.now() - 10 * 24 * HOUR)) });
    sim.behaviours.failNext(10, 503);
    const error = await clientFor(sim, { attempts: 2 })
      .listCallsPage(adaUser, window(), null)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "PROVIDER_UNAVAILABLE", retryable: true });
  });

  it("a request that hangs times out as PROVIDER_TIMEOUT, then a retry succeeds", async () => {
    const sim = await simulator({ dataset: dataset(calls(2, Date.now() - 10 * 24 * HOUR)) });
    sim.behaviours.hangNext = 1;
    const page = await clientFor(sim, { timeoutMs: 100 }).listCallsPage(adaUser, window(), null);
    expect(page.calls).toHaveLength(2);

    sim.behaviours.hangNext = 5;
    const error = await clientFor(sim, { timeoutMs: 50, attempts: 1 })
      .listCallsPage(adaUser, window(), null)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "PROVIDER_TIMEOUT", kind: "TRANSIENT" });
  });

  it("latency is tolerated within the timeout", async () => {
    const sim = await simulator({ dataset: dataset(calls(2, Date.now() - 10 * 24 * HOUR)) });
    sim.behaviours.latencyMs = 30;
    expect((await clientFor(sim).listCallsPage(adaUser, window(), null)).calls).toHaveLength(2);
  });
});
