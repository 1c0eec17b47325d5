/**
 * An integration's life after the wizard, through the public API only, with Gong: late deal
 * linking, idempotent re-syncs and upstream edits, late transcripts, GDPR purges, disconnect and
 * reconnect without duplicates, a workspace without a CRM, and tenancy.
 *
 * Time is arranged so every path is reachable: the simulator lists a call as soon as it ends
 * (visibleAfterMs 0), its transcript comes 24 h after (the default), and incremental syncs
 * re-read 2 h before the last one (overlapMs), so a call from 5 h ago is only ever asked for
 * again by the transcript follow-up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgedEmailDigest } from "../../src/integrations/purge-audit.js";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset, isoWithOffset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, gongOAuthEnv, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  LifecycleCallsDocument,
  type LifecycleCallsQuery,
  LifecycleIntegrationByIdDocument,
  LifecycleSetCrmDocument,
  LifecycleUpsertDealsDocument,
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardDisconnectDocument,
  WizardIntegrationDocument,
  WizardIntegrationEventsDocument,
  WizardPurgeDocument,
  WizardRetryUserDocument,
  WizardStartSyncDocument,
  WizardSyncNowDocument,
  WizardSyncProgressDocument,
} from "../generated/graphql.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";
import { freePort } from "../support/net.js";
import { authorizeInBrowser } from "../support/oauth.js";
import { localId } from "../support/progress.js";
import { subscribe } from "../support/ws.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = Date.now();
const scenario = defaultScenario({ callsPerUser: 8, fromMs: now - 200 * DAY, toMs: now - 30 * HOUR });
const [GLOBEX, INITECH, UMBRELLA, HOOLI] = scenario.deals.map((d) => d.dealId) as [string, string, string, string];

let gong: GongSimulator;
let api: TestApi;
/** Acme: Salesforce connected, the Hooli deal missing (seedDemo). */
const acme = { token: "", memberToken: "", workspaceId: "", adminId: "", integrationId: "" };
/** The same people in a workspace without a CRM. */
const noCrm = { token: "", workspaceId: "", integrationId: "" };
/** Another tenant. */
let otherToken = "";
const added = { late: "", recent: "", recent2: "", old: "", gap: "" };

beforeAll(async () => {
  gong = await startGongSimulator({
    dataset: generateGongDataset(scenario),
    switches: { visibleAfterMs: 0 },
  });
  const port = await freePort();
  api = await startApi(
    {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...gongOAuthEnv(gong),
      WORKER_IN_PROCESS: "true",
      JOB_PROCESS_EVERY_MS: "200",
    },
    { port, engine: { maxAttempts: 2, retryDelayMs: 100, overlapMs: 2 * HOUR } },
  );
  const demo = await seedDemo(api.prisma, { scenario });
  Object.assign(acme, { workspaceId: demo.workspaceId, adminId: demo.adminId });
  acme.token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  acme.memberToken = await api.tokenFor({ id: demo.memberIds[0]!, workspaceId: demo.workspaceId });
  const bare = await seedDemo(api.prisma, { scenario, workspaceName: "Acme without CRM" });
  await api.prisma.crmConnection.deleteMany({ where: { workspaceId: bare.workspaceId } });
  noCrm.workspaceId = bare.workspaceId;
  noCrm.token = await api.tokenFor({ id: bare.adminId, workspaceId: bare.workspaceId });
  const other = await createWorkspace(api.prisma, "Other Co");
  otherToken = await api.tokenFor({ id: other.admin.id, workspaceId: other.workspace.id });

  // Calls whose timing the tests rely on (see the header).
  added.late = addCall("ada@acme.test", now - 5 * HOUR, 600, GLOBEX, "Globex — transcript comes late");
  added.recent = addCall("max@acme.test", now - 40 * 60_000, 300, HOOLI, "Hooli — first call");
  added.recent2 = addCall("sam@acme.test", now - 50 * 60_000, 300, INITECH, "Initech — pricing");
}, 60_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await api?.close();
  await gong?.close();
});

// --- helpers ------------------------------------------------------------------------------

