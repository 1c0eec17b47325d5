/**
 * Salesloft webhooks end to end: the simulator's subscription delivers signed
 * conversation_created / conversation_updated events; callsync verifies x-salesloft-signature and
 * imports the conversation through the sync store — a new conversation readable within seconds,
 * an edit of a conversation two months old applied without any sync run. A delivery signed with
 * another token stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { generateSalesloftDataset } from "../../src/simulators/salesloft/dataset.js";
import { type SalesloftSimulator, startSalesloftSimulator } from "../../src/simulators/salesloft/server.js";
import { signSalesloft } from "../../src/simulators/salesloft/webhooks.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  WebhooksEnableDocument,
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardIntegrationDocument,
  WizardStartSyncDocument,
} from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { freePort } from "../support/net.js";
import { authorizeInBrowser } from "../support/oauth.js";

const DAY = 86_400_000;
let sim: SalesloftSimulator;
let api: TestApi;
let token: string;
let webhookUrl: string;
let secret: string;
const scenario = defaultScenario({ callsPerUser: 4, fromMs: Date.now() - 80 * DAY, segmentsPerCall: 4 });

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
    { port },
  );
  const demo = await seedDemo(api.prisma, { scenario });
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  const connect = await api.gql(WizardConnectDocument, { provider: "SALESLOFT" }, token);
  const integrationId = connect.data!.connectIntegration.integration.id;
  await authorizeInBrowser(connect.data!.connectIntegration.authorizationUrl!, token);
  await api.gql(WizardChooseBackfillDocument, { integrationId, period: "DAYS_90" }, token);
  const run = await api.gql(WizardStartSyncDocument, { integrationId }, token);
  const runId = run.data!.startSync.id;
  for (let i = 0; i < 600; i++) {
    const res = await api.gql(WizardIntegrationDocument, { provider: "SALESLOFT" }, token);
    const latest = res.data!.integration!.latestRun!;
    if (latest.id === runId && latest.status !== "RUNNING") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await api.settleJobs();
  const enabled = await api.gql(WebhooksEnableDocument, { integrationId }, token);
  webhookUrl = enabled.data!.enableWebhook.webhook!.url;
  secret = enabled.data!.enableWebhook.webhook!.secret!;
  expect(secret.length).toBeGreaterThan(20);
  sim.webhooks.add({ url: webhookUrl, callbackToken: secret });
}, 120_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await api?.close();
  await sim?.close();
});

async function until<T>(read: () => Promise<T | null | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await read();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
}

describe("Salesloft webhooks", () => {
  it("a new conversation is imported within seconds, an edit two months old is applied, without a sync run", async () => {
    const runs = await api.prisma.syncRun.count();
    const stored = await api.prisma.call.findMany({ select: { providerCallId: true } });
    const ids = new Set(stored.map((c) => c.providerCallId));
    const template = sim.dataset.conversations.find((c) => ids.has(String(c.id)))!;
    const fresh = structuredClone(template);
    fresh.id = "00000000-0000-4000-8000-00000000beef";
    fresh.title = "Created, pushed by Salesloft";
    fresh.created_at = new Date(Date.now() - 2 * 3_600_000).toISOString();
    fresh.updated_at = fresh.created_at;
    sim.dataset.conversations.push(fresh);
    const created = await until(() =>
      api.prisma.call.findFirst({ where: { providerCallId: String(fresh.id), title: "Created, pushed by Salesloft" } }),
    );
    expect(created).toBeTruthy();

    const old = sim.dataset.conversations.find(
      (c) => ids.has(String(c.id)) && Date.now() - Date.parse(c.created_at) > 40 * DAY,
    )!;
    old.title = "Renamed two months later";
    old.updated_at = new Date().toISOString();
    const edited = await until(() =>
      api.prisma.call.findFirst({ where: { providerCallId: String(old.id), title: "Renamed two months later" } }),
    );
    expect(edited).toBeTruthy();
    expect(await api.prisma.call.count({ where: { providerCallId: String(old.id) } })).toBe(1);
    expect(await api.prisma.syncRun.count()).toBe(runs);
    const sent = sim.webhooks.deliveries.filter((d) => d.conversationId === String(old.id));
    expect(sent.map((d) => [d.event, d.status])).toContainEqual(["conversation_updated", 202]);
  }, 60_000);

  it("a delivery signed with another token, or unsigned, answers 401 and stores nothing", async () => {
    const body = JSON.stringify({ id: "00000000-0000-4000-8000-00000000dead", title: "Forged" });
    const before = await api.prisma.webhookDelivery.count();
    for (const signature of [signSalesloft(body, "not the callback token"), undefined]) {
      const res = await fetch(webhookUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-salesloft-event": "conversation_created",
          ...(signature ? { "x-salesloft-signature": signature } : {}),
        },
        body,
      });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
    expect(await api.prisma.webhookDelivery.count()).toBe(before);
  });
});
