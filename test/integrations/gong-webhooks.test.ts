/**
 * Gong webhooks end to end: the simulator's automation rule fires a signed "call processed"
 * delivery when a call is processed; callsync verifies it and imports that call (with its
 * transcript) through the sync store, readable in the API within seconds and without a sync run.
 * Refused deliveries (unsigned, mis-signed, malformed, oversized, unknown URL) store nothing;
 * replays and test payloads import nothing; the endpoint is rate-limited per integration.
 */
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GongCallData } from "../../src/providers/gong/schemas.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { gongWebhookBody, signedGongDelivery } from "../../src/simulators/gong/webhooks.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { CallsListDocument, WebhooksEnableDocument, WebhooksSetPublicKeyDocument } from "../generated/graphql.js";
import type { TestApi } from "../support/api.js";
import { type ApiEnv, backfillThroughWizard, gongEnv } from "../support/backfill.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RATE_PER_MINUTE = 60;
let gong: GongSimulator;
let env: ApiEnv;
let api: TestApi;
let token: string;
let integrationId: string;
/** The integration's row id (integrationId is its GraphQL id). */
let rowId: string;
let webhookUrl: string;
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const otherKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
let nextId = 9_100_000_000_000_000_000n;

beforeAll(async () => {
  gong = await startGongSimulator({
    dataset: generateGongDataset(defaultScenario({ callsPerUser: 3, fromMs: Date.now() - 5 * DAY })),
  });
  env = await gongEnv(gong, {
    env: { WEBHOOK_RATE_PER_MINUTE: String(RATE_PER_MINUTE), WEBHOOK_MAX_BYTES: "200000" },
  });
  ({ api, token } = env);
  let integrationRowId: string;
  ({ integrationGid: integrationId, integrationId: integrationRowId } = await backfillThroughWizard(
    api,
    token,
    "GONG",
    undefined,
    { period: "DAYS_30" },
  ));
  rowId = integrationRowId;

  const enabled = await api.gql(WebhooksEnableDocument, { integrationId }, token);
  expect(enabled.errors).toBeUndefined();
  webhookUrl = enabled.data!.enableWebhook.webhook!.url;
  const keyed = await api.gql(
    WebhooksSetPublicKeyDocument,
    { integrationId, publicKey: keys.publicKey.export({ type: "spki", format: "pem" }).toString() },
    token,
  );
  expect(keyed.data!.setWebhookPublicKey.webhook!.publicKeyConfigured).toBe(true);
  // Calls are processed as soon as they end from here on (the rule fires then).
  gong.switches.visibleAfterMs = 0;
  gong.switches.contentAfterMs = 0;
  gong.webhooks.add({ url: webhookUrl, privateKey: keys.privateKey });
}, 120_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await env?.close();
});

/** A new call of a workspace user (ada), cloned from one the backfill imported, with its transcript. */
function newGongCall(title: string): GongCallData {
  const ada = gong.dataset.users.find((u) => u.emailAddress === "ada@acme.test")!;
  const template = gong.dataset.calls.find((c) => String(c.metaData.primaryUserId) === String(ada.id))!;
  const id = String(nextId++);
  const started = Date.now() - 30 * 60_000;
  const call = structuredClone(template);
  call.metaData = { ...call.metaData, id, title, started: new Date(started).toISOString(), duration: 600 };
  call.metaData.url = `https://app.gong.io/call?id=${id}`;
  const transcript = gong.dataset.callTranscripts.find(
    (t) => String(t.callId ?? (t as { callid?: string }).callid) === String(template.metaData.id),
  );
  if (transcript) gong.dataset.callTranscripts.push({ ...structuredClone(transcript), callId: id });
  return call;
}

async function readable(providerCallId: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const res = await api.gql(
      CallsListDocument,
      { filter: { startedAfter: new Date(Date.now() - 2 * HOUR).toISOString() }, first: 50 },
      token,
    );
    const node = res.data?.calls.edges.map((e) => e.node).find((n) => n.providerCallId === providerCallId);
    if (node) return node;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`call ${providerCallId} not readable within ${timeoutMs} ms`);
}

const storedCount = () => api.prisma.call.count({ where: { integrationId: rowId } });
const deliveries = () => api.prisma.webhookDelivery.count({ where: { integrationId: rowId } });

async function post(body: string, headers: Record<string, string>, url = webhookUrl) {
  const res = await fetch(url, { method: "POST", headers, body });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, string> | null };
}

