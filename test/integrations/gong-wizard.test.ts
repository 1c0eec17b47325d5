/**
 * The whole wizard for Gong through the public API only: HTTP for mutations, the OAuth
 * redirect round trip, graphql-ws for live events — against the Gong simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardIntegrationDocument,
  WizardIntegrationEventsDocument,
  WizardRetryUserDocument,
  WizardStartSyncDocument,
  WizardSyncNowDocument,
  WizardSyncProgressDocument,
  type WizardSyncProgressSubscription,
} from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { freePort } from "../support/net.js";
import { authorizeInBrowser, Browser } from "../support/oauth.js";
import { localId, stateHistory } from "../support/progress.js";
import { type Subscription, subscribe } from "../support/ws.js";

const DAY = 86_400_000;
let gong: GongSimulator;
let api: TestApi;
let token: string;
let integrationId: string;
let progress: Subscription<WizardSyncProgressSubscription>;

const scenario = defaultScenario({ callsPerUser: 12, fromMs: Date.now() - 120 * DAY });

beforeAll(async () => {
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario) });
  const port = await freePort();
  api = await startApi(
    {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      GONG_CLIENT_ID: gong.clientId,
      GONG_CLIENT_SECRET: gong.clientSecret,
      GONG_AUTHORIZE_URL: `${gong.url}/oauth2/authorize`,
      GONG_TOKEN_URL: `${gong.url}/oauth2/generate-customer-token`,
      WORKER_IN_PROCESS: "true",
      JOB_PROCESS_EVERY_MS: "200",
    },
    { port, engine: { maxAttempts: 2, retryDelayMs: 100 } },
  );
  const demo = await seedDemo(api.prisma, { scenario });
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
}, 60_000);

afterAll(async () => {
  await progress?.close();
  await api?.close();
  await gong?.close();
});

/** Calls the simulator lists for workspace users, started in the window and already visible. */
function expectedCalls(fromMs: number): number {
  const matched = new Set(gong.dataset.users.filter((u) => !u.emailAddress?.startsWith("outsider")).map((u) => u.id));
  const now = Date.now();
  return gong.dataset.calls.filter((c) => {
    const started = Date.parse(String(c.metaData.started));
    const ended = started + (c.metaData.duration ?? 0) * 1000;
    return matched.has(String(c.metaData.primaryUserId)) && started >= fromMs && ended + 3_600_000 <= now;
  }).length;
}

