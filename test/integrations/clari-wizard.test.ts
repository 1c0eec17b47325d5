/**
 * The whole wizard for Clari Copilot through the public API only: the key pair is checked with
 * the provider before anything is saved, then backfill, live per-user progress, and a revoked
 * key putting the integration in RECONNECT_NEEDED — against the Clari Copilot simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { generateClariDataset } from "../../src/simulators/clari/dataset.js";
import { type ClariSimulator, startClariSimulator } from "../../src/simulators/clari/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardIntegrationDocument,
  WizardStartSyncDocument,
  WizardSyncNowDocument,
  WizardSyncProgressDocument,
  type WizardSyncProgressSubscription,
} from "../generated/graphql.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { localId, stateHistory } from "../support/progress.js";
import { type Subscription, subscribe } from "../support/ws.js";

const DAY = 86_400_000;
const WORKSPACE_EMAILS = ["ada@acme.test", "max@acme.test", "sam@acme.test"];
let sim: ClariSimulator;
let api: TestApi;
let token: string;
let integrationId: string;
let progress: Subscription<WizardSyncProgressSubscription>;

const scenario = defaultScenario({ callsPerUser: 6, fromMs: Date.now() - 60 * DAY, segmentsPerCall: 6 });

beforeAll(async () => {
  // Half the calls have a second Copilot user on them: listed under both users, stored once.
  sim = await startClariSimulator({ dataset: generateClariDataset(scenario, { colleagueRatio: 0.5 }) });
  api = await startApi(
    { CLARI_API_URL: sim.url, WORKER_IN_PROCESS: "true", JOB_PROCESS_EVERY_MS: "200" },
    { engine: { maxAttempts: 2, retryDelayMs: 100 } },
  );
  const demo = await seedDemo(api.prisma, { scenario });
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
}, 60_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await progress?.close();
  await api?.close();
  await sim?.close();
});

/** Calls on which a workspace user took part (organizer or colleague), started since `fromMs`. */
function expectedCalls(fromMs: number): string[] {
  const now = sim.clock.now();
  return sim.dataset.calls
    .filter((c) => {
      const time = Date.parse(c.time);
      return (
        time > fromMs &&
        time < now &&
        (c.users ?? []).some((u) => WORKSPACE_EMAILS.includes((u.userEmail ?? "").toLowerCase()))
      );
    })
    .map((c) => c.id);
}

describe("Clari Copilot: API key and secret, checked before they are saved", () => {
  it("a wrong secret → INVALID_API_CREDENTIALS, and nothing is saved", async () => {
    const { apiKey } = sim.apiKeys.default;
    const res = await api.gql(WizardConnectDocument, { provider: "CLARI_COPILOT", apiKey, apiSecret: "wrong" }, token);
    expect(errorCodes(res)).toEqual(["INVALID_API_CREDENTIALS"]);
    expect(res.errors![0]!.message.length).toBeGreaterThan(10);
    expect(res.errors![0]!.message).not.toContain("wrong");
    const state = await api.gql(WizardIntegrationDocument, { provider: "CLARI_COPILOT" }, token);
    expect(state.data!.integration?.status ?? null).not.toBe("CONNECTED");
    expect(
      await api.prisma.integration.count({ where: { provider: "CLARI_COPILOT", credentials: { not: null } } }),
    ).toBe(0);
  });

  it("the same value in both fields → BAD_USER_INPUT, without asking the provider", async () => {
    sim.log.clear();
    const { apiKey } = sim.apiKeys.default;
    const res = await api.gql(WizardConnectDocument, { provider: "CLARI_COPILOT", apiKey, apiSecret: apiKey }, token);
    expect(errorCodes(res)).toEqual(["BAD_USER_INPUT"]);
    expect(sim.log.count()).toBe(0);
    const missing = await api.gql(WizardConnectDocument, { provider: "CLARI_COPILOT", apiKey }, token);
    expect(errorCodes(missing)).toEqual(["BAD_USER_INPUT"]);
  });

  it("the right pair → CONNECTED, at the backfill step", async () => {
    const { apiKey, apiSecret } = sim.apiKeys.default;
    const res = await api.gql(
      WizardConnectDocument,
      { provider: "CLARI_COPILOT", apiKey: ` ${apiKey} `, apiSecret },
      token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.connectIntegration.authorizationUrl).toBeNull();
    const integration = res.data!.connectIntegration.integration;
    integrationId = integration.id;
    expect(integration).toMatchObject({ status: "CONNECTED", wizardStep: "BACKFILL" });
    const row = await api.prisma.integration.findUniqueOrThrow({ where: { id: localId(integrationId) } });
    expect(row.credentials).not.toBeNull();
    expect(JSON.stringify(row.credentials)).not.toContain(apiSecret);
  });
});

