/**
 * The wizard for Salesloft through the public API only: the authorization failures first, each
 * with its own code (they leave the integration waiting for authorization), then the wizard
 * contract (the OAuth round trip, the 90-day backfill, revoked credentials;
 * test/providers/contract.ts) against the Salesloft simulator, and a sync with expired access
 * tokens refreshed on the way. Datasets stay small: Salesloft's quota is 600 cost per minute.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSalesloftDataset } from "../../src/simulators/salesloft/dataset.js";
import { type SalesloftSimulator, startSalesloftSimulator } from "../../src/simulators/salesloft/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  WizardConnectDocument,
  WizardIntegrationDocument,
  WizardIntegrationEventsDocument,
  type WizardIntegrationEventsSubscription,
} from "../generated/graphql.js";
import { wizardContract } from "../providers/contract.js";
import { type ApiEnv, rowId as localId, salesloftEnv } from "../support/backfill.js";
import { authorizeInBrowser } from "../support/oauth.js";
import { type Subscription, subscribe } from "../support/ws.js";

let sim: SalesloftSimulator;
let env: ApiEnv;
let api: ApiEnv["api"];
let token: string;
let integrationId: string;
let events: Subscription<WizardIntegrationEventsSubscription>;

const scenario = defaultScenario({ callsPerUser: 4, fromMs: Date.now() - 60 * 86_400_000, segmentsPerCall: 6 });

beforeAll(async () => {
  sim = await startSalesloftSimulator({ dataset: generateSalesloftDataset(scenario) });
  env = await salesloftEnv(sim, { scenario, engine: { maxAttempts: 2, retryDelayMs: 100 } });
  ({ api, token } = env);
}, 60_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await events?.close();
  await env?.close();
});

/** Connect (again): a fresh authorization URL with a new state. */
async function connect(): Promise<URL> {
  const res = await api.gql(WizardConnectDocument, { provider: "SALESLOFT" }, token);
  expect(res.errors).toBeUndefined();
  const integration = res.data!.connectIntegration.integration;
  integrationId ??= integration.id;
  expect(integration.id).toBe(integrationId);
  expect(integration).toMatchObject({ status: "PENDING_AUTHORIZATION", wizardStep: "AUTHORIZE" });
  return new URL(res.data!.connectIntegration.authorizationUrl!);
}

/** The browser: the provider's authorize page, then callsync's callback; returns the callback URL and outcome. */
async function browse(authorizationUrl: URL): Promise<{ callback: string; outcome: string | null }> {
  const { callback, outcome } = await authorizeInBrowser(authorizationUrl, token);
  // An expired link stops at the start route, before the provider.
  if (callback) expect(new URL(callback).pathname).toBe("/oauth/callback/salesloft");
  return { callback, outcome };
}

