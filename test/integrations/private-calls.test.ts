/**
 * Issue 14 on real imports, one suite run against each provider that marks calls private (Gong
 * `metaData.isPrivate`, Clari Copilot private calls behind `includePrivate`): the wizard's
 * default skips private calls; importing them restricts each to its internal participants, its
 * owner and admins; going back to skipping purges and hides them with audit; an exclusion rule
 * purges what it matches; the daily retention job purges old content — and no later sync or
 * re-read backfill brings any of it back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB } from "../../src/jobs/queue.js";
import { seedDemo } from "../../src/seed/demo.js";
import { generateClariDataset } from "../../src/simulators/clari/dataset.js";
import { startClariSimulator } from "../../src/simulators/clari/server.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { gongOAuthEnv, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario, type Scenario } from "../../src/simulators/scenario.js";
import {
  PrivacySetHandlingDocument,
  PrivacySetRulesDocument,
  PrivateImportBackfillDocument,
  PrivateImportCallDocument,
  PrivateImportCallsDocument,
  PrivateImportProgressDocument,
  type PrivateImportProgressSubscription,
  PrivateImportStateDocument,
  WizardConnectDocument,
  WizardStartSyncDocument,
  WizardSyncNowDocument,
} from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { globalId } from "../support/fixtures.js";
import { freePort } from "../support/net.js";
import { authorizeInBrowser } from "../support/oauth.js";
import { localId } from "../support/progress.js";
import { subscribe } from "../support/ws.js";

const DAY = 86_400_000;

interface Simulated {
  env: Record<string, string>;
  port?: number;
  /** Provider ids of the calls the simulator marks private. */
  privateIds: Set<string>;
  /** Connects through the public API (OAuth round trip or key pair); returns the integration's global id. */
  connect(api: TestApi, token: string): Promise<string>;
  /** The `includePrivate` values the provider's listing requests carried (Clari only). */
  includePrivateSent(): string[];
  /** Where the call listings sent since log position `since` started (ms epoch); and the log's length. */
  listedFrom(since: number): number[];
  logSize(): number;
  close(): Promise<void>;
}

interface ProviderCase {
  provider: "GONG" | "CLARI_COPILOT";
  name: string;
  /**
   * Whether a skipped private call reaches callsync at all: Gong lists it (flagged), so it is
   * counted as not imported; Clari leaves private calls out of `GET /calls` unless asked, and
   * callsync does not ask while it skips them (nothing private is downloaded to be thrown away).
   */
  listsSkippedPrivateCalls: boolean;
  start(scenario: Scenario): Promise<Simulated>;
}

const CASES: ProviderCase[] = [
  {
    provider: "GONG",
    name: "Gong",
    listsSkippedPrivateCalls: true,
    async start(scenario) {
      const gong = await startGongSimulator({ dataset: generateGongDataset(scenario) });
      const port = await freePort();
      return {
        port,
        env: {
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          ...gongOAuthEnv(gong),
        },
        privateIds: new Set(gong.dataset.calls.filter((c) => c.metaData.isPrivate).map((c) => String(c.metaData.id))),
        async connect(api, token) {
          const res = await api.gql(WizardConnectDocument, { provider: "GONG" }, token);
          const { outcome } = await authorizeInBrowser(res.data!.connectIntegration.authorizationUrl!, token);
          expect(outcome).toBe("connected");
          return res.data!.connectIntegration.integration.id;
        },
        includePrivateSent: () => [],
        listedFrom: (since) =>
          gong.log.entries
            .slice(since)
            .filter((r) => r.path === "/v2/calls/extensive" && r.method === "POST")
            .map((r) => Date.parse((r.body as { filter: { fromDateTime: string } }).filter.fromDateTime)),
        logSize: () => gong.log.entries.length,
        close: () => gong.close(),
      };
    },
  },
  {
    provider: "CLARI_COPILOT",
    name: "Clari Copilot",
    listsSkippedPrivateCalls: false,
    async start(scenario) {
      const clari = await startClariSimulator({ dataset: generateClariDataset(scenario) });
      return {
        env: { CLARI_API_URL: clari.url },
        privateIds: new Set(
          clari.dataset.calls.filter((c) => (c as { is_private?: boolean }).is_private).map((c) => c.id),
        ),
        async connect(api, token) {
          const { apiKey, apiSecret } = clari.apiKeys.default;
          const res = await api.gql(WizardConnectDocument, { provider: "CLARI_COPILOT", apiKey, apiSecret }, token);
          expect(res.errors).toBeUndefined();
          return res.data!.connectIntegration.integration.id;
        },
        includePrivateSent: () =>
          clari.log.entries.filter((r) => r.path === "/calls").map((r) => r.query.includePrivate?.[0] ?? "absent"),
        listedFrom: (since) =>
          clari.log.entries
            .slice(since)
            .filter((r) => r.path === "/calls" && r.query.filterTimeGt)
            .map((r) => Date.parse(r.query.filterTimeGt![0]!)),
        logSize: () => clari.log.entries.length,
        close: () => clari.close(),
      };
    },
  },
];

