/**
 * The whole wizard for Salesloft through the public API only: HTTP for mutations, the OAuth
 * redirect round trip through the simulator's authorize page, graphql-ws for live events.
 * The authorization failures come first (they leave the integration waiting for
 * authorization), then the successful round trip, the 90-day backfill and a sync with expired
 * access tokens. Datasets stay small: Salesloft's quota is 600 cost per minute.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { generateSalesloftDataset } from "../../src/simulators/salesloft/dataset.js";
import { type SalesloftSimulator, startSalesloftSimulator } from "../../src/simulators/salesloft/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardIntegrationDocument,
  WizardIntegrationEventsDocument,
  type WizardIntegrationEventsSubscription,
  WizardStartSyncDocument,
  WizardSyncNowDocument,
  WizardSyncProgressDocument,
  type WizardSyncProgressSubscription,
} from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { freePort } from "../support/net.js";
import { authorizeInBrowser } from "../support/oauth.js";
import { localId } from "../support/progress.js";
import { type Subscription, subscribe } from "../support/ws.js";

const DAY = 86_400_000;
let sim: SalesloftSimulator;
let api: TestApi;
let token: string;
let integrationId: string;
let events: Subscription<WizardIntegrationEventsSubscription>;
let progress: Subscription<WizardSyncProgressSubscription>;

const scenario = defaultScenario({ callsPerUser: 4, fromMs: Date.now() - 60 * DAY, segmentsPerCall: 6 });

beforeAll(async () => {
  sim = await startSalesloftSimulator({ dataset: generateSalesloftDataset(scenario) });
  const port = await freePort();
  api = await startApi(
    {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SALESLOFT_CLIENT_ID: sim.clientId,
      SALESLOFT_CLIENT_SECRET: sim.clientSecret,
      SALESLOFT_ACCOUNTS_URL: sim.url,
      SALESLOFT_API_URL: sim.url,
      WORKER_IN_PROCESS: "true",
      JOB_PROCESS_EVERY_MS: "200",
    },
    { port, engine: { maxAttempts: 2, retryDelayMs: 100 } },
  );
  const demo = await seedDemo(api.prisma, { scenario });
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
}, 60_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await events?.close();
  await progress?.close();
  await api?.close();
  await sim?.close();
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

/** Conversations of workspace users the simulator lists, created since `fromMs`. */
function expectedCalls(fromMs: number): number {
  const matched = new Set(sim.dataset.users.filter((u) => !u.email?.startsWith("outsider")).map((u) => u.guid));
  const now = sim.clock.now();
  return sim.dataset.conversations.filter((c) => {
    const created = Date.parse(c.created_at);
    return matched.has(String(c.user_guid)) && created >= fromMs && created <= now;
  }).length;
}

const stateHistory = (list: WizardSyncProgressSubscription[], runId: string) => {
  const byUser = new Map<string, string[]>();
  for (const e of list) {
    const u = e.syncProgress.user;
    if (!u || e.syncProgress.run.id !== runId) continue;
    const seen = byUser.get(u.email ?? u.id) ?? [];
    if (seen.at(-1) !== u.state) seen.push(u.state);
    byUser.set(u.email ?? u.id, seen);
  }
  return byUser;
};

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