describe("Salesloft: authorization failures, each with its own code", () => {
  it("consent denied on the authorize page → AUTHORIZATION_CANCELLED, on the result page and the subscription", async () => {
    const url = await connect();
    // callsync's start route binds the flow to this browser before it goes on to Salesloft.
    expect(url.origin + url.pathname).toBe(`${new URL(api.url).origin}/oauth/start/salesloft`);
    expect(url.searchParams.get("state")).toMatch(/^[\w-]{40,}$/);
    events = subscribe(api.url, token, WizardIntegrationEventsDocument, { integrationId });
    await new Promise((r) => setTimeout(r, 200));

    sim.oauth.nextConsent = "deny";
    const { outcome } = await browse(url);
    expect(outcome).toBe("AUTHORIZATION_CANCELLED");
    const failed = await events.until(
      (e) =>
        e.integrationEvents.type === "AUTHORIZATION_FAILED" && e.integrationEvents.code === "AUTHORIZATION_CANCELLED",
    );
    expect(failed.integrationEvents.integration.status).toBe("PENDING_AUTHORIZATION");
    const state = await api.gql(WizardIntegrationDocument, { provider: "SALESLOFT" }, token);
    expect(state.data!.integration).toMatchObject({
      status: "PENDING_AUTHORIZATION",
      error: { code: "AUTHORIZATION_CANCELLED" },
    });
    expect(state.data!.integration!.error!.message.length).toBeGreaterThan(10);
  });

  it("no permission to authorize apps → AUTHORIZATION_ACCESS_DENIED", async () => {
    const url = await connect();
    sim.oauth.nextConsent = "forbidden";
    const { outcome } = await browse(url);
    expect(outcome).toBe("AUTHORIZATION_ACCESS_DENIED");
    await events.until(
      (e) =>
        e.integrationEvents.type === "AUTHORIZATION_FAILED" &&
        e.integrationEvents.code === "AUTHORIZATION_ACCESS_DENIED",
    );
  });

  it("an expired state → AUTHORIZATION_SESSION_EXPIRED; a missing state too", async () => {
    const url = await connect();
    // Ten minutes pass between the connect and the callback (the state's expiry moved back).
    await api.prisma.oAuthState.updateMany({
      where: { integrationId: localId(integrationId) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const { outcome } = await browse(url);
    expect(outcome).toBe("AUTHORIZATION_SESSION_EXPIRED");
    await events.until(
      (e) =>
        e.integrationEvents.type === "AUTHORIZATION_FAILED" &&
        e.integrationEvents.code === "AUTHORIZATION_SESSION_EXPIRED",
    );
    const noState = await fetch(new URL("/oauth/callback/salesloft?code=abc", api.url), { redirect: "manual" });
    expect(new URL(noState.headers.get("location")!).searchParams.get("outcome")).toBe("AUTHORIZATION_SESSION_EXPIRED");
    // Nothing was saved by any failure.
    const row = await api.prisma.integration.findUniqueOrThrow({ where: { id: localId(integrationId) } });
    expect(row.credentials).toBeNull();
    expect(row.status).toBe("PENDING_AUTHORIZATION");
  });
});

wizardContract(
  {
    name: "Salesloft",
    provider: "SALESLOFT",
    env: () => env,
    account: () => ({ id: String(sim.dataset.team.id), name: scenario.companyName }),
    secret: () => /(at|rt)_[0-9a-f]{36}/,
    // Conversations of workspace users the simulator lists, created since `fromMs`.
    expectedCallIds(fromMs) {
      const matched = new Set(sim.dataset.users.filter((u) => !u.email?.startsWith("outsider")).map((u) => u.guid));
      const now = sim.clock.now();
      return sim.dataset.conversations
        .filter((c) => {
          const created = Date.parse(c.created_at);
          return matched.has(String(c.user_guid)) && created >= fromMs && created <= now;
        })
        .map((c) => c.id);
    },
    revoke: () => {
      sim.oauth.revokeAll();
      sim.oauth.expireAccessTokens();
    },
    restore: () => sim.oauth.restore(),
  },
  (wizard) => {
    it("refreshes expired access tokens transparently: the next sync completes", async () => {
      sim.log.clear();
      sim.oauth.expireAccessTokens();
      const runId = await wizard.syncNow();
      const last = wizard.progress().events.findLast((e) => e.syncProgress.run.id === runId)!;
      expect(last.syncProgress.run.status).toBe("COMPLETED");
      const refreshes = sim.log.find(
        (r) => r.path === "/oauth/token" && (r.body as { grant_type?: string }).grant_type === "refresh_token",
      );
      expect(refreshes.length).toBeGreaterThanOrEqual(1);
      expect(refreshes.every((r) => r.status === 200)).toBe(true);
      const state = await api.gql(WizardIntegrationDocument, { provider: "SALESLOFT" }, token);
      expect(state.data!.integration).toMatchObject({ status: "CONNECTED", error: null, lastSyncStatus: "COMPLETED" });
      // Re-reading the same window stores nothing twice.
      expect(state.data!.integration!.latestRun!.summary.callsImported).toBe(0);
      expect(await api.prisma.call.count({ where: { integrationId: localId(wizard.integrationId()) } })).toBe(12);
    });
  },
);
