import { describe, expect, it } from "vitest";
import { nextClariWeeklyReset } from "../../../src/providers/clari/client.js";
import { createClariClient } from "../../../src/providers/clari/index.js";
import { ProviderError } from "../../../src/providers/errors.js";
import { adaUser, fastPacer } from "./support.js";

type Endpoint = "verify" | "list" | "details";

interface Row {
  rule: string;
  endpoint: Endpoint;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A ProviderError code, or "omitted" (fetchCalls leaves the call out), or "ok". */
  expected: string;
  retryAt?: (now: number) => number;
}

const json = (o: unknown) => JSON.stringify(o);
const DETAILS = {
  call: { id: "c1", status: "POST_PROCESSING_DONE", time: "2025-06-10T08:14:00.000Z", transcript: [] },
};

const rows: Row[] = [
  {
    rule: "401 on a later call: credentials revoked",
    endpoint: "list",
    status: 401,
    body: { message: "Unauthorized" },
    expected: "AUTH_FAILED",
  },
  {
    rule: "403 on a later call: credentials revoked",
    endpoint: "list",
    status: 403,
    body: { message: "Forbidden" },
    expected: "AUTH_FAILED",
  },
  {
    rule: "403 on a details call: credentials revoked",
    endpoint: "details",
    status: 403,
    body: { message: "Forbidden" },
    expected: "AUTH_FAILED",
  },
  {
    rule: "401 on verification: invalid key or secret",
    endpoint: "verify",
    status: 401,
    body: { message: "Unauthorized" },
    expected: "INVALID_API_CREDENTIALS",
  },
  {
    rule: "403 on verification: invalid key or secret",
    endpoint: "verify",
    status: 403,
    body: { message: "Forbidden" },
    expected: "INVALID_API_CREDENTIALS",
  },
  {
    rule: "429 without Retry-After: the per-second limit, back off about a second",
    endpoint: "list",
    status: 429,
    body: { message: "Too Many Requests" },
    expected: "RATE_LIMITED",
    retryAt: (now) => now + 1000,
  },
  {
    rule: "429 'Limit Exceeded': the weekly quota, wait for Sunday 00:00 GMT",
    endpoint: "list",
    status: 429,
    body: { message: "Limit Exceeded" },
    expected: "RATE_LIMITED",
    retryAt: (now) => nextClariWeeklyReset(now),
  },
  {
    rule: "429 with Retry-After: honoured",
    endpoint: "details",
    status: 429,
    headers: { "retry-after": "7" },
    body: { message: "Too Many Requests" },
    expected: "RATE_LIMITED",
    retryAt: (now) => now + 7000,
  },
  {
    rule: "500: transient",
    endpoint: "list",
    status: 500,
    body: { message: "Internal server error" },
    expected: "PROVIDER_UNAVAILABLE",
  },
  {
    rule: "503: transient",
    endpoint: "details",
    status: 503,
    body: { message: "Service Unavailable" },
    expected: "PROVIDER_UNAVAILABLE",
  },
  {
    rule: "504 gateway timeout: transient",
    endpoint: "details",
    status: 504,
    body: { message: "Endpoint request timed out" },
    expected: "PROVIDER_UNAVAILABLE",
  },
  {
    rule: "502 on /calls even at limit 1: transient",
    endpoint: "list",
    status: 502,
    body: { message: "Internal server error" },
    expected: "PROVIDER_UNAVAILABLE",
  },
  {
    rule: "502 on /call-details: transient",
    endpoint: "details",
    status: 502,
    body: { message: "Internal server error" },
    expected: "PROVIDER_UNAVAILABLE",
  },
  {
    rule: "400 on /calls: our request is wrong",
    endpoint: "list",
    status: 400,
    body: { message: "limit must be ≤ 100" },
    expected: "BAD_REQUEST",
  },
  {
    rule: "404 on /call-details: unknown or not ready, left out",
    endpoint: "details",
    status: 404,
    body: { error: "Call not found" },
    expected: "omitted",
  },
  {
    rule: "400 on /call-details: unknown or not ready, left out",
    endpoint: "details",
    status: 400,
    body: { error: "Invalid id" },
    expected: "omitted",
  },
  {
    rule: "200 that is not JSON: bad response",
    endpoint: "list",
    status: 200,
    body: "<html>",
    expected: "BAD_RESPONSE",
  },
  {
    rule: "200 whose calls are not a list: bad response (a call without id is skipped, see the contract suite)",
    endpoint: "list",
    status: 200,
    body: { calls: { status: "PROCESSED", time: "2025-06-10T08:14:00.000Z" } },
    expected: "BAD_RESPONSE",
  },
  {
    rule: "200 with an unreadable call time: that call is left out, not the answer failed (an import counts it, see clari-varieties)",
    endpoint: "details",
    status: 200,
    body: { call: { ...DETAILS.call, time: "yesterday" } },
    expected: "omitted",
  },
  {
    rule: "200 with unknown extra fields and an unknown status: accepted",
    endpoint: "details",
    status: 200,
    body: { call: { ...DETAILS.call, status: "NEW_STATE", brandNew: { x: 1 } }, extra: true },
    expected: "ok",
  },
];