describe("Salesloft: Connect → Authorize → Backfill → Sync → Complete", () => {
  it("authorizes through the OAuth redirect; the subscription says AUTHORIZED; the state is single use", async () => {
    const url = await connect();
    const { callback, outcome } = await browse(url);
    expect(outcome).toBe("connected");
    const authorized = await events.until((e) => e.integrationEvents.type === "AUTHORIZED");
    expect(authorized.integrationEvents.integration).toEqual({ status: "CONNECTED", wizardStep: "BACKFILL" });

    const replay = new URL((await fetch(callback, { redirect: "manual" })).headers.get("location")!);
    expect(replay.searchParams.get("outcome")).toBe("AUTHORIZATION_SESSION_EXPIRED");

    const state = await api.gql(WizardIntegrationDocument, { provider: "SALESLOFT" }, token);
    expect(state.data!.integration).toMatchObject({
      status: "CONNECTED",
      wizardStep: "BACKFILL",
      error: null,
      connectedAccount: { id: String(sim.dataset.team.id), name: scenario.companyName },
      connectedBy: { email: "ada@acme.test" },
    });
    // Tokens are stored encrypted, never in clear.
    const row = await api.prisma.integration.findUniqueOrThrow({ where: { id: localId(integrationId) } });
    expect(row.credentials).not.toBeNull();
    expect(JSON.stringify(row.credentials)).not.toMatch(/at_[0-9a-f]{36}/);
  });

  it("backfills 90 days: every matched user goes PENDING → IN_PROGRESS → COMPLETED(n), live", async () => {
    progress = subscribe(api.url, token, WizardSyncProgressDocument, { integrationId });
    await new Promise((r) => setTimeout(r, 200));
    const backfill = await api.gql(WizardChooseBackfillDocument, { integrationId, period: "DAYS_90" }, token);
    expect(backfill.errors).toBeUndefined();
    expect(backfill.data!.chooseBackfill).toMatchObject({ wizardStep: "SYNC", backfillPeriod: "DAYS_90" });
    const from = Date.parse(backfill.data!.chooseBackfill.backfillFrom!);
    expect(Date.now() - from).toBeGreaterThanOrEqual(90 * DAY - 60_000);

    const started = await api.gql(WizardStartSyncDocument, { integrationId }, token);
    expect(started.errors).toBeUndefined();
    expect(started.data!.startSync.kind).toBe("BACKFILL");
    const runId = started.data!.startSync.id;
    const last = await progress.until(
      (e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING",
      60_000,
    );
    expect(last.syncProgress.run.status).toBe("COMPLETED");

    const history = stateHistory(progress.events, runId);
    expect(Object.fromEntries(history)).toEqual({
      "ada@acme.test": ["PENDING", "IN_PROGRESS", "COMPLETED"],
      "max@acme.test": ["PENDING", "IN_PROGRESS", "COMPLETED"],
      "sam@acme.test": ["PENDING", "IN_PROGRESS", "COMPLETED"],
      "outsider@contractor.test": ["SKIPPED"],
    });
    // COMPLETED carries the number of calls imported for that user.
    const completed = progress.events.filter(
      (e) => e.syncProgress.run.id === runId && e.syncProgress.user?.state === "COMPLETED",
    );
    for (const e of completed) expect(e.syncProgress.user!.callsImported).toBe(4);

    const state = await api.gql(WizardIntegrationDocument, { provider: "SALESLOFT" }, token);
    const integration = state.data!.integration!;
    expect(integration).toMatchObject({
      status: "CONNECTED",
      wizardStep: "COMPLETE",
      lastSyncStatus: "COMPLETED",
      backfillPeriod: "DAYS_90",
      warnings: [],
    });
    expect(integration.nextSyncAt).not.toBeNull();
    const stored = await api.prisma.call.count({ where: { integrationId: localId(integrationId) } });
    const summary = integration.latestRun!.summary;
    expect(stored).toBe(expectedCalls(from));
    expect(stored).toBe(12);
    expect(integration.callCount).toBe(stored);
    expect(summary.callsImported).toBe(stored);
    expect(summary).toMatchObject({ usersCompleted: 3, usersFailed: 0, usersSkipped: 1, usersPending: 0 });
    expect(summary.skipped).toEqual([
      { email: "outsider@contractor.test", reason: "No workspace user has the email outsider@contractor.test" },
    ]);
    const perUser = integration.latestRun!.users.filter((u) => u.state === "COMPLETED");
    expect(perUser.reduce((a, u) => a + u.callsImported, 0)).toBe(stored);
  });

  it("refreshes expired access tokens transparently: the next sync completes", async () => {
    sim.log.clear();
    sim.oauth.expireAccessTokens();
    const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    expect(run.errors).toBeUndefined();
    const runId = run.data!.syncNow.id;
    const last = await progress.until(
      (e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING",
      60_000,
    );
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
    expect(await api.prisma.call.count({ where: { integrationId: localId(integrationId) } })).toBe(12);
  });
});