describe("Gong webhook for a new call", () => {
  it("imports that call, transcript included, readable through the API within seconds and without a sync run", async () => {
    const runsBefore = await api.prisma.syncRun.count({ where: { integrationId: rowId } });
    const call = newGongCall("Pushed by Gong's webhook");
    gong.dataset.calls.push(call);
    const id = String(call.metaData.id);
    const node = await readable(id);
    expect(node.providerCallId).toBe(id);
    const delivery = gong.webhooks.deliveries.find((d) => d.callId === id)!;
    expect(delivery.status).toBe(202);
    const latencyMs = Date.now() - delivery.sentAt;
    console.log(`webhook → readable: ${latencyMs} ms`);
    expect(latencyMs).toBeLessThan(20_000);
    expect(await api.prisma.syncRun.count({ where: { integrationId: rowId } })).toBe(runsBefore);
    const stored = await api.prisma.call.findFirstOrThrow({
      where: { integrationId: rowId, providerCallId: id },
      include: { _count: { select: { segments: true } } },
    });
    expect(stored.title).toBe("Pushed by Gong's webhook");
    expect(stored._count.segments).toBeGreaterThan(0);
  }, 60_000);

  it("a replay of the same delivery answers DUPLICATE and imports nothing again", async () => {
    const call = newGongCall("Delivered twice");
    const body = gongWebhookBody(call);
    gong.dataset.calls.push(call); // the rule announces it too: that delivery and ours are the same body
    const id = String(call.metaData.id);
    await readable(id);
    const first = gong.webhooks.deliveries.find((d) => d.callId === id)!;
    expect(first.status).toBe(202);
    const before = await api.prisma.call.findFirstOrThrow({ where: { integrationId: rowId, providerCallId: id } });
    const replay = await post(body, await signedGongDelivery({ url: webhookUrl, privateKey: keys.privateKey }, body));
    expect(replay).toEqual({ status: 200, body: { status: "DUPLICATE" } });
    await api.settleJobs();
    const after = await api.prisma.call.findMany({ where: { integrationId: rowId, providerCallId: id } });
    expect(after).toHaveLength(1);
    expect(after[0]!.updatedAt).toEqual(before.updatedAt);
  }, 60_000);
});

describe("refused and acknowledged deliveries store nothing", () => {
  it("unsigned, mis-signed, signed for another body, malformed, oversized and unknown URLs answer 4xx", async () => {
    const call = newGongCall("Never stored");
    const body = gongWebhookBody(call);
    const [calls, seen] = [await storedCount(), await deliveries()];

    expect(await post(body, { "content-type": "application/json" })).toMatchObject({
      status: 401,
      body: { code: "WEBHOOK_UNSIGNED" },
    });
    const wrongKey = await signedGongDelivery({ url: webhookUrl, privateKey: otherKeys.privateKey }, body);
    expect(await post(body, wrongKey)).toMatchObject({ status: 401, body: { code: "WEBHOOK_BAD_SIGNATURE" } });
    const otherBody = gongWebhookBody(newGongCall("Something else"));
    const forOther = await signedGongDelivery({ url: webhookUrl, privateKey: keys.privateKey }, otherBody);
    expect(await post(body, forOther)).toMatchObject({ status: 401, body: { code: "WEBHOOK_BAD_SIGNATURE" } });
    const otherUrl = await signedGongDelivery({ url: `${webhookUrl}x`, privateKey: keys.privateKey }, body);
    expect(await post(body, otherUrl)).toMatchObject({ status: 401, body: { code: "WEBHOOK_BAD_SIGNATURE" } });

    for (const bad of ["{not json", JSON.stringify({ callData: { metaData: {} } }), JSON.stringify({ hello: 1 })]) {
      const signed = await signedGongDelivery({ url: webhookUrl, privateKey: keys.privateKey }, bad);
      expect(await post(bad, signed)).toMatchObject({ status: 400, body: { code: "WEBHOOK_MALFORMED" } });
    }
    const huge = JSON.stringify({ callData: call, isTest: false, padding: "x".repeat(300_000) });
    const hugeSigned = await signedGongDelivery({ url: webhookUrl, privateKey: keys.privateKey }, huge);
    expect((await post(huge, hugeSigned)).status).toBe(413);

    const unknown = webhookUrl.replace(/\/[^/]+$/, `/${"A".repeat(43)}`);
    expect(await post(body, { "content-type": "application/json" }, unknown)).toMatchObject({
      status: 404,
      body: { code: "WEBHOOK_NOT_FOUND" },
    });

    await api.settleJobs();
    expect(await storedCount()).toBe(calls);
    expect(await deliveries()).toBe(seen);
    expect(await api.prisma.call.count({ where: { providerCallId: String(call.metaData.id) } })).toBe(0);
  }, 60_000);

  it("a test delivery (isTest) is acknowledged and not stored", async () => {
    const call = newGongCall("Gong's test button");
    const body = gongWebhookBody(call, true);
    const [calls, seen] = [await storedCount(), await deliveries()];
    const signed = await signedGongDelivery({ url: webhookUrl, privateKey: keys.privateKey }, body);
    expect(await post(body, signed)).toEqual({ status: 200, body: { status: "TEST" } });
    await api.settleJobs();
    expect(await storedCount()).toBe(calls);
    expect(await deliveries()).toBe(seen);
  }, 60_000);

  it("a rotated URL refuses deliveries to the old one", async () => {
    const call = newGongCall("Old URL");
    const body = gongWebhookBody(call);
    const oldUrl = webhookUrl;
    const rotated = await api.gql(WebhooksEnableDocument, { integrationId }, token);
    webhookUrl = rotated.data!.enableWebhook.webhook!.url;
    expect(webhookUrl).not.toBe(oldUrl);
    // The key stays with the endpoint; the simulator's rule is pointed at the new URL.
    gong.webhooks.clear();
    gong.webhooks.add({ url: webhookUrl, privateKey: keys.privateKey });
    const signed = await signedGongDelivery({ url: oldUrl, privateKey: keys.privateKey }, body);
    expect((await post(body, signed, oldUrl)).status).toBe(404);
  }, 60_000);

  it("is rate-limited per integration: past the limit a delivery answers 429 with Retry-After", async () => {
    const body = "{}";
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < RATE_PER_MINUTE + 5; i++) {
      const res = await fetch(webhookUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
      await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(RATE_PER_MINUTE);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  }, 60_000);
});
