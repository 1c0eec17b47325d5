/**
 * The demo's switches, without a browser: the Gong and Salesloft consent pages answer Allow,
 * Deny and "no permission" with the OAuth redirects callsync classifies, and every simulator's
 * /_sim control makes a provider user's call listings fail (503) until switched back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startClariSimulator } from "../../src/simulators/clari/server.js";
import { startGongSimulator } from "../../src/simulators/gong/server.js";
import { startSalesloftSimulator } from "../../src/simulators/salesloft/server.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const REDIRECT = "http://127.0.0.1:9/oauth/callback/x";

async function consentFlow(authorizeUrl: string, clientId: string) {
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: REDIRECT,
    state: "st-1",
    scope: "api:calls:read:basic",
  });
  const page = await fetch(`${authorizeUrl}?${query}`, { redirect: "manual" });
  const html = await page.text();
  const decide = async (decision: string, account = "admin") => {
    const res = await fetch(authorizeUrl, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...Object.fromEntries(query), decision, account }),
    });
    expect(res.status).toBe(302);
    return new URL(res.headers.get("location")!);
  };
  return { status: page.status, html, decide };
}

describe("simulated consent pages", () => {
  it.each(["gong", "salesloft"] as const)(
    "%s: the page asks; Allow, Deny and no permission redirect as a provider does",
    async (name) => {
      const sim = name === "gong" ? await startGongSimulator() : await startSalesloftSimulator();
      closers.push(sim.close);
      sim.oauth.consentPage = true;
      const path = name === "gong" ? "/oauth2/authorize" : "/oauth/authorize";
      const flow = await consentFlow(`${sim.url}${path}`, sim.clientId);
      expect(flow.status).toBe(200);
      expect(flow.html).toContain('value="allow"');
      expect(flow.html).toContain('value="deny"');
      expect(flow.html).toContain("no permission to authorize apps");

      const denied = await flow.decide("deny");
      expect(`${denied.origin}${denied.pathname}`).toBe(REDIRECT);
      expect(Object.fromEntries(denied.searchParams)).toMatchObject({ error: "access_denied", state: "st-1" });
      const forbidden = await flow.decide("allow", "no-permission");
      expect(Object.fromEntries(forbidden.searchParams)).toMatchObject({ error: "unauthorized_client", state: "st-1" });
      const allowed = await flow.decide("allow");
      expect(allowed.searchParams.get("error")).toBeNull();
      expect(allowed.searchParams.get("code")).toMatch(/^[0-9a-f]{32}$/);
      expect(allowed.searchParams.get("state")).toBe("st-1");
    },
  );

  it("without the page (tests), the authorize URL answers at once", async () => {
    const sim = await startGongSimulator();
    closers.push(sim.close);
    const flow = await consentFlow(`${sim.url}/oauth2/authorize`, sim.clientId);
    expect(flow.status).toBe(302);
  });
});

describe("/_sim: make provider users fail", () => {
  it("Gong: a failing user's call listing answers 503 until cleared; the others are unaffected", async () => {
    const sim = await startGongSimulator();
    closers.push(sim.close);
    const [ada, max] = sim.dataset.users;
    const calls = (userId: string) =>
      fetch(`${sim.url}/v2/calls/extensive`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${sim.grantTokens().accessToken}` },
        body: JSON.stringify({ filter: { primaryUserIds: [userId] } }),
      }).then((r) => r.status);
    expect(await calls(ada!.id)).toBe(200);

    // The page's button posts a form and comes back to the page.
    const toggled = await fetch(`${sim.url}/_sim/failing-users`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ toggle: ada!.emailAddress! }),
    });
    expect(toggled.status).toBe(303);
    expect(await (await fetch(`${sim.url}/_sim`)).text()).toContain("failing (503)");
    expect(await calls(ada!.id)).toBe(503);
    expect(await calls(max!.id)).toBe(200);

    const cleared = await fetch(`${sim.url}/_sim/failing-users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ emails: [] }),
    });
    expect(await cleared.json()).toMatchObject({ failing: [] });
    expect(await calls(ada!.id)).toBe(200);
  });

  it("Salesloft and Clari Copilot: the JSON control fails exactly the named users", async () => {
    const salesloft = await startSalesloftSimulator();
    const clari = await startClariSimulator();
    closers.push(salesloft.close, clari.close);
    const email = salesloft.dataset.users[0]!.email!;
    for (const url of [salesloft.url, clari.url]) {
      const set = await fetch(`${url}/_sim/failing-users`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ emails: [email.toUpperCase()] }),
      });
      expect(await set.json()).toMatchObject({ failing: [email.toLowerCase()] });
    }
    salesloft.apiKeys.add("key");
    const guid = salesloft.dataset.users[0]!.guid;
    const other = salesloft.dataset.users[1]!.guid;
    const conversations = (g: string) =>
      fetch(`${salesloft.url}/v2/conversations?user_guids[]=${g}`, { headers: { authorization: "Bearer key" } }).then(
        (r) => r.status,
      );
    expect(await conversations(guid)).toBe(503);
    expect(await conversations(other)).toBe(200);

    const { apiKey, apiSecret } = clari.apiKeys.default;
    const clariCalls = (who: string) =>
      fetch(`${clari.url}/calls?filterUser[]=${encodeURIComponent(who)}`, {
        headers: { "x-api-key": apiKey, "x-api-password": apiSecret },
      }).then((r) => r.status);
    expect(await clariCalls(email)).toBe(503);
    expect(await clariCalls(clari.dataset.users[1]!.email!)).toBe(200);

    const bad = await fetch(`${clari.url}/_sim/failing-users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ emails: "everyone" }),
    });
    expect(bad.status).toBe(400);
  });
});