let seq = 0;
/** Adds a Gong call (a copy of one of the user's calls) with the given start, duration and deal. */
function addCall(email: string, startedMs: number, durationS: number, dealId: string | null, title: string): string {
  const user = gong.dataset.users.find((u) => u.emailAddress === email)!;
  const template = gong.dataset.calls.find((c) => c.metaData.primaryUserId === user.id && (c.context ?? []).length)!;
  const call = structuredClone(template);
  const transcript = structuredClone(gong.dataset.callTranscripts.find((t) => t.callId === template.metaData.id)!);
  const id = `9${String(now).slice(-9)}${String(++seq).padStart(9, "0")}`;
  const iso = isoWithOffset(startedMs, -420);
  Object.assign(call.metaData, { id, title, started: iso, scheduled: iso, duration: durationS });
  call.context = dealId
    ? (call.context ?? []).map((ctx) => ({
        ...ctx,
        objects: (ctx.objects ?? []).map((o) => (o.objectType === "Opportunity" ? { ...o, objectId: dealId } : o)),
      }))
    : [];
  transcript.callId = id;
  gong.dataset.calls.push(call);
  gong.dataset.callTranscripts.push(transcript);
  return id;
}

/** The OAuth round trip: connect, the simulator's consent page, callsync's callback. */
async function connectGong(token: string): Promise<string> {
  const connect = await api.gql(WizardConnectDocument, { provider: "GONG" }, token);
  expect(connect.errors).toBeUndefined();
  const { outcome } = await authorizeInBrowser(connect.data!.connectIntegration.authorizationUrl!, token);
  expect(outcome).toBe("connected");
  return connect.data!.connectIntegration.integration.id;
}