describe.each(CASES)("$name private calls, exclusions and retention on a real import", (c) => {
  // About a third of the calls private, spread over 80 days so a 30-day window cuts some off.
  const scenario = defaultScenario({
    callsPerUser: 10,
    fromMs: Date.now() - 80 * DAY,
    toMs: Date.now() - DAY,
    segmentsPerCall: 4,
    privateRatio: 0.35,
  });
  let sim: Simulated;
  let api: TestApi;
  let workspaceId: string;
  let integrationGid: string;
  let integrationId: string;
  const tokens = { admin: "", max: "", sam: "" };
  const users = { max: "", sam: "" };
  let skippedAsPrivate: string[] = [];

  beforeAll(async () => {
    sim = await c.start(scenario);
    api = await startApi(
      { ...sim.env, WORKER_IN_PROCESS: "true", JOB_PROCESS_EVERY_MS: "200" },
      { port: sim.port, engine: { maxAttempts: 2, retryDelayMs: 100 } },
    );
    const demo = await seedDemo(api.prisma, { scenario });
    workspaceId = demo.workspaceId;
    const people = await api.prisma.user.findMany({ where: { workspaceId } });
    const byEmail = (email: string) => people.find((u) => u.email === email)!;
    users.max = byEmail("max@acme.test").id;
    users.sam = byEmail("sam@acme.test").id;
    tokens.admin = await api.tokenFor({ id: demo.adminId, workspaceId });
    tokens.max = await api.tokenFor({ id: users.max, workspaceId });
    tokens.sam = await api.tokenFor({ id: users.sam, workspaceId });
    integrationGid = await sim.connect(api, tokens.admin);
    integrationId = localId(integrationGid);
  }, 90_000);

  afterAll(async () => {
    if (api) await api.settleJobs();
    await api?.close();
    await sim?.close();
  });

  /** Waits for the integration's run `runId` to finish, and returns the integration's state. */
  async function finished(runId: string) {
    const until = Date.now() + 90_000;
    for (;;) {
      const res = await api.gql(PrivateImportStateDocument, { provider: c.provider }, tokens.admin);
      const run = res.data?.integration?.latestRun;
      if (run?.id === runId && run.status !== "RUNNING") return res.data!.integration!;
      if (Date.now() > until) throw new Error(`run ${runId} did not finish: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  async function syncNow() {
    const res = await api.gql(WizardSyncNowDocument, { integrationId: integrationGid }, tokens.admin);
    expect(res.errors).toBeUndefined();
    return finished(res.data!.syncNow.id);
  }
  const stored = () =>
    api.prisma.call.findMany({
      where: { integrationId },
      include: { participants: true, _count: { select: { segments: true } } },
    });
  const readCall = async (id: string, token: string) =>
    (await api.gql(PrivateImportCallDocument, { id: globalId("Call", id) }, token)).data?.call ?? null;
  const audits = (scope: "PRIVATE_CALLS" | "EXCLUSION_RULE" | "RETENTION") =>
    api.prisma.purgeAudit.findMany({ where: { workspaceId, scope }, orderBy: { createdAt: "asc" } });
  /** Waits until the store's transcript follow-ups are done, so counts of segments are final. */
  const settled = () => api.settleJobs(30_000);

  it(`skips private calls by default (the Backfill step's choice), counted with "Private in ${c.name}"`, async () => {
    const backfill = await api.gql(
      PrivateImportBackfillDocument,
      { integrationId: integrationGid, period: "DAYS_90" },
      tokens.admin,
    );
    expect(backfill.data?.chooseBackfill.privateCalls).toBe("SKIP");
    const start = await api.gql(WizardStartSyncDocument, { integrationId: integrationGid }, tokens.admin);
    const state = await finished(start.data!.startSync.id);
    expect(state.latestRun?.status).toBe("COMPLETED");

    const calls = await stored();
    expect(calls.length).toBeGreaterThan(10);
    expect(calls.filter((call) => sim.privateIds.has(call.providerCallId) || call.isPrivate)).toEqual([]);

    const notImported = state.latestRun!.callsNotImported;
    skippedAsPrivate = notImported.filter((r) => r.reasonCode === "PRIVATE").map((r) => r.providerRecordId);
    if (c.listsSkippedPrivateCalls) {
      expect(skippedAsPrivate.length).toBeGreaterThan(2);
      expect(skippedAsPrivate.every((id) => sim.privateIds.has(id))).toBe(true);
      expect(new Set(notImported.filter((r) => r.reasonCode === "PRIVATE").map((r) => r.reason))).toEqual(
        new Set([`Private in ${c.name}`]),
      );
      expect(state.latestRun!.summary.callsSkipped).toBeGreaterThanOrEqual(skippedAsPrivate.length);
    } else {
      expect(skippedAsPrivate).toEqual([]);
      const sent = sim.includePrivateSent();
      expect(sent.length).toBeGreaterThan(0);
      expect(new Set(sent)).toEqual(new Set(["false"]));
    }
    // Members are not told about private calls they may not know exist.
    const member = await api.gql(PrivateImportStateDocument, { provider: c.provider }, tokens.sam);
    expect(member.data?.integration?.latestRun?.callsNotImported.filter((r) => r.reasonCode === "PRIVATE")).toEqual([]);
  }, 120_000);

  it("imports private calls when allowed: each readable only by its internal participants, its owner and admins", async () => {
    const set = await api.gql(
      PrivacySetHandlingDocument,
      { integrationId: integrationGid, handling: "PARTICIPANTS_AND_ADMINS" },
      tokens.admin,
    );
    expect(set.errors).toBeUndefined();
    const state = await syncNow();
    expect(state.latestRun?.status).toBe("COMPLETED");
    await settled();

    const calls = await stored();
    const privateCalls = calls.filter((call) => call.isPrivate);
    expect(privateCalls.length).toBeGreaterThan(2);
    expect(privateCalls.every((call) => sim.privateIds.has(call.providerCallId))).toBe(true);
    // The re-read window brings in exactly the private calls the first import skipped.
    if (c.listsSkippedPrivateCalls)
      expect(privateCalls.map((call) => call.providerCallId).sort()).toEqual([...skippedAsPrivate].sort());
    else expect(sim.includePrivateSent()).toContain("true");

    const mayRead = (userId: string, call: (typeof calls)[number]) =>
      call.ownerUserId === userId || call.participants.some((p) => p.userId === userId && p.isInternal);
    let onlyMax = 0;
    for (const call of privateCalls) {
      expect((await readCall(call.id, tokens.admin))?.isPrivate, call.providerCallId).toBe(true);
      for (const who of ["max", "sam"] as const) {
        const read = await readCall(call.id, tokens[who]);
        expect(read?.id ?? null, `${who} reads ${call.providerCallId}`).toBe(
          mayRead(users[who], call) ? globalId("Call", call.id) : null,
        );
      }
      if (mayRead(users.max, call) && !mayRead(users.sam, call)) onlyMax++;
    }
    // The scenario has private calls that one member is on and the other is not.
    expect(onlyMax).toBeGreaterThan(0);

    // Lists agree: a member's calls list holds the public calls and the private ones they are on.
    for (const who of ["max", "sam"] as const) {
      const list = await api.gql(PrivateImportCallsDocument, {}, tokens[who]);
      const expected = calls.filter((call) => !call.isPrivate || mayRead(users[who], call));
      expect(list.data?.calls.totalCount, who).toBe(expected.length);
    }
  }, 120_000);

  it("going back to skipping purges and hides the stored private calls, with audit; a later sync does not refill them", async () => {
    const privateBefore = (await stored()).filter((call) => call.isPrivate && call._count.segments > 0);
    expect(privateBefore.length).toBeGreaterThan(0);
    const set = await api.gql(
      PrivacySetHandlingDocument,
      { integrationId: integrationGid, handling: "SKIP" },
      tokens.admin,
    );
    const purgedCount = (await stored()).filter((call) => call.isPrivate).length;
    expect(set.data?.setPrivateCallHandling.callsPurged).toBe(purgedCount);
    const [audit] = await audits("PRIVATE_CALLS");
    expect(audit).toMatchObject({ callsAffected: purgedCount, integrationId });
    expect(audit?.actorId).not.toBeNull();

    await syncNow();
    await settled();
    for (const call of (await stored()).filter((s) => s.isPrivate)) {
      expect(call.hiddenAt, call.providerCallId).not.toBeNull();
      expect(call._count.segments, call.providerCallId).toBe(0);
      expect(call.participants, call.providerCallId).toEqual([]);
      expect(await readCall(call.id, tokens.max)).toBeNull();
      expect((await readCall(call.id, tokens.admin))?.hiddenReason).toMatch(new RegExp(`^Private in ${c.name}`));
    }
  }, 120_000);

  it("an exclusion rule purges the stored calls it matches, with audit, and later syncs skip them", async () => {
    const visible = (await stored()).filter((call) => call.hiddenAt === null && call.title);
    // The topic after the dash ("Acme — Pricing review"): a keyword several stored calls share.
    const keyword = mostCommonTopic(visible.map((call) => call.title!));
    const matching = visible.filter((call) => call.title!.toLowerCase().includes(keyword.toLowerCase()));
    expect(matching.length).toBeGreaterThan(0);

    const res = await api.gql(
      PrivacySetRulesDocument,
      { integrationId: integrationGid, rules: [{ kind: "TITLE_KEYWORD", value: keyword }] },
      tokens.admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.setExclusionRules.callsPurged).toBe(matching.length);
    expect((await audits("EXCLUSION_RULE")).map((a) => a.callsAffected)).toEqual([matching.length]);

    // The re-read window lists them again: skipped by the rule, nothing refilled. The live progress
    // tells admins why a call was not imported; a member's subscription never carries those reasons.
    await api.prisma.providerUser.updateMany({ where: { integrationId }, data: { syncedThrough: null } });
    const live = {
      admin: subscribe(api.url, tokens.admin, PrivateImportProgressDocument, { integrationId: integrationGid }),
      sam: subscribe(api.url, tokens.sam, PrivateImportProgressDocument, { integrationId: integrationGid }),
    };
    await new Promise((r) => setTimeout(r, 500));
    let state: Awaited<ReturnType<typeof syncNow>>;
    try {
      state = await syncNow();
      const runId = state.latestRun!.id;
      const done = (e: PrivateImportProgressSubscription) =>
        e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING";
      await Promise.all([live.admin.until(done, 30_000), live.sam.until(done, 30_000)]);
      const reasons = (events: PrivateImportProgressSubscription[]) =>
        new Set(events.flatMap((e) => e.syncProgress.user?.callsNotImported.map((r) => r.reasonCode) ?? []));
      expect(reasons(live.admin.events)).toContain("EXCLUDED");
      expect(live.sam.events.some((e) => e.syncProgress.user)).toBe(true);
      expect([...reasons(live.sam.events)].filter((r) => ["PRIVATE", "EXCLUDED", "RETENTION"].includes(r))).toEqual([]);
    } finally {
      await live.admin.close();
      await live.sam.close();
    }
    await settled();
    const excluded = state.latestRun!.callsNotImported.filter((r) => r.reasonCode === "EXCLUDED");
    expect(excluded.map((r) => r.providerRecordId)).toEqual(expect.arrayContaining([matching[0]!.providerCallId]));
    expect(new Set(excluded.map((r) => r.reason))).toEqual(new Set([`Excluded by rule: title contains "${keyword}"`]));
    const after = await stored();
    for (const call of after.filter((s) => matching.some((m) => m.id === s.id))) {
      expect(call.hiddenAt).not.toBeNull();
      expect(call._count.segments).toBe(0);
      expect(await readCall(call.id, tokens.max)).toBeNull();
    }
  }, 120_000);

  it("the daily retention job purges old content with audit, and a re-read backfill does not bring it back", async () => {
    const cutoff = Date.now() - 30 * DAY;
    const isOld = (call: { startedAt: Date }) => call.startedAt.getTime() < cutoff;
    const before = (await stored()).filter((call) => call.purgedAt === null);
    const old = before.filter(isOld);
    const recent = before.filter((call) => !isOld(call) && call._count.segments > 0);
    expect(old.length).toBeGreaterThan(0);
    expect(recent.length).toBeGreaterThan(0);

    // The window as an admin set it earlier; the job (not the mutation) does the purge here.
    await api.prisma.workspace.update({ where: { id: workspaceId }, data: { retentionDays: 30 } });
    await api.runtime.jobs.agenda.now(JOB.retention, {});
    const until = Date.now() + 30_000;
    while ((await audits("RETENTION")).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    const [audit] = await audits("RETENTION");
    expect(audit).toMatchObject({ actorId: null, callsAffected: old.length });
    for (const call of (await stored()).filter(isOld)) {
      expect(call.purgedAt, call.providerCallId).not.toBeNull();
      expect(call._count.segments).toBe(0);
      expect(call.participants).toEqual([]);
    }

    // A backfill reads the window again, but not past the retention window: nothing old is listed
    // (so nothing is downloaded to be thrown away) and nothing purged is refilled.
    await api.prisma.providerUser.updateMany({ where: { integrationId }, data: { syncedThrough: null } });
    const since = sim.logSize();
    await syncNow();
    await settled();
    const listed = sim.listedFrom(since);
    expect(listed.length).toBeGreaterThan(0);
    expect(Math.min(...listed)).toBeGreaterThanOrEqual(cutoff - 60_000);
    const after = await stored();
    for (const call of after.filter(isOld)) expect(call._count.segments, call.providerCallId).toBe(0);
    for (const call of after.filter((s) => recent.some((r) => r.id === s.id)))
      expect(call._count.segments, call.providerCallId).toBeGreaterThan(0);
    expect(await audits("RETENTION")).toHaveLength(1);
  }, 120_000);
});

function mostCommonTopic(titles: string[]): string {
  const counts = new Map<string, number>();
  for (const title of titles) {
    const topic = title.split(" — ")[1]?.trim();
    if (topic) counts.set(topic, (counts.get(topic) ?? 0) + 1);
  }
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  if (!best) throw new Error(`no topic in titles: ${titles.slice(0, 3).join(", ")}`);
  return best[0];
}
