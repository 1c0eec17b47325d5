/**
 * Salesloft incremental listing and upstream deletions, end to end with the simulator:
 * - after the backfill, a sync lists `updated_at[gt]` the user's high-water mark (ascending), so
 *   an edit of a conversation two months old is imported by the next sync without re-reading
 *   history (no deep re-read for Salesloft);
 * - a conversation deleted in Salesloft (the simulator sends its `conversation_deleted` webhook) is
 *   read again, found missing, marked deleted upstream with the time, left out of the call list,
 *   the deal page and their counts, shown with `includeDeletedUpstream`, readable by id, and its
 *   content purged by the integration purge.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSalesloftDataset } from "../../src/simulators/salesloft/dataset.js";
import { type SalesloftSimulator, startSalesloftSimulator } from "../../src/simulators/salesloft/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  UpstreamCallDocument,
  UpstreamCallsDocument,
  UpstreamDealCallsDocument,
  WebhooksEnableDocument,
  WizardPurgeDocument,
  WizardSyncNowDocument,
} from "../generated/graphql.js";
import type { TestApi } from "../support/api.js";
import { type ApiEnv, backfillThroughWizard, runFinished, salesloftEnv } from "../support/backfill.js";
import { globalId } from "../support/fixtures.js";
import { localId } from "../support/progress.js";

const DAY = 86_400_000;
let sim: SalesloftSimulator;
let env: ApiEnv;
let api: TestApi;
let token: string;
let integrationId: string;
const scenario = defaultScenario({ callsPerUser: 4, fromMs: Date.now() - 80 * DAY, segmentsPerCall: 4 });

beforeAll(async () => {
  sim = await startSalesloftSimulator({ dataset: generateSalesloftDataset(scenario) });
  env = await salesloftEnv(sim, { scenario });
  ({ api, token } = env);
  ({ integrationGid: integrationId } = await backfillThroughWizard(api, token, "SALESLOFT"));
}, 120_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await env?.close();
});

const finished = (runGid: string) => runFinished(api, token, "SALESLOFT", runGid);

async function until<T>(read: () => Promise<T | null | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await read();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
}

describe("Salesloft incremental listing", () => {
  it("an edit of a conversation two months old is imported by the next sync, which lists updated_at[gt] the mark", async () => {
    const stored = await api.prisma.call.findMany({ select: { providerCallId: true } });
    const ids = new Set(stored.map((c) => c.providerCallId));
    const old = sim.dataset.conversations.find(
      (c) => ids.has(String(c.id)) && Date.now() - Date.parse(c.created_at) > 40 * DAY,
    )!;
    old.title = "Renamed in Salesloft two months later";
    old.updated_at = new Date().toISOString();
    sim.log.clear();

    const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    expect(run.errors).toBeUndefined();
    const done = await finished(run.data!.syncNow.id);
    expect(done.status).toBe("COMPLETED");
    const calls = await api.prisma.call.findMany({ where: { providerCallId: String(old.id) } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.title).toBe("Renamed in Salesloft two months later");

    // Every user's listing asked for changes after its mark, oldest first; history was not re-read.
    const listings = sim.log.find((r) => r.path === "/v2/conversations" && !r.query["ids[]"]);
    expect(listings.length).toBeGreaterThan(0);
    for (const l of listings) {
      expect(l.query["updated_at[gt]"] ?? l.query["updated_at[gte]"]).toBeDefined();
      expect(l.query.sort_by).toEqual(["updated_at"]);
      expect(l.query.sort_direction).toEqual(["ASC"]);
    }
    const extensive = sim.log.find((r) => r.path.endsWith("/extensive"));
    expect(extensive.map((r) => r.path)).toContain(`/v2/conversations/${old.id}/extensive`);
    expect(extensive.length).toBeLessThan(stored.length / 2);
  }, 60_000);
});

describe("Salesloft upstream deletions", () => {
  it("a conversation deleted in Salesloft is marked deleted upstream, hidden from lists and the deal page, shown by the filter, purged on request", async () => {
    const enabled = await api.gql(WebhooksEnableDocument, { integrationId }, token);
    sim.webhooks.add({
      url: enabled.data!.enableWebhook.webhook!.url,
      callbackToken: enabled.data!.enableWebhook.webhook!.secret!,
    });
    const victim = await api.prisma.call.findFirstOrThrow({
      where: { integrationId: localId(integrationId), dealId: { not: null }, segments: { some: {} } },
    });
    const callId = globalId("Call", victim.id);
    const dealId = globalId("Deal", victim.dealId!);
    const before = await api.gql(UpstreamCallsDocument, {}, token);
    const dealBefore = await api.gql(UpstreamDealCallsDocument, { id: dealId }, token);
    expect(before.data!.calls.edges.map((e) => e.node.id)).toContain(callId);

    const ask = Date.now();
    expect(sim.deleteConversation(victim.providerCallId)).toBe(true);
    const marked = await until(() =>
      api.prisma.call.findFirst({ where: { id: victim.id, deletedUpstreamAt: { not: null } } }),
    );
    expect(marked.deletedUpstreamAt!.getTime()).toBeGreaterThanOrEqual(ask);
    const sent = sim.webhooks.deliveries.filter((d) => d.conversationId === victim.providerCallId);
    expect(sent.map((d) => [d.event, d.status])).toContainEqual(["conversation_deleted", 202]);

    const after = await api.gql(UpstreamCallsDocument, {}, token);
    expect(after.data!.calls.edges.map((e) => e.node.id)).not.toContain(callId);
    expect(after.data!.calls.totalCount).toBe(before.data!.calls.totalCount - 1);
    const shown = await api.gql(UpstreamCallsDocument, { filter: { includeDeletedUpstream: true } }, token);
    const node = shown.data!.calls.edges.find((e) => e.node.id === callId)?.node;
    expect(node?.deletedUpstreamAt).toBe(marked.deletedUpstreamAt!.toISOString());

    const dealAfter = await api.gql(UpstreamDealCallsDocument, { id: dealId }, token);
    expect(dealAfter.data!.deal!.calls.edges.map((e) => e.node.id)).not.toContain(callId);
    expect(dealAfter.data!.deal!.calls.totalCount).toBe(dealBefore.data!.deal!.calls.totalCount - 1);
    const dealShown = await api.gql(UpstreamDealCallsDocument, { id: dealId, includeDeletedUpstream: true }, token);
    expect(dealShown.data!.deal!.calls.edges.map((e) => e.node.id)).toContain(callId);

    const byId = await api.gql(UpstreamCallDocument, { id: callId }, token);
    expect(byId.data!.call?.deletedUpstreamAt).toBeTruthy();

    // A sync does not bring it back, and the integration purge removes its content.
    const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    await finished(run.data!.syncNow.id);
    expect((await api.prisma.call.findUniqueOrThrow({ where: { id: victim.id } })).deletedUpstreamAt).not.toBeNull();
    const purge = await api.gql(WizardPurgeDocument, { input: { integrationId } }, token);
    expect(purge.errors).toBeUndefined();
    const purged = await api.gql(UpstreamCallDocument, { id: callId }, token);
    expect(purged.data!.call?.purgedAt).toBeTruthy();
    expect(await api.prisma.transcriptSegment.count({ where: { callId: victim.id } })).toBe(0);
  }, 90_000);
});