/** Answers every request with the row's response, except /users outside verification (names for the mapper). */
function clientAnswering(endpoint: Endpoint, status: number, body: unknown, headers: Record<string, string> = {}) {
  const fetchStub: typeof fetch = async (input) =>
    endpoint !== "verify" && new URL(String(input)).pathname === "/users"
      ? new Response(json({ users: [] }), { status: 200, headers: { "content-type": "application/json" } })
      : new Response(typeof body === "string" ? body : json(body), {
          status,
          headers: { "content-type": typeof body === "string" ? "text/html" : "application/json", ...headers },
        });
  return createClariClient({
    session: {
      current: async () => ({ kind: "apiKey", apiKey: "k", apiSecret: "s" }),
      refresh: async (c) => c,
    },
    pacer: fastPacer(),
    paceKey: "w",
    baseUrl: "http://clari.invalid",
    fetch: fetchStub,
    attempts: 1,
    maxInlineWaitMs: 0,
    rateLimitBackoffMs: 1000,
  });
}

async function run(endpoint: Endpoint, client: ReturnType<typeof createClariClient>) {
  if (endpoint === "verify") return client.verify();
  if (endpoint === "details") return client.fetchCalls(["c1"]);
  return client.listCallsPage(adaUser, { fromMs: 0, toMs: Date.now() }, null);
}

describe("Clari Copilot failure classification", () => {
  for (const row of rows) {
    it(`${row.rule} → ${row.expected}`, async () => {
      const before = Date.now();
      const outcome = await run(row.endpoint, clientAnswering(row.endpoint, row.status, row.body, row.headers)).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      if (row.expected === "omitted") return expect(outcome).toEqual({ value: [] });
      if (row.expected === "ok") return expect("value" in outcome).toBe(true);
      expect("error" in outcome && outcome.error).toBeInstanceOf(ProviderError);
      const error = (outcome as { error: ProviderError }).error;
      expect(error.code).toBe(row.expected);
      if (row.status !== 200) expect(error.details.status).toBe(row.status);
      if (row.retryAt) {
        const expected = row.retryAt(before);
        expect(error.details.retryAt).toBeGreaterThanOrEqual(expected - 50);
        expect(error.details.retryAt).toBeLessThanOrEqual(row.retryAt(Date.now()) + 50);
      }
    });
  }

  it("a network failure is PROVIDER_UNAVAILABLE", async () => {
    const client = createClariClient({
      session: { current: async () => ({ kind: "apiKey", apiKey: "k", apiSecret: "s" }), refresh: async (c) => c },
      pacer: fastPacer(),
      paceKey: "w",
      baseUrl: "http://clari.invalid",
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
      attempts: 1,
    });
    await expect(client.listUsers()).rejects.toMatchObject({ code: "PROVIDER_UNAVAILABLE", kind: "TRANSIENT" });
  });

  it("verification falls back to GET /calls?limit=1 when /users is not there", async () => {
    const seen: string[] = [];
    const client = createClariClient({
      session: { current: async () => ({ kind: "apiKey", apiKey: "k", apiSecret: "s" }), refresh: async (c) => c },
      pacer: fastPacer(),
      paceKey: "w",
      baseUrl: "http://clari.invalid",
      fetch: async (input) => {
        const url = new URL(String(input));
        seen.push(`${url.pathname}${url.search}`);
        return url.pathname === "/users"
          ? new Response(json({ message: "Not Found" }), {
              status: 404,
              headers: { "content-type": "application/json" },
            })
          : new Response(json({ calls: [] }), { status: 200, headers: { "content-type": "application/json" } });
      },
      attempts: 1,
    });
    await expect(client.verify()).resolves.toMatchObject({ name: null });
    expect(seen).toEqual(["/users", "/calls?limit=1&includePagination=false"]);
  });
});

describe("Clari Copilot weekly quota reset: Sunday 00:00 GMT", () => {
  const table: [string, string][] = [
    ["2025-06-11T14:25:00.000Z", "2025-06-15T00:00:00.000Z"], // Wednesday
    ["2025-06-14T23:59:59.000Z", "2025-06-15T00:00:00.000Z"], // Saturday night
    ["2025-06-15T00:00:00.000Z", "2025-06-22T00:00:00.000Z"], // the reset instant itself
    ["2025-06-15T10:00:00.000Z", "2025-06-22T00:00:00.000Z"], // Sunday morning
    ["2025-12-29T08:00:00.000Z", "2026-01-04T00:00:00.000Z"], // across the year
  ];
  for (const [now, reset] of table)
    it(`${now} → ${reset}`, () => {
      expect(new Date(nextClariWeeklyReset(Date.parse(now))).toISOString()).toBe(reset);
    });
});
