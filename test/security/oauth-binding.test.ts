/**
 * Rule 1: OAuth is bound to the browser and the admin that started it. The authorization URL
 * callsync returns is its own start route, which only the admin who asked for it can start (POST
 * with their token, once); that browser gets a short-lived HttpOnly SameSite=Lax cookie holding
 * a PKCE verifier; the provider (the simulators check PKCE) needs that verifier to hand out
 * tokens, and callsync's callback refuses a state that arrives without its cookie as
 * AUTHORIZATION_SESSION_EXPIRED, storing nothing.
 */
import { createHash } from "node:crypto";
import { parseSetCookie } from "cookie";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, gongOAuthEnv, startGongSimulator } from "../../src/simulators/gong/server.js";
import { generateSalesloftDataset } from "../../src/simulators/salesloft/dataset.js";
import { type SalesloftSimulator, startSalesloftSimulator } from "../../src/simulators/salesloft/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { WizardConnectDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";
import { freePort } from "../support/net.js";
import { authorizeInBrowser, Browser } from "../support/oauth.js";
import { localId } from "../support/progress.js";
import { productionSecrets } from "../support/security.js";

const scenario = defaultScenario({ callsPerUser: 1 });
let gong: GongSimulator;
let salesloft: SalesloftSimulator;
let api: TestApi;
let workspaces = 0;

function providerEnv(): Record<string, string> {
  return {
    ...gongOAuthEnv(gong),
    GONG_OAUTH_PKCE: "true",
    SALESLOFT_CLIENT_ID: salesloft.clientId,
    SALESLOFT_CLIENT_SECRET: salesloft.clientSecret,
    SALESLOFT_ACCOUNTS_URL: salesloft.url,
    SALESLOFT_API_URL: salesloft.url,
  };
}

beforeAll(async () => {
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario) });
  salesloft = await startSalesloftSimulator({ dataset: generateSalesloftDataset(scenario) });
  const port = await freePort();
  api = await startApi({ PUBLIC_URL: `http://127.0.0.1:${port}`, ...providerEnv() }, { port });
}, 60_000);
afterAll(async () => {
  await api?.close();
  await gong?.close();
  await salesloft?.close();
});

const PROVIDERS = [
  { provider: "GONG", slug: "gong" },
  { provider: "SALESLOFT", slug: "salesloft" },
] as const;

/** A fresh admin's connectIntegration: the authorization URL and the integration's row id. */
async function connect(provider: "GONG" | "SALESLOFT", target: TestApi = api) {
  const { admin } = await createWorkspace(target.prisma, `Binding ${++workspaces}`);
  const token = await target.tokenFor(admin);
  const res = await target.gql(WizardConnectDocument, { provider }, token);
  expect(res.errors).toBeUndefined();
  return {
    authorizationUrl: new URL(res.data!.connectIntegration.authorizationUrl!),
    integrationId: localId(res.data!.connectIntegration.integration.id),
    token,
  };
}

/** The example app starting the flow: POST with the admin's token; answers where to go next. */
async function start(browser: Browser, url: URL, token: string) {
  const res = await browser.post(url, { authorization: `Bearer ${token}` });
  const body = (await res.json()) as { location?: string; code?: string };
  return { res, body, location: body.location ? new URL(body.location) : null };
}

const outcomeOf = (res: Response) => new URL(res.headers.get("location")!).searchParams.get("outcome");

async function integrationRow(integrationId: string) {
  return api.prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
}