describe("Gong: Connect → Authorize → Backfill → Sync → Complete", () => {
  it("authorizes through the OAuth redirect, and the subscription says so at once", async () => {
    const connect = await api.gql(WizardConnectDocument, { provider: "GONG" }, token);
    expect(connect.errors).toBeUndefined();
    const integration = connect.data!.connectIntegration.integration;
    integrationId = integration.id;
    expect(integration).toMatchObject({ status: "PENDING_AUTHORIZATION", wizardStep: "AUTHORIZE" });
    const authorizationUrl = new URL(connect.data!.connectIntegration.authorizationUrl!);
    expect(authorizationUrl.searchParams.get("state")).toMatch(/^[\w-]{40,}$/);

    const events = subscribe(api.url, token, WizardIntegrationEventsDocument, { integrationId });
    progress = subscribe(api.url, token, WizardSyncProgressDocument, { integrationId });
    await new Promise((r) => setTimeout(r, 200));

    // The browser: callsync's start route → provider consent page → callsync callback → the result page.
    const browser = new Browser();
    const { callback, outcome } = await authorizeInBrowser(authorizationUrl, token, browser);
    expect(callback).toContain("/oauth/callback/gong");
    expect(outcome).toBe("connected");

    const authorized = await events.until((e) => e.integrationEvents.type === "AUTHORIZED");
    expect(authorized.integrationEvents.integration).toEqual({ status: "CONNECTED", wizardStep: "BACKFILL" });
    await events.close();

    // The state is single use: replaying the callback is refused.
    const replay = new URL((await browser.get(callback)).headers.get("location")!);
    expect(replay.searchParams.get("outcome")).toBe("AUTHORIZATION_SESSION_EXPIRED");
  });

  it("backfills 90 days: every matched user goes PENDING → IN_PROGRESS → COMPLETED(n), live", async () => {
    const backfill = await api.gql(WizardChooseBackfillDocument, { integrationId, period: "DAYS_90" }, token);
    expect(backfill.data?.chooseBackfill.wizardStep).toBe("SYNC");
    const from = Date.parse(backfill.data!.chooseBackfill.backfillFrom!);
    const started = await api.gql(WizardStartSyncDocument, { integrationId }, token);
    expect(started.errors).toBeUndefined();
    const runId = started.data!.startSync.id;

    await progress.until((e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING", 60_000);
    const history = stateHistory(progress.events, runId);
    expect(Object.fromEntries(history)).toEqual({
      "ada@acme.test": ["PENDING", "IN_PROGRESS", "COMPLETED"],
      "max@acme.test": ["PENDING", "IN_PROGRESS", "COMPLETED"],
      "sam@acme.test": ["PENDING", "IN_PROGRESS", "COMPLETED"],
      "outsider@contractor.test": ["SKIPPED"],
    });

    const state = await api.gql(WizardIntegrationDocument, { provider: "GONG" }, token);
    const integration = state.data!.integration!;
    expect(integration).toMatchObject({
      status: "CONNECTED",
      wizardStep: "COMPLETE",
      lastSyncStatus: "COMPLETED",
      backfillPeriod: "DAYS_90",
      connectedBy: { email: "ada@acme.test" },
      warnings: [],
    });
    expect(integration.nextSyncAt).not.toBeNull();
    const summary = integration.latestRun!.summary;
    const stored = await api.prisma.call.count({ where: { integrationId: localId(integration.id) } });
    expect(integration.callCount).toBe(stored);
    expect(summary.callsImported).toBe(stored);
    expect(stored).toBe(expectedCalls(from));
    expect(summary).toMatchObject({ usersCompleted: 3, usersFailed: 0, usersSkipped: 1 });
    expect(summary.skipped).toEqual([
      { email: "outsider@contractor.test", reason: "No workspace user has the email outsider@contractor.test" },
    ]);
  });

  it("rides out a 429 storm: users wait for the rate limit, then complete", async () => {
    gong.behaviours.quota = [{ points: 2, duration: 2 }];
    const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    const runId = run.data!.syncNow.id;
    await progress.until((e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING", 90_000);
    gong.behaviours.quota = null;
    const waited = progress.events.filter(
      (e) => e.syncProgress.run.id === runId && e.syncProgress.user?.waitingForRateLimitUntil,
    );
    expect(gong.log.count((r) => r.status === 429)).toBeGreaterThan(0);
    expect(waited.length).toBeGreaterThan(0);
    const final = progress.events.findLast((e) => e.syncProgress.run.id === runId)!;
    expect(final.syncProgress.run.status).toBe("COMPLETED");
  }, 120_000);

  it("fails users after an outage, and retrying one user imports only that user", async () => {
    gong.behaviours.failNext(10_000, 503, "/v2/calls");
    const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    const runId = run.data!.syncNow.id;
    await progress.until((e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING", 60_000);
    gong.behaviours.clearFailures();

    const state = await api.gql(WizardIntegrationDocument, { provider: "GONG" }, token);
    const latest = state.data!.integration!.latestRun!;
    expect(latest.status).toBe("FAILED");
    expect(latest.summary.usersFailed).toBe(3);
    const failed = latest.users.filter((u) => u.state === "FAILED");
    expect(failed).toHaveLength(3);
    expect(failed[0]).toMatchObject({ error: { code: "PROVIDER_UNAVAILABLE" }, retryable: true });

    const target = failed.find((u) => u.email === "max@acme.test")!;
    const maxGongId = gong.dataset.users.find((u) => u.emailAddress === "max@acme.test")!.id;
    gong.log.clear();
    const retry = await api.gql(WizardRetryUserDocument, { id: target.id }, token);
    expect(retry.data?.retrySyncUser.state).toBe("PENDING");
    await progress.until(
      (e) => e.syncProgress.user?.id === target.id && e.syncProgress.user.state === "COMPLETED",
      30_000,
    );
    // The run closes just after its last user completes: wait for that event too.
    await progress.until((e) => e.syncProgress.run.id === runId && e.syncProgress.run.status === "PARTIAL", 30_000);
    // Listing by user happened for max only (transcript follow-ups ask by call id, not by user).
    const listed = gong.log
      .find((r) => r.path === "/v2/calls/extensive")
      .map((r) => (r.body as { filter: { primaryUserIds?: string[] } }).filter.primaryUserIds)
      .filter((ids) => ids !== undefined);
    expect(listed.length).toBeGreaterThan(0);
    expect(new Set(listed.flat())).toEqual(new Set([maxGongId]));
    const after = await api.gql(WizardIntegrationDocument, { provider: "GONG" }, token);
    const users = after.data!.integration!.latestRun!.users;
    expect(
      users
        .filter((u) => u.state === "FAILED")
        .map((u) => u.email)
        .sort(),
    ).toEqual(["ada@acme.test", "sam@acme.test"]);
    expect(after.data!.integration!.latestRun!.status).toBe("PARTIAL");
  }, 90_000);

  it("puts the integration in RECONNECT_NEEDED when the credentials are revoked, and stops its schedule", async () => {
    gong.oauth.revokeAll();
    gong.oauth.expireAccessTokens();
    const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    expect(run.errors).toBeUndefined();
    const runId = run.data!.syncNow.id;
    await progress.until((e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING", 30_000);
    const state = await api.gql(WizardIntegrationDocument, { provider: "GONG" }, token);
    const integration = state.data!.integration!;
    expect(integration.status).toBe("RECONNECT_NEEDED");
    expect(integration.error?.code).toBe("AUTH_FAILED");
    expect(integration.warnings.map((w) => w.code)).toContain("RECONNECT_NEEDED");
    expect(integration.nextSyncAt).toBeNull();
    const scheduled = await api.runtime.db.pool.query(
      `SELECT count(*)::int AS n FROM agenda_jobs WHERE name = 'sync:scheduled' AND data->>'integrationId' = $1`,
      [localId(integration.id)],
    );
    expect(scheduled.rows[0].n).toBe(0);
    const again = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    expect(again.errors?.[0]?.extensions?.code).toBe("NOT_CONNECTED");
    gong.oauth.restore();
  });
});
