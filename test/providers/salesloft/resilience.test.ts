import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/providers/errors.js";
import { classifySalesloftResponse, salesloftPageCost } from "../../../src/providers/salesloft/client.js";
import { type Harness, harness, requests } from "./helpers.js";

let h: Harness;
afterEach(async () => h?.close());

const NOW = 1_700_000_000_000;
const info = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  body,
  headers: new Headers(headers),
});

describe("Salesloft failure classification", () => {
  it.each([
    [401, { status: 401, error: "Unauthorized" }, {}, "AUTH_FAILED", "RECONNECT_NEEDED"],
    [403, { status: 403, error: "Forbidden" }, {}, "MISSING_SCOPE", "RECONNECT_NEEDED"],
    [404, { status: 404, error: "Not Found" }, {}, "NOT_FOUND", "PERMANENT"],
    [422, { errors: { per_page: ["must be between 1 and 100"] } }, {}, "BAD_REQUEST", "PERMANENT"],
    [400, "bad", {}, "BAD_REQUEST", "PERMANENT"],
    [429, { status: 429, error: "Too Many Requests" }, { "retry-after": "7" }, "RATE_LIMITED", "RATE_LIMITED"],
    [429, null, {}, "RATE_LIMITED", "RATE_LIMITED"],
    [500, { status: 500, error: "Internal Server Error" }, {}, "PROVIDER_UNAVAILABLE", "TRANSIENT"],
    [502, "<html>bad gateway</html>", {}, "PROVIDER_UNAVAILABLE", "TRANSIENT"],
    [503, null, {}, "PROVIDER_UNAVAILABLE", "TRANSIENT"],
    [408, null, {}, "PROVIDER_UNAVAILABLE", "TRANSIENT"],
  ] as const)("HTTP %i %j → %s (%s)", (status, body, headers, code, kind) => {
    const e = classifySalesloftResponse(info(status, body, headers), 60_000, NOW);
    expect(e).toBeInstanceOf(ProviderError);
    expect([e.code, e.kind, e.details.status]).toEqual([code, kind, status]);
  });

  it("429 retryAt comes from Retry-After, else the 60 s default", () => {
    expect(classifySalesloftResponse(info(429, null, { "retry-after": "7" }), 60_000, NOW).details.retryAt).toBe(
      NOW + 7_000,
    );
    expect(classifySalesloftResponse(info(429, null), undefined, NOW).details.retryAt).toBe(NOW + 60_000);
  });

  it("messages name the field of a 422 validation error", () => {
    const e = classifySalesloftResponse(info(422, { errors: { created_at: ["is not a valid date-time"] } }));
    expect(e.message).toContain("created_at is not a valid date-time");
  });

  it.each([
    [1, 1],
    [100, 1],
    [101, 3],
    [150, 3],
    [151, 8],
    [250, 8],
    [251, 10],
    [500, 10],
    [501, 30],
  ])("page %i costs %i", (page, cost) => {
    expect(salesloftPageCost(page)).toBe(cost);
  });
});

describe("Salesloft client under faults", () => {
  it("a 429 with Retry-After is waited out and the request retried", async () => {
    h = await harness();
    h.sim.behaviours.quota = [{ points: 2, duration: 1 }];
    const waits: string[] = [];
    const client = h.makeClient({ onWait: (reason) => waits.push(reason) });
    const started = Date.now();
    await client.verify(); // me + team = 2 points
    await client.listUsers(); // over budget → 429 Retry-After: 1
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(waits).toContain("RATE_LIMIT");
    expect(h.sim.log.count((r) => r.status === 429)).toBe(1);
    const limited = h.sim.log.find((r) => r.status === 429)[0];
    expect(limited?.path).toBe("/v2/users");
  });

  it("a 429 without Retry-After falls back to the configured default wait", async () => {
    h = await harness();
    h.sim.behaviours.sendRetryAfter = false;
    h.sim.behaviours.failNext(1, 429);
    const client = h.makeClient({ defaultRetryAfterMs: 30 });
    expect((await client.listUsers()).users).toHaveLength(h.sim.dataset.users.length);
    expect(requests(h.sim, "/v2/users")).toBe(2);
  });

  it("a long rate limit is surfaced as RATE_LIMITED with retryAt instead of slept through", async () => {
    h = await harness();
    h.sim.behaviours.sendRetryAfter = false;
    h.sim.behaviours.failNext(1, 429);
    const client = h.makeClient({ defaultRetryAfterMs: 60_000, maxInlineWaitMs: 1_000 });
    const e = await client.listUsers().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "RATE_LIMITED" });
    expect((e as ProviderError).details.retryAt).toBeGreaterThan(Date.now() + 50_000);
  });

  it("every response carries the cost headers; deep pages are charged more", async () => {
    h = await harness();
    const first = await fetch(`${h.sim.url}/v2/users?page=1`, {
      headers: { authorization: `Bearer ${h.session.credentials.accessToken}` },
    });
    const deep = await fetch(`${h.sim.url}/v2/users?page=151`, {
      headers: { authorization: `Bearer ${h.session.credentials.accessToken}` },
    });
    expect(first.headers.get("x-ratelimit-endpoint-cost")).toBe("1");
    expect(deep.headers.get("x-ratelimit-endpoint-cost")).toBe("8");
    expect(Number(first.headers.get("x-ratelimit-remaining-minute"))).toBe(599);
    expect(Number(deep.headers.get("x-ratelimit-remaining-minute"))).toBe(591);
  });
});
