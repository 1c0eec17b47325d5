import { describe, expect, it } from "vitest";
import { classifyStatus, ProviderError } from "../../../src/providers/errors.js";
import { classifyGongResponse, finalizeGongError } from "../../../src/providers/gong/client.js";
import { classifyTokenError } from "../../../src/providers/gong/oauth.js";
import { describeBody } from "../../../src/providers/http.js";
import { fixture } from "./support.js";

const NOW = 1_700_000_000_000;

/** What a Gong answer becomes once it has left ProviderHttp (custom reading, shared fallback, final pass). */
function classify(status: number, body: unknown, retryAfter: string | null = null): string {
  const info = { status, headers: new Headers(retryAfter ? { "retry-after": retryAfter } : {}), body };
  const custom = classifyGongResponse(info);
  if (custom === "empty") return "empty";
  const error = custom ?? classifyStatus(status, retryAfter, describeBody(body), 60_000, NOW);
  if (!error) return "ok";
  const final = finalizeGongError(error) as ProviderError;
  return `${final.code}/${final.kind}`;
}

const err = (...errors: string[]) => ({ requestId: "r1", errors });

describe("Gong answer classification", () => {
  it.each([
    [200, null, "ok"],
    [404, fixture("error-no-calls.json"), "empty"],
    [404, fixture("error-call-not-found.json"), "NOT_FOUND/PERMANENT"],
    [401, fixture("error-missing-scope.json"), "MISSING_SCOPE/RECONNECT_NEEDED"],
    [401, err("Access token has expired"), "AUTH_FAILED/RECONNECT_NEEDED"],
    [401, null, "AUTH_FAILED/RECONNECT_NEEDED"],
    [403, err("Insufficient permissions"), "ACCESS_DENIED/RECONNECT_NEEDED"],
    [400, fixture("error-validation.json"), "BAD_REQUEST/PERMANENT"],
    [400, err("cursor has expired"), "CURSOR_EXPIRED/TRANSIENT"],
    [400, err("failed to verify cursor"), "CURSOR_EXPIRED/TRANSIENT"],
    [401, err("Cursor has expired"), "CURSOR_EXPIRED/TRANSIENT"],
    [405, err("Method Not Allowed"), "BAD_REQUEST/PERMANENT"],
    [415, err("Unsupported Media Type"), "BAD_REQUEST/PERMANENT"],
    [429, err("API request limit exceeded"), "RATE_LIMITED/RATE_LIMITED"],
    [500, err("Internal server error occurred"), "PROVIDER_UNAVAILABLE/TRANSIENT"],
    [502, "<html>Bad gateway</html>", "PROVIDER_UNAVAILABLE/TRANSIENT"],
    [503, null, "PROVIDER_UNAVAILABLE/TRANSIENT"],
    [504, null, "PROVIDER_UNAVAILABLE/TRANSIENT"],
  ])("%i %j → %s", (status, body, expected) => {
    expect(classify(status, body)).toBe(expected);
  });

  it("a 429's Retry-After seconds become retryAt", () => {
    const info = { status: 429, headers: new Headers({ "retry-after": "7" }), body: err("API request limit exceeded") };
    expect(classifyGongResponse(info)).toBeNull();
    const e = classifyStatus(429, "7", "x", 60_000, NOW);
    expect(e?.details.retryAt).toBe(NOW + 7_000);
  });

  it("only a 401 that names a permission is a missing scope; other errors pass through unchanged", () => {
    const other = new ProviderError("AUTH_FAILED", "You don't have permission to use 'x'", { status: 403 });
    expect(finalizeGongError(other)).toBe(other);
    const plain = new Error("boom");
    expect(finalizeGongError(plain)).toBe(plain);
  });
});

describe("Gong token endpoint classification", () => {
  it.each([
    [400, { error: "invalid_grant", error_description: "Refresh token already used" }, "AUTH_FAILED"],
    [401, { error: "invalid_client" }, "AUTH_FAILED"],
    [400, { error: "unsupported_grant_type" }, "AUTH_FAILED"],
    [400, "Bad Request", "AUTH_FAILED"],
    [429, { error: "rate_limited" }, "RATE_LIMITED"],
    [500, null, "PROVIDER_UNAVAILABLE"],
    [503, "down", "PROVIDER_UNAVAILABLE"],
  ])("%i %j → %s", (status, body, expected) => {
    expect(classifyTokenError(status, body).code).toBe(expected);
  });
});
