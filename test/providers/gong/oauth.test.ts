import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/providers/errors.js";
import { classifyAuthorizeError, createGongOAuth, GONG_SCOPES } from "../../../src/providers/gong/oauth.js";
import type { OAuthFlow } from "../../../src/providers/types.js";
import { type GongSimulator, startGongSimulator } from "../../../src/simulators/gong/server.js";
import { connect, consent, isToken, oauthFor, REDIRECT, settledDataset } from "./support.js";

let sim: GongSimulator;
let flow: OAuthFlow;
beforeEach(async () => {
  sim = await startGongSimulator({ dataset: settledDataset() });
  flow = oauthFor(sim);
});
afterEach(() => sim.close());

const failure = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
};

describe("Gong OAuth authorization-code flow", () => {
  it("sends the admin to the authorize page with client id, code response type, %20-separated scopes, redirect and state — no PKCE", () => {
    const url = createGongOAuth({ clientId: "cid", clientSecret: "s" }).authorizeUrl({
      state: "xyz",
      redirectUri: REDIRECT,
    });
    expect(url.origin + url.pathname).toBe("https://app.gong.io/oauth2/authorize");
    expect(url.search).toContain(`scope=${GONG_SCOPES.join("%20").replaceAll(":", "%3A")}`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: "cid",
      response_type: "code",
      scope: GONG_SCOPES.join(" "),
      redirect_uri: REDIRECT,
      state: "xyz",
    });
    expect(GONG_SCOPES).not.toContain("api:calls:read:media-url");
  });

  it("exchanges the code with Basic client auth and query parameters and keeps api_base_url_for_customer", async () => {
    const before = Date.now();
    const creds = await connect(sim, flow);
    expect(creds).toMatchObject({ kind: "oauth", apiBaseUrl: sim.url, scope: GONG_SCOPES.join(" ") });
    expect(creds.accessToken).toMatch(/^at_/);
    expect(creds.refreshToken).toMatch(/^rt_/);
    expect(creds.expiresAt).toBeGreaterThanOrEqual(before + 86_400_000);
    const [req] = sim.log.find(isToken);
    expect(req?.method).toBe("POST");
    expect(req?.query.grant_type).toEqual(["authorization_code"]);
    expect(req?.query.redirect_uri).toEqual([REDIRECT]);
    expect(req?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString("base64")}`,
    );
  });

  it("uses expires_in from the token answer rather than a fixed lifetime", async () => {
    sim.oauth.accessTokenTtlSeconds = 120;
    const creds = await connect(sim, flow);
    expect(creds.expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    expect(creds.expiresAt).toBeGreaterThan(Date.now() + 100_000);
  });

  it("a code is single use: the second exchange fails with AUTH_FAILED", async () => {
    const code = (await consent(flow)).searchParams.get("code")!;
    await flow.exchangeCode({ code, redirectUri: REDIRECT });
    const e = await failure(flow.exchangeCode({ code, redirectUri: REDIRECT }));
    expect(e.code).toBe("AUTH_FAILED");
    expect(e.kind).toBe("RECONNECT_NEEDED");
  });

  it("refresh rotates the pair, and reusing the old refresh token is invalid_grant → AUTH_FAILED", async () => {
    const first = await connect(sim, flow);
    const second = await flow.refresh(first.refreshToken!);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.apiBaseUrl).toBe(sim.url);
    const refreshReq = sim.log.find(isToken).at(-1);
    expect(refreshReq?.query).toMatchObject({ grant_type: ["refresh_token"], refresh_token: [first.refreshToken] });
    const e = await failure(flow.refresh(first.refreshToken!));
    expect(e.code).toBe("AUTH_FAILED");
    expect(e.message).toMatch(/invalid_grant/);
    await expect(flow.refresh(second.refreshToken!)).resolves.toMatchObject({ kind: "oauth" });
  });

  it("overwrites the API base with the one each refresh returns", async () => {
    const first = await connect(sim, flow);
    sim.switches.apiBaseUrl = "https://company-17.api.gong.io";
    const second = await flow.refresh(first.refreshToken!);
    expect(second.apiBaseUrl).toBe("https://company-17.api.gong.io");
  });

  it("the simulator's token endpoint also accepts the parameters as a form body", async () => {
    const code = (await consent(flow)).searchParams.get("code")!;
    const res = await fetch(`${sim.url}/oauth2/generate-customer-token`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      token_type: "bearer",
      expires_in: 86_400,
      api_base_url_for_customer: sim.url,
    });
  });

  it("a wrong client secret is refused (AUTH_FAILED)", async () => {
    const bad = createGongOAuth({
      clientId: sim.clientId,
      clientSecret: "wrong",
      tokenUrl: `${sim.url}/oauth2/generate-customer-token`,
    });
    const e = await failure(bad.refresh("rt_whatever"));
    expect(e).toMatchObject({ code: "AUTH_FAILED", details: { status: 401 } });
  });

  it("a revoked app cannot refresh: AUTH_FAILED", async () => {
    const creds = await connect(sim, flow);
    sim.oauth.revokeAll();
    expect((await failure(flow.refresh(creds.refreshToken!))).code).toBe("AUTH_FAILED");
  });

  it("a 5xx from the token endpoint is transient; a hang is a timeout; neither is retried", async () => {
    const creds = await connect(sim, flow);
    sim.behaviours.failNext(1, 503);
    expect((await failure(flow.refresh(creds.refreshToken!))).code).toBe("PROVIDER_UNAVAILABLE");
    const quick = createGongOAuth({
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      tokenUrl: `${sim.url}/oauth2/generate-customer-token`,
      timeoutMs: 100,
    });
    sim.behaviours.hangNext = 1;
    expect((await failure(quick.refresh(creds.refreshToken!))).code).toBe("PROVIDER_TIMEOUT");
    expect(sim.log.count(isToken)).toBe(3);
  });

  it("a person who clicks Deny comes back with error=access_denied → DENIED", async () => {
    sim.oauth.nextConsent = "deny";
    const back = await consent(flow, "s-9");
    expect(back.searchParams.get("state")).toBe("s-9");
    expect(back.searchParams.get("code")).toBeNull();
    expect(classifyAuthorizeError(back.searchParams.get("error")!, back.searchParams.get("error_description")!)).toBe(
      "DENIED",
    );
  });

  it("a person who may not install apps comes back with unauthorized_client → FORBIDDEN", async () => {
    sim.oauth.nextConsent = "forbidden";
    const back = await consent(flow);
    expect(
      classifyAuthorizeError(back.searchParams.get("error")!, back.searchParams.get("error_description") ?? undefined),
    ).toBe("FORBIDDEN");
  });
});

describe("classifyAuthorizeError", () => {
  it.each([
    ["access_denied", undefined, "DENIED"],
    ["access_denied", "The user denied access", "DENIED"],
    ["ACCESS_DENIED", "", "DENIED"],
    ["unauthorized_client", undefined, "FORBIDDEN"],
    ["access_denied", "Only a technical administrator can install apps", "FORBIDDEN"],
    ["access_denied", "You do not have permission to authorize third-party apps", "FORBIDDEN"],
    ["server_error", undefined, "FAILED"],
    ["invalid_request", "redirect_uri mismatch", "FAILED"],
    ["temporarily_unavailable", undefined, "FAILED"],
  ] as const)("%s (%s) → %s", (error, description, expected) => {
    expect(classifyAuthorizeError(error, description)).toBe(expected);
  });
});
