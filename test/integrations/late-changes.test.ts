/**
 * Changes that arrive after a call was imported: edits upstream after the incremental overlap are
 * caught by the periodic deep re-read (incremental syncs read back `overlapMs`; once per
 * `deepEveryMs` a sync reads back `deepRereadMs`, the backfill counting as one), and an AI summary
 * published after the transcript is fetched by the follow-up that ends each run. A call deleted in
 * Gong (Gong sends no delete event) is found missing by the next re-read of its window, marked
 * deleted upstream and hidden from the call list; listed again, it is restored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { UpstreamCallsDocument, WizardSyncNowDocument } from "../generated/graphql.js";
import type { TestApi } from "../support/api.js";
import { type ApiEnv, backfillThroughWizard, gongEnv, runFinished } from "../support/backfill.js";
import { globalId } from "../support/fixtures.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let gong: GongSimulator;
let env: ApiEnv;
let api: TestApi;
let token: string;
let integrationId: string;

beforeAll(async () => {
  gong = await startGongSimulator({
    dataset: generateGongDataset(defaultScenario({ callsPerUser: 6, fromMs: Date.now() - 20 * DAY })),
  });
  env = await gongEnv(gong, {
    engine: { overlapMs: 2 * HOUR, deepRereadMs: 14 * DAY, deepEveryMs: HOUR, transcriptWindowMs: 10 * DAY },
  });
  ({ api, token } = env);
  ({ integrationGid: integrationId } = await backfillThroughWizard(api, token, "GONG", undefined, {
    period: "DAYS_30",
  }));
}, 60_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await env?.close();
});

async function syncNow() {
  const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
  expect(run.errors).toBeUndefined();
  return runFinished(api, token, "GONG", run.data!.syncNow.id);
}

describe("deep re-read of recent history", () => {
  it("an incremental sync does not see an edit older than its overlap; the next deep re-read updates the call in place", async () => {
    const workspaceUsers = new Set(["ada@acme.test", "max@acme.test", "sam@acme.test"]);
    const hosts = new Map(gong.dataset.users.map((u) => [u.id, u.emailAddress]));
    const old = gong.dataset.calls.find((c) => {
      const age = Date.now() - Date.parse(String(c.metaData.started));
      return workspaceUsers.has(String(hosts.get(String(c.metaData.primaryUserId)))) && age > 3 * DAY && age < 10 * DAY;
    })!;
    const id = String(old.metaData.id);
    old.metaData.title = "Renamed upstream a week later";

    const incremental = await syncNow();
    expect(incremental.summary.callsUpdated).toBe(0);
    expect((await api.prisma.call.findFirstOrThrow({ where: { providerCallId: id } })).title).not.toBe(
      old.metaData.title,
    );

    // An hour passes: no sync in the last deepEveryMs read back deepRereadMs any more.
    await api.prisma.syncRun.updateMany({ data: { startedAt: new Date(Date.now() - 2 * HOUR) } });
    const deep = await syncNow();
    expect(deep.summary.callsUpdated).toBe(1);
    const stored = await api.prisma.call.findMany({ where: { providerCallId: id } });
    expect(stored).toHaveLength(1);
    expect(stored[0]!.title).toBe("Renamed upstream a week later");
  });
});

describe("an AI summary published after the transcript", () => {
  it("is fetched by the follow-up that ends the next sync, without a deep re-read", async () => {
    const hosts = new Map(gong.dataset.users.map((u) => [u.id, u.emailAddress]));
    const recentCall = gong.dataset.calls.find((c) => {
      const age = Date.now() - Date.parse(String(c.metaData.started));
      const host = String(hosts.get(String(c.metaData.primaryUserId)));
      return c.content?.brief && host.endsWith("@acme.test") && age > 2 * DAY && age < 9 * DAY;
    })!;
    const id = String(recentCall.metaData.id);
    // The provider withdraws the AI content (as if not generated yet); a deep re-read stores the call without it.
    const content = recentCall.content;
    delete recentCall.content;
    await api.prisma.syncRun.updateMany({ data: { startedAt: new Date(Date.now() - 2 * HOUR) } });
    await syncNow();
    const withoutSummary = await api.prisma.call.findFirstOrThrow({
      where: { providerCallId: id },
      include: { summary: true },
    });
    expect(withoutSummary.readiness).toBe("READY");
    expect(withoutSummary.summary).toBeNull();

    recentCall.content = content;
    await syncNow(); // incremental: the call is outside its window; only the follow-up asks again
    const filled = await api.prisma.call.findFirstOrThrow({
      where: { providerCallId: id },
      include: { summary: true },
    });
    expect(filled.summary?.brief).toBe(content?.brief);
  });
});

describe("a call deleted in Gong", () => {
  it("is marked deleted upstream by the next re-read of its window, hidden from the list, and restored if listed again", async () => {
    const hosts = new Map(gong.dataset.users.map((u) => [u.id, u.emailAddress]));
    const victim = gong.dataset.calls.find((c) => {
      const age = Date.now() - Date.parse(String(c.metaData.started));
      return (
        String(hosts.get(String(c.metaData.primaryUserId))).endsWith("@acme.test") && age > 3 * DAY && age < 10 * DAY
      );
    })!;
    const id = String(victim.metaData.id);
    const stored = await api.prisma.call.findFirstOrThrow({ where: { providerCallId: id } });
    expect(stored.deletedUpstreamAt).toBeNull();
    expect(gong.deleteCall(id)).toBe(true);

    const ask = Date.now();
    await api.prisma.syncRun.updateMany({ data: { startedAt: new Date(Date.now() - 2 * HOUR) } });
    await syncNow(); // a deep re-read: the call's window is read again
    const marked = await api.prisma.call.findMany({ where: { deletedUpstreamAt: { not: null } } });
    expect(marked.map((c) => c.providerCallId)).toEqual([id]);
    expect(marked[0]!.deletedUpstreamAt!.getTime()).toBeGreaterThanOrEqual(ask);
    const list = await api.gql(UpstreamCallsDocument, {}, token);
    expect(list.data!.calls.edges.map((e) => e.node.id)).not.toContain(globalId("Call", stored.id));
    const shown = await api.gql(UpstreamCallsDocument, { filter: { includeDeletedUpstream: true } }, token);
    expect(shown.data!.calls.edges.map((e) => e.node.id)).toContain(globalId("Call", stored.id));

    gong.dataset.calls.push(victim);
    await api.prisma.syncRun.updateMany({ data: { startedAt: new Date(Date.now() - 2 * HOUR) } });
    await syncNow();
    expect((await api.prisma.call.findUniqueOrThrow({ where: { id: stored.id } })).deletedUpstreamAt).toBeNull();
  });
});