/** Waits for a run to finish (polling the public API) and returns the integration as the wizard sees it. */
async function finished(token: string, runId: string, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.gql(WizardIntegrationDocument, { provider: "GONG" }, token);
    const integration = res.data!.integration!;
    if (integration.latestRun?.id === runId && integration.latestRun.status !== "RUNNING") {
      // The run queues a transcript follow-up as it closes; let it finish so the next step starts clean.
      await api.settleJobs();
      return integration;
    }
    if (Date.now() > until) throw new Error(`run ${runId} still running: ${JSON.stringify(integration.latestRun)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function syncNow(token: string, integrationId: string) {
  const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
  expect(run.errors).toBeUndefined();
  return finished(token, run.data!.syncNow.id);
}

async function backfill(token: string, integrationId: string, period: "DAYS_90" | "YEAR_1") {
  const chosen = await api.gql(WizardChooseBackfillDocument, { integrationId, period }, token);
  expect(chosen.errors).toBeUndefined();
  const started = await api.gql(WizardStartSyncDocument, { integrationId }, token);
  expect(started.errors).toBeUndefined();
  const integration = await finished(token, started.data!.startSync.id);
  expect(integration.latestRun!.status).toBe("COMPLETED");
  return integration;
}

type ApiCall = LifecycleCallsQuery["calls"]["edges"][number]["node"];
async function calls(token: string): Promise<ApiCall[]> {
  const res = await api.gql(LifecycleCallsDocument, { filter: { provider: "GONG" }, first: 100 }, token);
  expect(res.errors).toBeUndefined();
  expect(res.data!.calls.pageInfo.hasNextPage).toBe(false);
  return res.data!.calls.edges.map((e) => e.node);
}
const byProviderId = (list: ApiCall[], id: string) => list.find((c) => c.providerCallId === id)!;
const refersTo = (c: ApiCall, dealId: string) =>
  c.crmRefs.some((r) => r.objectType === "Opportunity" && r.objectId === dealId);

async function callCount(integrationId: string) {
  return api.prisma.call.count({ where: { integrationId: localId(integrationId) } });
}

async function scheduledJobs(integrationId: string): Promise<number> {
  const { rows } = await api.runtime.db.pool.query(
    `SELECT count(*)::int AS n FROM agenda_jobs WHERE name = 'sync:scheduled' AND data->>'integrationId' = $1`,
    [localId(integrationId)],
  );
  return rows[0].n;
}

// --- tests --------------------------------------------------------------------------------

describe("Gong lifecycle", () => {
  it("connects and backfills 90 days", async () => {
    acme.integrationId = await connectGong(acme.token);
    const integration = await backfill(acme.token, acme.integrationId, "DAYS_90");
    expect(integration.callCount).toBe(await callCount(acme.integrationId));
    expect(integration.callCount).toBe(integration.latestRun!.summary.callsImported);
    expect(await scheduledJobs(acme.integrationId)).toBe(1);
  });

  it("links calls imported before their deal as soon as the deal arrives, without a re-sync", async () => {
    const before = await calls(acme.token);
    const waiting = before.filter((c) => refersTo(c, HOOLI));
    expect(waiting.map((c) => c.providerCallId)).toContain(added.recent);
    for (const c of waiting) {
      expect(c.dealLink.status).toBe("NO_MATCHING_DEAL");
      expect(c.dealLink.reason).toBeTruthy();
      expect(c.deal).toBeNull();
    }
    const linkedBefore = before.filter((c) => c.dealLink.status === "LINKED");
    expect(linkedBefore.length).toBeGreaterThan(0);
    const runs = await api.prisma.syncRun.count({ where: { integrationId: localId(acme.integrationId) } });

    const upsert = await api.gql(
      LifecycleUpsertDealsDocument,
      { deals: [{ crmProvider: "SALESFORCE", crmId: HOOLI, name: "Hooli — 70 seats", stage: "Discovery" }] },
      acme.token,
    );
    expect(upsert.errors).toBeUndefined();
    expect(upsert.data!.upsertDeals).toEqual({ created: 1, updated: 0, callsLinked: waiting.length });

    const after = await calls(acme.token);
    for (const c of waiting) {
      const now = byProviderId(after, c.providerCallId);
      expect(now.dealLink).toEqual({ status: "LINKED", reason: null });
      expect(now.deal?.crmId).toBe(HOOLI);
    }
    expect(after.filter((c) => c.dealLink.status === "LINKED")).toHaveLength(linkedBefore.length + waiting.length);
    expect(await api.prisma.syncRun.count({ where: { integrationId: localId(acme.integrationId) } })).toBe(runs);
  });

  it("re-syncs idempotently, and updates a call changed upstream in place", async () => {
    const count = await callCount(acme.integrationId);
    for (let i = 0; i < 2; i++) {
      const integration = await syncNow(acme.token, acme.integrationId);
      expect(integration.latestRun!.status).toBe("COMPLETED");
      expect(integration.latestRun!.summary).toMatchObject({ callsImported: 0, callsUpdated: 0 });
      expect(await callCount(acme.integrationId)).toBe(count);
    }

    const row = await api.prisma.call.findFirstOrThrow({ where: { providerCallId: added.recent } });
    gong.dataset.calls.find((c) => c.metaData.id === added.recent)!.metaData.title = "Hooli — first call (renamed)";
    const integration = await syncNow(acme.token, acme.integrationId);
    const summary = integration.latestRun!.summary;
    expect(summary).toMatchObject({ callsImported: 0, callsUpdated: 1 });
    expect(summary.callsUnchanged).toBeGreaterThanOrEqual(1); // the other call in the window
    expect(await callCount(acme.integrationId)).toBe(count);
    const changed = byProviderId(await calls(acme.token), added.recent);
    expect(changed.title).toBe("Hooli — first call (renamed)");
    expect(changed.dealLink.status).toBe("LINKED");
    const after = await api.prisma.call.findFirstOrThrow({ where: { providerCallId: added.recent } });
    expect(after.id).toBe(row.id);
  });

  it("fills a late transcript from the follow-up that ends a sync run", async () => {
    const late = byProviderId(await calls(acme.token), added.late);
    expect(late.readiness).toBe("TRANSCRIPT_PENDING");
    expect(late.transcript).toEqual({ readiness: "TRANSCRIPT_PENDING", segmentCount: 0 });

    await api.settleJobs(); // no follow-up of an earlier run straddles the clock change
    gong.log.clear();
    gong.clock.advance(25 * HOUR); // Gong publishes transcripts about a day after the call
    await syncNow(acme.token, acme.integrationId);
    const until = Date.now() + 20_000;
    let filled = byProviderId(await calls(acme.token), added.late);
    while (filled.readiness !== "READY" && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      filled = byProviderId(await calls(acme.token), added.late);
    }
    expect(filled.readiness).toBe("READY");
    expect(filled.transcript.readiness).toBe("READY");
    expect(filled.transcript.segmentCount).toBeGreaterThan(0);
    expect(filled.summary?.brief).toBeTruthy();
    // It came from the follow-up (asked by call id), not from re-listing the user's calls.
    const byId = gong.log
      .find((r) => r.path === "/v2/calls/extensive")
      .map((r) => (r.body as { filter: { callIds?: string[] } }).filter.callIds ?? []);
    expect(byId.flat()).toContain(added.late);
  });

  it("purges by email: content gone, rows kept, audited without the email; members may not; a re-sync does not refill", async () => {
    const list = await calls(acme.token);
    const email = list
      .find((c) => c.providerCallId === added.recent)!
      .participants.map((p) => p.email)
      .find((e) => e && !e.endsWith("@acme.test"))!;
    expect(email).toBeTruthy();
    const targets = list.filter((c) => c.participants.some((p) => p.email === email));

    const member = await api.gql(WizardPurgeDocument, { input: { email } }, acme.memberToken);
    expect(errorCodes(member)).toEqual(["FORBIDDEN"]);

    const purge = await api.gql(WizardPurgeDocument, { input: { email: email.toUpperCase() } }, acme.token);
    expect(purge.errors).toBeUndefined();
    expect(purge.data!.purgeCallData.callsPurged).toBe(targets.length);
    const after = await calls(acme.token);
    expect(after).toHaveLength(list.length);
    for (const t of targets) {
      const c = byProviderId(after, t.providerCallId);
      expect(c.purgedAt).not.toBeNull();
      expect(c).toMatchObject({ participants: [], summary: null, actionItems: [] });
      expect(c.transcript.segmentCount).toBe(0);
    }
    const untouched = after.filter((c) => !targets.some((t) => t.providerCallId === c.providerCallId));
    expect(untouched.every((c) => c.purgedAt === null)).toBe(true);

    const audit = await api.prisma.purgeAudit.findUniqueOrThrow({ where: { id: purge.data!.purgeCallData.auditId } });
    expect(audit).toMatchObject({
      workspaceId: acme.workspaceId,
      actorId: acme.adminId,
      scope: "PERSON",
      integrationId: null,
      callsAffected: targets.length,
      emailHmac: purgedEmailDigest(api.runtime.config.purgeAuditKey, email),
      emailSha256: null,
    });
    expect(JSON.stringify(audit).toLowerCase()).not.toContain(email.toLowerCase());

    // The call in the sync window is read again, and stays purged.
    await syncNow(acme.token, acme.integrationId);
    const recent = byProviderId(await calls(acme.token), added.recent);
    expect(recent.purgedAt).not.toBeNull();
    expect(recent.participants).toEqual([]);
    expect(recent.transcript.segmentCount).toBe(0);
    expect(await api.prisma.transcriptSegment.count({ where: { call: { providerCallId: added.recent } } })).toBe(0);
  });

  it("disconnects: credentials and schedule gone, calls and deal links stay; reconnecting fills the gap without duplicates", async () => {
    const before = await api.prisma.call.findMany({
      where: { integrationId: localId(acme.integrationId) },
      select: { id: true, providerCallId: true, dealId: true, dealLinkStatus: true, purgedAt: true },
    });
    expect(await scheduledJobs(acme.integrationId)).toBe(1);

    const disconnected = await api.gql(WizardDisconnectDocument, { integrationId: acme.integrationId }, acme.token);
    expect(disconnected.errors).toBeUndefined();
    expect(disconnected.data!.disconnectIntegration).toMatchObject({ status: "DISCONNECTED", nextSyncAt: null });
    const row = await api.prisma.integration.findUniqueOrThrow({ where: { id: localId(acme.integrationId) } });
    expect(row.credentials).toBeNull();
    expect(await scheduledJobs(acme.integrationId)).toBe(0);
    const kept = await api.prisma.call.findMany({
      where: { integrationId: localId(acme.integrationId) },
      select: { id: true, providerCallId: true, dealId: true, dealLinkStatus: true, purgedAt: true },
    });
    expect(kept).toEqual(expect.arrayContaining(before));
    expect(kept).toHaveLength(before.length);
    expect(errorCodes(await api.gql(WizardSyncNowDocument, { integrationId: acme.integrationId }, acme.token))).toEqual(
      ["NOT_CONNECTED"],
    );

    // While disconnected: an older call only a longer backfill reaches, and a new one.
    added.old = addCall("ada@acme.test", now - 150 * DAY, 900, UMBRELLA, "Umbrella — kickoff");
    added.gap = addCall("sam@acme.test", now - 20 * 60_000, 300, GLOBEX, "Globex — while disconnected");

    const again = await connectGong(acme.token);
    expect(again).toBe(acme.integrationId);
    const integration = await backfill(acme.token, acme.integrationId, "YEAR_1");
    expect(integration).toMatchObject({ status: "CONNECTED", backfillPeriod: "YEAR_1", wizardStep: "COMPLETE" });
    expect(await scheduledJobs(acme.integrationId)).toBe(1);

    const { rows: dupes } = await api.runtime.db.pool.query(
      `SELECT "providerCallId", count(*)::int AS n FROM "Call" WHERE "integrationId" = $1
        GROUP BY "providerCallId" HAVING count(*) > 1`,
      [localId(acme.integrationId)],
    );
    expect(dupes).toEqual([]);
    const after = await api.prisma.call.findMany({
      where: { integrationId: localId(acme.integrationId) },
      select: { id: true, providerCallId: true, dealId: true, dealLinkStatus: true, purgedAt: true },
    });
    expect(after).toEqual(expect.arrayContaining(before)); // same rows, links and purges
    const ids = after.map((c) => c.providerCallId);
    expect(ids).toContain(added.old);
    expect(ids).toContain(added.gap);
    const inYear = gong.dataset.calls.filter((c) => {
      const user = gong.dataset.users.find((u) => u.id === c.metaData.primaryUserId);
      return !user?.emailAddress?.startsWith("outsider") && Date.parse(String(c.metaData.started)) >= now - 365 * DAY;
    });
    expect(after).toHaveLength(inYear.length);
    expect(integration.latestRun!.summary.callsImported).toBe(after.length - before.length);
    expect(integration.callCount).toBe(after.length);
  });
});

describe("A workspace without a CRM", () => {
  it("warns NO_CRM_CONNECTED, calls say NO_CRM_CONNECTION, and connecting the CRM links them", async () => {
    noCrm.integrationId = await connectGong(noCrm.token);
    const integration = await backfill(noCrm.token, noCrm.integrationId, "DAYS_90");
    expect(integration.warnings.map((w) => w.code)).toEqual(["NO_CRM_CONNECTED"]);
    const list = await calls(noCrm.token);
    expect(list.length).toBeGreaterThan(0);
    for (const c of list) expect(c.dealLink).toMatchObject({ status: "NO_CRM_CONNECTION", reason: expect.any(String) });
    const linkable = list.filter((c) => [GLOBEX, INITECH, UMBRELLA].some((d) => refersTo(c, d)));
    expect(linkable.length).toBeGreaterThan(0);

    const set = await api.gql(LifecycleSetCrmDocument, { provider: "SALESFORCE" }, noCrm.token);
    expect(set.errors).toBeUndefined();
    expect(set.data!.setCrmConnection.callsLinked).toBe(linkable.length);
    const after = await calls(noCrm.token);
    for (const c of after) {
      if (linkable.some((l) => l.providerCallId === c.providerCallId)) expect(c.dealLink.status).toBe("LINKED");
      else if (refersTo(c, HOOLI)) expect(c.dealLink.status).toBe("NO_MATCHING_DEAL");
    }
    const state = await api.gql(WizardIntegrationDocument, { provider: "GONG" }, noCrm.token);
    expect(state.data!.integration!.warnings).toEqual([]);
  });

  it("purges a whole integration: every call kept with purgedAt, content gone, audited; a re-sync does not refill", async () => {
    const count = await callCount(noCrm.integrationId);
    const purge = await api.gql(WizardPurgeDocument, { input: { integrationId: noCrm.integrationId } }, noCrm.token);
    expect(purge.errors).toBeUndefined();
    expect(purge.data!.purgeCallData.callsPurged).toBe(count);
    const audit = await api.prisma.purgeAudit.findUniqueOrThrow({ where: { id: purge.data!.purgeCallData.auditId } });
    expect(audit).toMatchObject({
      workspaceId: noCrm.workspaceId,
      scope: "INTEGRATION",
      integrationId: localId(noCrm.integrationId),
      emailHmac: null,
      callsAffected: count,
    });
    expect(audit.actorId).not.toBeNull();

    await syncNow(noCrm.token, noCrm.integrationId);
    const list = await calls(noCrm.token);
    expect(list).toHaveLength(count);
    for (const c of list) {
      expect(c.purgedAt).not.toBeNull();
      expect(c).toMatchObject({ participants: [], summary: null, actionItems: [] });
      expect(c.transcript.segmentCount).toBe(0);
    }
    const where = { call: { integrationId: localId(noCrm.integrationId) } };
    expect(await api.prisma.transcriptSegment.count({ where })).toBe(0);
    expect(await api.prisma.callParticipant.count({ where })).toBe(0);
    expect(await api.prisma.callSummary.count({ where })).toBe(0);
    expect(await api.prisma.actionItem.count({ where })).toBe(0);
    // Acme's calls were not touched.
    expect(await api.prisma.call.count({ where: { workspaceId: acme.workspaceId, purgedAt: null } })).toBeGreaterThan(
      0,
    );
  });
});

describe("Tenancy", () => {
  it("an admin of another workspace gets NOT_FOUND for every integration mutation on this integration", async () => {
    const integrationId = acme.integrationId;
    const state = await api.gql(WizardIntegrationDocument, { provider: "GONG" }, acme.token);
    const statusId = state.data!.integration!.latestRun!.users[0]!.id;
    const results = {
      chooseBackfill: await api.gql(WizardChooseBackfillDocument, { integrationId, period: "DAYS_30" }, otherToken),
      startSync: await api.gql(WizardStartSyncDocument, { integrationId }, otherToken),
      syncNow: await api.gql(WizardSyncNowDocument, { integrationId }, otherToken),
      retrySyncUser: await api.gql(WizardRetryUserDocument, { id: statusId }, otherToken),
      purge: await api.gql(WizardPurgeDocument, { input: { integrationId } }, otherToken),
      disconnect: await api.gql(WizardDisconnectDocument, { integrationId }, otherToken),
    };
    for (const [name, res] of Object.entries(results)) expect([name, errorCodes(res)]).toEqual([name, ["NOT_FOUND"]]);
    const read = await api.gql(LifecycleIntegrationByIdDocument, { id: integrationId }, otherToken);
    expect(read.data?.integration ?? null).toBeNull();
    // Nothing changed for the owner.
    const after = await api.gql(WizardIntegrationDocument, { provider: "GONG" }, acme.token);
    expect(after.data!.integration).toMatchObject({ status: "CONNECTED", backfillPeriod: "YEAR_1" });
    expect(await api.prisma.call.count({ where: { workspaceId: acme.workspaceId, purgedAt: null } })).toBeGreaterThan(
      0,
    );
  });

  it("another workspace's subscriptions to this integration fail with NOT_FOUND and receive nothing", async () => {
    const integrationId = acme.integrationId;
    const events = subscribe(api.url, otherToken, WizardIntegrationEventsDocument, { integrationId });
    const progress = subscribe(api.url, otherToken, WizardSyncProgressDocument, { integrationId });
    const own = subscribe(api.url, acme.token, WizardSyncProgressDocument, { integrationId });
    await new Promise((r) => setTimeout(r, 300));
    const run = await api.gql(WizardSyncNowDocument, { integrationId }, acme.token);
    const runId = run.data!.syncNow.id;
    await own.until((e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING", 60_000);
    expect(events.events).toEqual([]);
    expect(progress.events).toEqual([]);
    expect(JSON.stringify(events.errors)).toContain("NOT_FOUND");
    expect(JSON.stringify(progress.errors)).toContain("NOT_FOUND");
    await Promise.all([events.close(), progress.close(), own.close()]);
  });
});