describe.each(PROVIDERS)("$provider", ({ provider, slug }) => {
  it("starts at callsync's start route, which sets a short-lived HttpOnly SameSite=Lax cookie and sends PKCE S256", async () => {
    const { authorizationUrl, token } = await connect(provider);
    expect(authorizationUrl.origin).toBe(new URL(api.url).origin);
    expect(authorizationUrl.pathname).toBe(`/oauth/start/${slug}`);

    const started = await start(new Browser(), authorizationUrl, token);
    expect(started.res.status).toBe(200);
    expect(started.res.headers.get("referrer-policy")).toBe("no-referrer");
    const [raw] = started.res.headers.getSetCookie();
    expect(raw).toMatch(/HttpOnly/i);
    expect(raw).toMatch(/SameSite=Lax/i);
    expect(raw).not.toMatch(/Secure/i); // not in development: the test server is plain http
    const cookie = parseSetCookie(raw!);
    expect(cookie.path).toBe(`/oauth/callback/${slug}`);
    expect(cookie.maxAge).toBeGreaterThan(0);
    expect(cookie.maxAge).toBeLessThanOrEqual(600);

    const toProvider = started.location!;
    expect(toProvider.origin).toBe(provider === "GONG" ? gong.url : salesloft.url);
    expect(toProvider.searchParams.get("state")).toBe(authorizationUrl.searchParams.get("state"));
    expect(toProvider.searchParams.get("code_challenge_method")).toBe("S256");
    expect(toProvider.searchParams.get("code_challenge")).toBe(
      createHash("sha256").update(cookie.value!).digest("base64url"),
    );
  });

  it("a callback from another browser is AUTHORIZATION_SESSION_EXPIRED and stores nothing; the admin's own browser still connects", async () => {
    const { authorizationUrl, integrationId, token } = await connect(provider);
    const admin = new Browser();
    const { location } = await start(admin, authorizationUrl, token);
    const consented = await admin.follow(location!, (next) => !next.pathname.startsWith("/oauth/callback/"));
    const callback = consented.next!;

    // The callback URL (state and code) replayed by another browser, which has no cookie.
    const other = await new Browser().get(callback);
    expect(other.headers.get("referrer-policy")).toBe("no-referrer");
    expect(outcomeOf(other)).toBe("AUTHORIZATION_SESSION_EXPIRED");
    const untouched = await integrationRow(integrationId);
    expect(untouched).toMatchObject({ status: "PENDING_AUTHORIZATION", credentials: null, errorCode: null });

    // A cookie of another flow (the attacker's own) does not open this state either.
    const attacker = new Browser();
    const theirs = await connect(provider);
    await start(attacker, theirs.authorizationUrl, theirs.token);
    const [name, ours] = [...admin.cookies][0]!;
    const [, foreign] = [...attacker.cookies][0]!;
    attacker.cookies.clear();
    attacker.cookies.set(name, { ...ours, value: foreign.value });
    expect(outcomeOf(await attacker.get(callback))).toBe("AUTHORIZATION_SESSION_EXPIRED");
    expect(await integrationRow(integrationId)).toMatchObject({ status: "PENDING_AUTHORIZATION", credentials: null });

    const done = await admin.get(callback);
    expect(done.headers.get("referrer-policy")).toBe("no-referrer");
    expect(outcomeOf(done)).toBe("connected");
    expect(done.headers.getSetCookie().join()).toMatch(new RegExp(`${name}=;.*Max-Age=0`, "i"));
    expect(await integrationRow(integrationId)).toMatchObject({ status: "CONNECTED" });
  });

  it("a forwarded authorization link is useless to anyone but the admin who asked for it", async () => {
    const { authorizationUrl, integrationId, token } = await connect(provider);
    // The victim of a forwarded link opens it: a navigation carries no token, so it is refused.
    const victim = new Browser();
    const opened = await victim.get(authorizationUrl);
    expect(opened.status).toBe(302);
    expect(outcomeOf(opened)).toBe("AUTHORIZATION_SESSION_EXPIRED");
    expect(victim.cookies.size).toBe(0);
    // Nor can the victim's app start it with the victim's own (admin) token, or with none.
    const other = await connect(provider);
    const foreign = await start(victim, authorizationUrl, other.token);
    expect(foreign.res.status).toBe(403);
    expect(foreign.body.code).toBe("AUTHORIZATION_SESSION_EXPIRED");
    expect(new URL(foreign.body.location!).searchParams.get("outcome")).toBe("AUTHORIZATION_SESSION_EXPIRED");
    expect((await victim.post(authorizationUrl)).status).toBe(401);
    expect(victim.cookies.size).toBe(0);
    expect(await integrationRow(integrationId)).toMatchObject({ status: "PENDING_AUTHORIZATION", credentials: null });

    // A member of the admin's own workspace cannot start it either.
    const row = await integrationRow(integrationId);
    const member = await api.prisma.user.create({
      data: { workspaceId: row.workspaceId, email: `member-${workspaces}@binding.test`, name: "M", role: "MEMBER" },
    });
    expect((await start(new Browser(), authorizationUrl, await api.tokenFor(member))).res.status).toBe(403);

    // The admin who asked for it still can, once.
    const admin = new Browser();
    expect((await start(admin, authorizationUrl, token)).res.status).toBe(200);
    expect((await start(new Browser(), authorizationUrl, token)).res.status).toBe(403);
    const { outcome } = await authorizeInBrowser(authorizationUrl, token, new Browser());
    expect(outcome).toBe("AUTHORIZATION_SESSION_EXPIRED");
  });

  it("the provider simulator checks PKCE: the code is worthless without the verifier", async () => {
    const { authorizationUrl, token } = await connect(provider);
    const browser = new Browser();
    const { location } = await start(browser, authorizationUrl, token);
    const consented = await browser.follow(location!, (next) => !next.pathname.startsWith("/oauth/callback/"));
    const code = consented.next!.searchParams.get("code")!;
    const redirectUri = `${new URL(api.url).origin}/oauth/callback/${slug}`;
    const sim = provider === "GONG" ? gong : salesloft;
    const tokenUrl =
      provider === "GONG" ? `${gong.url}/oauth2/generate-customer-token` : `${salesloft.url}/oauth/token`;
    const res = await fetch(tokenUrl, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });
});

describe("in production", () => {
  it("the binding cookie is Secure", async () => {
    const prod = await startApi({
      NODE_ENV: "production",
      ...productionSecrets(),
      PUBLIC_URL: "https://callsync.example.test",
      ...providerEnv(),
    });
    try {
      const { authorizationUrl, token } = await connect("SALESLOFT", prod);
      const local = new URL(authorizationUrl.pathname + authorizationUrl.search, prod.url);
      const started = await start(new Browser(), local, token);
      expect(started.res.status).toBe(200);
      expect(started.res.headers.getSetCookie()[0]).toMatch(/;\s*Secure/i);
    } finally {
      await prod.close();
    }
  });
});
