import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/providers/errors.js";
import { createGongPacer, GONG_MIN_INTERVAL_MS } from "../../../src/providers/gong/client.js";
import type { GongCallData } from "../../../src/providers/gong/schemas.js";
import { GONG_SIM_QUOTA } from "../../../src/simulators/gong/server.js";
import { LeaseLost } from "../../../src/sync/lease.js";
import { type Harness, harness } from "./support.js";

let h: Harness;
afterEach(() => h?.close());

const failure = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
};

describe("Gong: rate limits", () => {
  it("a 429 carries Retry-After seconds; the client waits that long, then succeeds", async () => {
    h = await harness();
    h.sim.behaviours.quota = [{ points: 1, duration: 1 }];
    const waits: number[] = [];
    const client = h.newClient({
      onWait: (reason, until) => reason === "RATE_LIMIT" && waits.push(until - Date.now()),
    });
    await client.verify();
    const started = Date.now();
    await client.verify(); // over the simulator's 1/s
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const statuses = h.sim.log.entries.map((r) => r.status);
    expect(statuses).toEqual([200, 429, 200]);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(500);
  });

  it("429s without Retry-After are backed off from about 1 s, doubling (never a flat minute), and spend no attempt", async () => {
    h = await harness();
    h.sim.behaviours.failNext(2, 429, "/v2/workspaces");
    const waits: number[] = [];
    // Two attempts: two 429s in a row are waited out only if they spend none.
    const client = h.newClient({
      attempts: 2,
      onWait: (reason, until) => reason === "RATE_LIMIT" && waits.push(until - Date.now()),
    });
    const started = Date.now();
    await client.verify();
    expect(h.sim.log.entries.map((r) => r.status)).toEqual([429, 429, 200]);
    // 1 s then 2 s, each with ±25 % jitter (less the moment it took to notice).
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThan(500);
    expect(waits[0]).toBeLessThanOrEqual(1_250);
    expect(waits[1]).toBeGreaterThan(1_000);
    expect(waits[1]).toBeLessThanOrEqual(2_500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it("the simulator's 429 is Gong's: Retry-After in integer seconds and an {requestId, errors} body", async () => {
    h = await harness();
    h.sim.behaviours.quota = [{ points: 1, duration: 30 }];
    const auth = h.session.credentials.kind === "oauth" ? h.session.credentials.accessToken : "";
    await fetch(`${h.sim.url}/v2/workspaces`, { headers: { authorization: `Bearer ${auth}` } });
    const res = await fetch(`${h.sim.url}/v2/workspaces`, { headers: { authorization: `Bearer ${auth}` } });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await res.json()).toMatchObject({ requestId: expect.any(String), errors: [expect.any(String)] });
  });

  it("a Retry-After longer than the inline wait surfaces as RATE_LIMITED with retryAt", async () => {
    h = await harness({ client: { maxInlineWaitMs: 1_000 } });
    h.sim.behaviours.quota = [{ points: 1, duration: 30 }];
    await h.client.verify();
    const before = Date.now();
    const e = await failure(h.client.verify());
    expect(e.code).toBe("RATE_LIMITED");
    expect(e.details.retryAt).toBeGreaterThanOrEqual(before + 28_000);
  });

  it("at Gong's documented 3 requests per second, the client's pacing and spacing never draw a 429", async () => {
    h = await harness();
    h.sim.behaviours.quota = GONG_SIM_QUOTA;
    const client = h.newClient({
      pacer: createGongPacer({ prefix: `t${Date.now()}` }),
      paceKey: "paced",
    });
    const started = Date.now();
    for (let i = 0; i < 7; i++) await client.verify();
    expect(h.sim.log.count((r) => r.status === 429)).toBe(0);
    expect(h.sim.log.count()).toBe(7);
    expect(Date.now() - started).toBeGreaterThanOrEqual(6 * GONG_MIN_INTERVAL_MS - 5);
  });
});

describe("Gong: a runner that lost its lease", () => {
  // The import's lease is the client's signal: a runner taken over (its lock expired while the
  // database was away) sends nothing more, even in the middle of waiting out a 429; before, it
  // slept on and asked again, at the same time as the runner that took the user over.
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("stops waiting out a 429 at once and does not ask again", async () => {
    h = await harness();
    h.sim.behaviours.failNext(1, 429, "/v2/workspaces", { "Retry-After": "2" });
    const lease = new AbortController();
    const client = h.newClient({ signal: lease.signal });
    const started = Date.now();
    const verify = client.verify().then(
      () => null,
      (e: unknown) => e,
    );
    await sleep(300);
    lease.abort(new LeaseLost("taken over"));
    expect(await verify).toBeInstanceOf(LeaseLost);
    expect(Date.now() - started).toBeLessThan(1_000);
    await sleep(2_200);
    expect(h.sim.log.entries.map((r) => `${r.path} ${r.status}`)).toEqual(["/v2/workspaces 429"]);
  });

  it("ends a request in flight and retries nothing", async () => {
    h = await harness();
    h.sim.behaviours.latencyMs = 1_000;
    const lease = new AbortController();
    const client = h.newClient({ signal: lease.signal });
    const verify = client.verify().then(
      () => null,
      (e: unknown) => e,
    );
    await sleep(200);
    lease.abort(new LeaseLost("taken over"));
    expect(await verify).toBeInstanceOf(LeaseLost);
    await sleep(1_500);
    expect(h.sim.log.entries).toHaveLength(1);
  });
});

describe("Gong: transient failures", () => {
  it("a failure that outlasts the attempts is PROVIDER_UNAVAILABLE (TRANSIENT)", async () => {
    h = await harness({ client: { attempts: 2 } });
    h.sim.behaviours.failNext(2, 500);
    const e = await failure(h.client.listUsers());
    expect(e).toMatchObject({ code: "PROVIDER_UNAVAILABLE", kind: "TRANSIENT" });
    expect(e.message).toContain("Internal server error occurred");
  });

  it("an answer of the wrong shape is BAD_RESPONSE (PERMANENT), not retried", async () => {
    h = await harness();
    const e = await failure(
      h
        .newClient({
          fetch: async () => Response.json({ requestId: "r", calls: { not: "a list" } }, { status: 200 }),
        })
        .fetchCalls(["1234567890123456789"]),
    );
    expect(e).toMatchObject({ code: "BAD_RESPONSE", kind: "PERMANENT" });
  });

  it("one call of the wrong shape is left out of a follow-up; the others come back", async () => {
    h = await harness();
    const broken: GongCallData = structuredClone(h.sim.dataset.calls[0]!);
    broken.metaData.id = "1234567890123456789";
    broken.content = { ...broken.content, brief: 42 as unknown as string }; // Gong promises a string
    h.sim.dataset.calls.push(broken);
    h.sim.log.clear();
    const calls = await h.client.fetchCalls(["1234567890123456789", h.sim.dataset.calls[0]!.metaData.id]);
    expect(calls.map((c) => c.providerCallId)).toEqual([h.sim.dataset.calls[0]!.metaData.id]);
  });
});
