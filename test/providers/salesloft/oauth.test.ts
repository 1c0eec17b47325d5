import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/providers/errors.js";
import { classifyAuthorizeError, createSalesloftOAuth } from "../../../src/providers/salesloft/oauth.js";
import { type SalesloftSimulator, startSalesloftSimulator } from "../../../src/simulators/salesloft/server.js";
import { authorize, oauthFor, REDIRECT_URI } from "./helpers.js";

let sim: SalesloftSimulator;
afterEach(async () => sim?.close());

const rejection = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
};

describe("Salesloft OAuth", () => {
  it("builds the authorize URL with client_id, redirect_uri, response_type=code and state, and no scope", () => {
    const flow = createSalesloftOAuth({ clientId: "app-1", clientSecret: "s" });
    const url = flow.authorizeUrl({ state: "xyz", redirectUri: REDIRECT_URI });
    expect(url.origin + url.pathname).toBe("https://accounts.salesloft.com/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: "app-1",
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      state: "xyz",
    });
  });

  it("exchanges the callback code for tokens whose expiry comes from expires_in", async () => {
    sim = await startSalesloftSimulator();
    const flow = createSalesloftOAuth({
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      accountsBaseUrl: sim.url,
      now: () => 1_000_000,
    });
    const callback = await authorize(flow, "state-42");
    expect(callback.searchParams.get("state")).toBe("state-42");
    expect(callback.searchParams.get("context")).toBeTruthy();
    const creds = await flow.exchangeCode({ code: callback.searchParams.get("code") ?? "", redirectUri: REDIRECT_URI });
    expect(creds).toMatchObject({ kind: "oauth", apiBaseUrl: null, expiresAt: 1_000_000 + 7_200_000 });
    expect(creds.accessToken).toMatch(/^at_/);
    expect(creds.refreshToken).toMatch(/^rt_/);
    const tokenCall = sim.log.find((r) => r.path === "/oauth/token")[0];
    expect(tokenCall?.body).toMatchObject({
      grant_type: "authorization_code",
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
    });
  });

  it("a code can be used once: the second exchange is AUTH_FAILED", async () => {
    sim = await startSalesloftSimulator();
    const flow = oauthFor(sim);
    const code = (await authorize(flow)).searchParams.get("code") ?? "";
    await flow.exchangeCode({ code, redirectUri: REDIRECT_URI });
    const e = await rejection(flow.exchangeCode({ code, redirectUri: REDIRECT_URI }));
    expect(e.code).toBe("AUTH_FAILED");
    expect(e.kind).toBe("RECONNECT_NEEDED");
  });

  it("refresh rotates the refresh token, and reusing the old one is invalid_grant → AUTH_FAILED", async () => {
    sim = await startSalesloftSimulator();
    const flow = oauthFor(sim);
    const code = (await authorize(flow)).searchParams.get("code") ?? "";
    const first = await flow.exchangeCode({ code, redirectUri: REDIRECT_URI });
    const second = await flow.refresh(first.refreshToken ?? "");
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    const e = await rejection(flow.refresh(first.refreshToken ?? ""));
    expect(e.code).toBe("AUTH_FAILED");
    expect(e.details.status).toBe(400);
    await expect(flow.refresh(second.refreshToken ?? "")).resolves.toMatchObject({ kind: "oauth" });
  });

  it("a wrong client secret is a configuration error, not a reconnect", async () => {
    sim = await startSalesloftSimulator();
    const flow = createSalesloftOAuth({ clientId: sim.clientId, clientSecret: "wrong", accountsBaseUrl: sim.url });
    const e = await rejection(flow.refresh("rt_whatever"));
    expect(e.code).toBe("BAD_REQUEST");
  });

  it("a token endpoint outage is PROVIDER_UNAVAILABLE (retryable)", async () => {
    sim = await startSalesloftSimulator();
    sim.behaviours.failNext(1, 503);
    const e = await rejection(oauthFor(sim).refresh("rt_x"));
    expect(e.code).toBe("PROVIDER_UNAVAILABLE");
    expect(e.retryable).toBe(true);
  });

  it("denial and missing permission come back on the redirect and classify as DENIED / FORBIDDEN", async () => {
    sim = await startSalesloftSimulator();
    const flow = oauthFor(sim);
    sim.oauth.nextConsent = "deny";
    const denied = await authorize(flow);
    sim.oauth.nextConsent = "forbidden";
    const forbidden = await authorize(flow);
    const classify = (u: URL) =>
      classifyAuthorizeError(u.searchParams.get("error") ?? "", u.searchParams.get("error_description") ?? undefined);
    expect(denied.searchParams.get("code")).toBeNull();
    expect(classify(denied)).toBe("DENIED");
    expect(classify(forbidden)).toBe("FORBIDDEN");
  });

  it.each([
    ["access_denied", undefined, "DENIED"],
    ["access_denied", "The resource owner or authorization server denied the request.", "DENIED"],
    ["unauthorized_client", undefined, "FORBIDDEN"],
    ["access_denied", "Only an admin can authorize this application", "FORBIDDEN"],
    ["invalid_request", "You do not have permission to install apps", "FORBIDDEN"],
    ["server_error", undefined, "FAILED"],
    ["invalid_scope", "Unknown scope", "FAILED"],
  ] as const)("classifyAuthorizeError(%s, %s) = %s", (error, description, expected) => {
    expect(classifyAuthorizeError(error, description)).toBe(expected);
  });
});