describe("Clari Copilot: Backfill → Sync → Complete", () => {
  it("backfills 90 days: every matched user goes PENDING → IN_PROGRESS → COMPLETED, live; shared calls stored once", async () => {
    progress = subscribe(api.url, token, WizardSyncProgressDocument, { integrationId });
    await new Promise((r) => setTimeout(r, 200));
    const backfill = await api.gql(WizardChooseBackfillDocument, { integrationId, period: "DAYS_90" }, token);
    expect(backfill.data?.chooseBackfill.wizardStep).toBe("SYNC");
    const from = Date.parse(backfill.data!.chooseBackfill.backfillFrom!);
    const started = await api.gql(WizardStartSyncDocument, { integrationId }, token);
    expect(started.errors).toBeUndefined();
    const runId = started.data!.startSync.id;
    const last = await progress.until(
      (e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING",
      60_000,
    );
    expect(last.syncProgress.run.status).toBe("COMPLETED");
    expect(Object.fromEntries(stateHistory(progress.events, runId))).toEqual({
      "ada@acme.test": ["PENDING", "IN_PROGRESS", "COMPLETED"],
      "max@acme.test": ["PENDING", "IN_PROGRESS", "COMPLETED"],
      "sam@acme.test": ["PENDING", "IN_PROGRESS", "COMPLETED"],
      "outsider@contractor.test": ["SKIPPED"],
    });

    const expected = expectedCalls(from);
    const shared = sim.dataset.calls.filter(
      (c) =>
        expected.includes(c.id) &&
        (c.users ?? []).filter((u) => WORKSPACE_EMAILS.includes(u.userEmail ?? "")).length > 1,
    );
    expect(shared.length).toBeGreaterThan(0);

    const state = await api.gql(WizardIntegrationDocument, { provider: "CLARI_COPILOT" }, token);
    const integration = state.data!.integration!;
    expect(integration).toMatchObject({
      status: "CONNECTED",
      wizardStep: "COMPLETE",
      lastSyncStatus: "COMPLETED",
      backfillPeriod: "DAYS_90",
    });
    expect(integration.nextSyncAt).not.toBeNull();
    const stored = await api.prisma.call.findMany({
      where: { integrationId: localId(integrationId) },
      select: { providerCallId: true },
    });
    expect(stored.map((c) => c.providerCallId).sort()).toEqual([...expected].sort());
    expect(new Set(stored.map((c) => c.providerCallId)).size).toBe(stored.length);
    const summary = integration.latestRun!.summary;
    expect(integration.callCount).toBe(stored.length);
    expect(summary.callsImported).toBe(stored.length);
    expect(summary).toMatchObject({ usersCompleted: 3, usersFailed: 0, usersSkipped: 1 });
    // A call listed under two users was seen twice: once new, once unchanged.
    expect(summary.callsUpdated).toBe(0);
  });

  it("a re-sync (the last two days again) finds nothing new: no duplicates, nothing rewritten", async () => {
    const before = await api.prisma.call.count({ where: { integrationId: localId(integrationId) } });
    const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    const runId = run.data!.syncNow.id;
    await progress.until((e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING", 60_000);
    const state = await api.gql(WizardIntegrationDocument, { provider: "CLARI_COPILOT" }, token);
    const summary = state.data!.integration!.latestRun!.summary;
    expect(summary).toMatchObject({ callsImported: 0, callsUpdated: 0 });
    expect(await api.prisma.call.count({ where: { integrationId: localId(integrationId) } })).toBe(before);
  });

  it("a revoked key puts the integration in RECONNECT_NEEDED and stops its schedule", async () => {
    sim.apiKeys.revoke();
    const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    expect(run.errors).toBeUndefined();
    const runId = run.data!.syncNow.id;
    await progress.until((e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING", 30_000);
    const state = await api.gql(WizardIntegrationDocument, { provider: "CLARI_COPILOT" }, token);
    const integration = state.data!.integration!;
    expect(integration.status).toBe("RECONNECT_NEEDED");
    expect(integration.error?.code).toBe("AUTH_FAILED");
    expect(integration.warnings.map((w) => w.code)).toContain("RECONNECT_NEEDED");
    expect(integration.nextSyncAt).toBeNull();
    const scheduled = await api.runtime.db.pool.query(
      `SELECT count(*)::int AS n FROM agenda_jobs WHERE name = 'sync:scheduled' AND data->>'integrationId' = $1`,
      [localId(integrationId)],
    );
    expect(scheduled.rows[0].n).toBe(0);
    const again = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    expect(errorCodes(again)).toEqual(["NOT_CONNECTED"]);
    sim.apiKeys.restore();
  });
});
