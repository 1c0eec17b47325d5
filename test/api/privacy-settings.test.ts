/**
 * Issue 14: private calls skipped by default and restricted when allowed; exclusion rules at
 * import and retroactively (purge with audit, validated); the retention window purges old
 * content and a later import does not bring it back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PrivacyCallDocument,
  PrivacySetHandlingDocument,
  PrivacySetRetentionDocument,
  PrivacySetRulesDocument,
} from "../generated/graphql.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { callRecord, createWorkspace, globalId, storeTestCalls } from "../support/fixtures.js";

let api: TestApi;
let fx: Awaited<ReturnType<typeof createWorkspace>>;
let adminToken: string;
let memberToken: string;
let integrationId: string;

const participant = (email: string, isInternal = true) => ({
  name: email,
  email,
  isInternal,
  speakerId: email,
  providerUserId: null,
});
const content = { transcript: [{ speakerId: null, startMs: 0, endMs: 1, text: "hello" }] };

beforeAll(async () => {
  api = await startApi();
  fx = await createWorkspace(api.prisma, "Settings Co");
  adminToken = await api.tokenFor(fx.admin);
  memberToken = await api.tokenFor(fx.member);
  const integration = await api.prisma.integration.create({
    data: { workspaceId: fx.workspace.id, provider: "GONG", status: "CONNECTED" },
  });
  integrationId = integration.id;
}, 60_000);
afterAll(() => api.close());

const store = (records: Parameters<typeof storeTestCalls>[2]) => storeTestCalls(api.prisma, fx.workspace.id, records);
const audits = (scope: "EXCLUSION_RULE" | "PRIVATE_CALLS" | "RETENTION") =>
  api.prisma.purgeAudit.findMany({ where: { workspaceId: fx.workspace.id, scope } });

describe("private calls", () => {
  it("are not imported by default, and the store says why", async () => {
    const ids = await store([callRecord("p-default", { isPrivate: true, ...content })]);
    expect(ids["p-default"]).toBeUndefined();
  });

  it("when allowed, are visible to internal participants and admins only; SKIP later purges and hides them", async () => {
    const set = await api.gql(
      PrivacySetHandlingDocument,
      { integrationId: globalId("Integration", integrationId), handling: "PARTICIPANTS_AND_ADMINS" },
      adminToken,
    );
    expect(set.errors).toBeUndefined();
    const ids = await store([
      callRecord("p-mine", { isPrivate: true, participants: [participant(fx.member.email)], ...content }),
      callRecord("p-theirs", { isPrivate: true, participants: [participant("rep@settingsco.test")], ...content }),
    ]);
    const read = async (name: string, token: string) =>
      (await api.gql(PrivacyCallDocument, { id: globalId("Call", ids[name]!) }, token)).data?.call ?? null;
    expect((await read("p-mine", memberToken))?.isPrivate).toBe(true);
    expect(await read("p-theirs", memberToken)).toBeNull();
    expect(await read("p-theirs", adminToken)).not.toBeNull();

    const back = await api.gql(
      PrivacySetHandlingDocument,
      { integrationId: globalId("Integration", integrationId), handling: "SKIP" },
      adminToken,
    );
    expect(back.data?.setPrivateCallHandling.callsPurged).toBe(2);
    expect(await read("p-mine", memberToken)).toBeNull();
    const hidden = await read("p-mine", adminToken);
    expect(hidden?.hiddenReason).toMatch(/^Private in Gong/);
    expect(hidden?.transcript.segmentCount).toBe(0);
    expect((await audits("PRIVATE_CALLS")).map((a) => a.callsAffected)).toEqual([2]);
  });
});

describe("exclusion rules", () => {
  it("are validated: bounded count and length", async () => {
    const integration = globalId("Integration", integrationId);
    const tooMany = Array.from({ length: 51 }, (_, i) => ({ kind: "TITLE_KEYWORD" as const, value: `kw${i}` }));
    for (const rules of [
      tooMany,
      [{ kind: "TITLE_KEYWORD" as const, value: "x".repeat(101) }],
      [{ kind: "PARTICIPANT_DOMAIN" as const, value: "not a domain" }],
      [{ kind: "OWNER_EMAIL" as const, value: "nobody" }],
    ]) {
      const res = await api.gql(PrivacySetRulesDocument, { integrationId: integration, rules }, adminToken);
      expect(errorCodes(res)).toEqual(["BAD_USER_INPUT"]);
    }
    const member = await api.gql(PrivacySetRulesDocument, { integrationId: integration, rules: [] }, memberToken);
    expect(errorCodes(member)).toEqual(["FORBIDDEN"]);
  });

  it("purge and hide matching stored calls with audit, and skip them at import", async () => {
    const ids = await store([
      callRecord("ext-hr", { title: "HR 1:1", ...content }),
      callRecord("ext-domain", { participants: [participant("pat@nodata.example", false)], ...content }),
      callRecord("ext-keep", { title: "Pricing", participants: [participant("bo@buyer.test", false)], ...content }),
    ]);
    const res = await api.gql(
      PrivacySetRulesDocument,
      {
        integrationId: globalId("Integration", integrationId),
        rules: [
          { kind: "TITLE_KEYWORD", value: "hr 1:1" },
          { kind: "PARTICIPANT_DOMAIN", value: "@NoData.example" },
        ],
      },
      adminToken,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.setExclusionRules.callsPurged).toBe(2);
    const calls = await api.prisma.call.findMany({ where: { id: { in: Object.values(ids) } } });
    const byName = Object.fromEntries(calls.map((c) => [c.providerCallId, c]));
    expect(byName["ext-hr"]?.hiddenReason).toBe('Excluded by rule: title contains "hr 1:1"');
    expect(byName["ext-domain"]?.purgedAt).not.toBeNull();
    expect(byName["ext-keep"]?.hiddenAt).toBeNull();
    expect(await api.prisma.transcriptSegment.count({ where: { callId: ids["ext-hr"] } })).toBe(0);
    expect((await audits("EXCLUSION_RULE")).length).toBe(2);
    // A new call matching a rule is not imported.
    const later = await store([callRecord("ext-new", { title: "Weekly HR 1:1", ...content })]);
    expect(later["ext-new"]).toBeUndefined();
  });
});

describe("retention window", () => {
  it("purges old content with audit, and later imports do not bring it back", async () => {
    const old = Date.now() - 400 * 86_400_000;
    const ids = await store([
      callRecord("ret-old", { startedAt: old, ...content }),
      callRecord("ret-new", { startedAt: Date.now() - 86_400_000, ...content }),
    ]);
    const bad = await api.gql(PrivacySetRetentionDocument, { days: 0 }, adminToken);
    expect(errorCodes(bad)).toEqual(["BAD_USER_INPUT"]);
    const res = await api.gql(PrivacySetRetentionDocument, { days: 365 }, adminToken);
    expect(res.data?.setRetentionWindow.callsPurged).toBe(1);
    expect(await api.prisma.transcriptSegment.count({ where: { callId: ids["ret-old"] } })).toBe(0);
    expect(await api.prisma.transcriptSegment.count({ where: { callId: ids["ret-new"] } })).toBe(1);
    expect((await audits("RETENTION"))[0]?.actorId).toBe(fx.admin.id);
    // A later backfill lists the old call again: nothing comes back, and an older one is not imported.
    const again = await store([
      callRecord("ret-old", { startedAt: old, ...content }),
      callRecord("ret-older", { startedAt: old - 86_400_000, ...content }),
    ]);
    expect(again["ret-older"]).toBeUndefined();
    expect(await api.prisma.transcriptSegment.count({ where: { callId: ids["ret-old"] } })).toBe(0);
    // The daily job purges what aged out since (nothing left here) and leaves an audit only when it purges.
    expect(await api.runtime.engine.applyRetention()).toBe(0);
    expect(await api.runtime.engine.applyRetention(Date.now() + 365 * 86_400_000)).toBeGreaterThan(0);
    expect(await api.prisma.transcriptSegment.count({ where: { callId: ids["ret-new"] } })).toBe(0);
  });
});
