/**
 * SPEC §6 and issue 14: a call the viewer may not see behaves as a call that does not exist on
 * every read path — deal page, deal list, calls list, call, node, nodes, transcript search,
 * counts, subscriptions. Private calls exist for their internal participants, their owner and
 * admins; hidden calls (excluded, private after the setting changed) for admins only, who can
 * list them with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PrivacyAccountDocument,
  PrivacyCallDocument,
  PrivacyCallsDocument,
  PrivacyDealDocument,
  PrivacyDealsDocument,
  PrivacyIntegrationEventsDocument,
  PrivacyIntegrationsDocument,
  PrivacyNodeCallsDocument,
  PrivacyNodeDocument,
  PrivacyNodesDocument,
  PrivacySearchDealDocument,
  PrivacySearchDocument,
} from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { callRecord, createDeal, createWorkspace, dealRef, globalId, storeTestCalls } from "../support/fixtures.js";
import { subscribe } from "../support/ws.js";

let api: TestApi;
const tokens: Record<"admin" | "participant" | "outsider", string> = { admin: "", participant: "", outsider: "" };
let ids: Record<string, string>;
let dealGid: string;
let integrationId: string;
let integrationGid: string;

const ALL = ["public", "private-mine", "private-other", "hidden", "owned-private"] as const;
/** What each viewer may see; everything else must look like it does not exist. */
const SEES = {
  admin: ["public", "private-mine", "private-other", "owned-private"],
  participant: ["public", "private-mine", "owned-private"],
  outsider: ["public"],
} as const;
type Who = keyof typeof SEES;
const WHO: Who[] = ["admin", "participant", "outsider"];

const gid = (name: string) => globalId("Call", ids[name]!);
const visible = (who: Who) => SEES[who].map(gid).sort();

beforeAll(async () => {
  api = await startApi();
  const { workspace, admin, member } = await createWorkspace(api.prisma, "Visibility Co");
  const outsider = await api.prisma.user.create({
    data: { workspaceId: workspace.id, email: "outsider@visibilityco.test", name: "Out Sider" },
  });
  tokens.admin = await api.tokenFor(admin);
  tokens.participant = await api.tokenFor(member);
  tokens.outsider = await api.tokenFor(outsider);
  const deal = await createDeal(api.prisma, workspace.id, {
    crmId: "006VIS",
    name: "Visible deal",
    accountName: "Visible account",
  });
  // This integration imports private calls, restricted (the default skips them).
  await api.prisma.integration.create({
    data: { workspaceId: workspace.id, provider: "GONG", status: "CONNECTED", privateCalls: "PARTICIPANTS_AND_ADMINS" },
  });
  dealGid = globalId("Deal", deal.id);
  const internal = (email: string) => ({
    name: email,
    email,
    isInternal: true,
    speakerId: email,
    providerUserId: null,
  });
  const common = (n: number) => ({
    startedAt: Date.UTC(2026, 0, 10 + n),
    crmRefs: [dealRef("006VIS")],
    participants: [internal("admin@visibilityco.test"), internal(`rep${n}@visibilityco.test`)],
    transcript: [{ speakerId: "admin@visibilityco.test", startMs: 0, endMs: 1000, text: `zebra number ${n}` }],
  });
  ids = await storeTestCalls(api.prisma, workspace.id, [
    callRecord("public", common(1)),
    callRecord("private-mine", {
      ...common(2),
      isPrivate: true,
      participants: [...common(2).participants, internal("member@visibilityco.test")],
    }),
    callRecord("private-other", { ...common(3), isPrivate: true }),
    callRecord("hidden", common(4)),
    // The owner sees their private call even when the provider did not list them as a participant.
    callRecord("owned-private", { ...common(5), isPrivate: true, ownerEmail: "member@visibilityco.test" }),
  ]);
  await api.prisma.call.update({
    where: { id: ids.hidden },
    data: { hiddenAt: new Date(), hiddenReason: 'Excluded by rule: title contains "1:1"' },
  });
  const integration = await api.prisma.integration.findFirstOrThrow({ where: { workspaceId: workspace.id } });
  integrationId = integration.id;
  integrationGid = globalId("Integration", integration.id);
}, 60_000);
afterAll(() => api.close());

describe.each(WHO)("%s", (who) => {
  const token = () => tokens[who];

  it("sees on the deal page exactly the calls it may see, and counts only those", async () => {
    const res = await api.gql(PrivacyDealDocument, { id: dealGid }, token());
    expect(res.errors).toBeUndefined();
    expect(res.data?.deal?.calls.edges.map((e) => e.node.id).sort()).toEqual(visible(who));
    expect(res.data?.deal?.calls.totalCount).toBe(SEES[who].length);
  });

  it("sees the same in the deal list", async () => {
    const res = await api.gql(PrivacyDealsDocument, {}, token());
    expect(res.errors).toBeUndefined();
    const deal = res.data?.deals.edges.find((e) => e.node.id === dealGid)?.node;
    expect(deal?.calls.edges.map((e) => e.node.id).sort()).toEqual(visible(who));
    expect(deal?.calls.totalCount).toBe(SEES[who].length);
  });

  it("sees the same in the calls list and its totalCount", async () => {
    const res = await api.gql(PrivacyCallsDocument, {}, token());
    expect(res.data?.calls.edges.map((e) => e.node.id).sort()).toEqual(visible(who));
    expect(res.data?.calls.totalCount).toBe(SEES[who].length);
  });

  it("sees the same on the deal's account page and through node(id) of the deal and the account", async () => {
    const res = await api.gql(PrivacyAccountDocument, { dealId: dealGid }, token());
    expect(res.errors).toBeUndefined();
    const account = res.data?.deal?.account;
    expect(account?.calls.edges.map((e) => e.node.id).sort()).toEqual(visible(who));
    expect(account?.calls.totalCount).toBe(SEES[who].length);
    for (const id of [dealGid, account!.id]) {
      const node = await api.gql(PrivacyNodeCallsDocument, { id }, token());
      expect(node.errors).toBeUndefined();
      const calls = node.data?.node && "calls" in node.data.node ? node.data.node.calls : null;
      expect(calls?.edges.map((e) => e.node.id).sort()).toEqual(visible(who));
      expect(calls?.totalCount).toBe(SEES[who].length);
    }
  });

  it("sees the same in the calls list filtered by deal and by participant", async () => {
    for (const filter of [{ dealId: dealGid }, { participantEmail: "admin@visibilityco.test" }]) {
      const res = await api.gql(PrivacyCallsDocument, { filter }, token());
      expect(res.errors).toBeUndefined();
      expect(res.data?.calls.edges.map((e) => e.node.id).sort(), JSON.stringify(filter)).toEqual(visible(who));
      expect(res.data?.calls.totalCount).toBe(SEES[who].length);
    }
  });

  it("gets null for call(id), node(id) and nodes(ids) of a call it may not see", async () => {
    for (const name of ALL) {
      const may = (SEES[who] as readonly string[]).includes(name) || (who === "admin" && name === "hidden");
      const call = await api.gql(PrivacyCallDocument, { id: gid(name) }, token());
      const node = await api.gql(PrivacyNodeDocument, { id: gid(name) }, token());
      expect(call.errors, name).toBeUndefined();
      expect(node.errors, name).toBeUndefined();
      expect(call.data?.call?.id ?? null, name).toBe(may ? gid(name) : null);
      expect(node.data?.node?.id ?? null, name).toBe(may ? gid(name) : null);
    }
    const nodes = await api.gql(PrivacyNodesDocument, { ids: ALL.map(gid) }, token());
    expect(nodes.data?.nodes.filter((n) => n !== null).length).toBe(SEES[who].length + (who === "admin" ? 1 : 0));
  });

  it("finds only the transcripts of calls it may see", async () => {
    const res = await api.gql(PrivacySearchDocument, { query: "zebra" }, token());
    expect(res.errors).toBeUndefined();
    expect(res.data?.searchTranscripts.map((h) => h.segment.call.id).sort()).toEqual(visible(who));
    const onDeal = await api.gql(PrivacySearchDealDocument, { query: "zebra", dealId: dealGid }, token());
    expect(onDeal.errors).toBeUndefined();
    expect(onDeal.data?.searchTranscripts.map((h) => h.segment.call.id).sort()).toEqual(visible(who));
  });

  it("counts only visible calls on the integration, by query and by subscription", async () => {
    const res = await api.gql(PrivacyIntegrationsDocument, {}, token());
    expect(res.data?.integrations[0]?.callCount).toBe(SEES[who].length);
    const sub = subscribe(api.url, token(), PrivacyIntegrationEventsDocument, { integrationId: integrationGid });
    try {
      // Publish until the subscriber is listening (the subscription starts asynchronously).
      const timer = setInterval(
        () =>
          api.runtime.services.pubsub.publish("integration", integrationId, {
            type: "STATUS_CHANGED",
            integrationId,
            code: null,
            message: null,
            at: Date.now(),
          }),
        100,
      );
      const event = await sub.until(() => true).finally(() => clearInterval(timer));
      expect(event.integrationEvents.integration.callCount).toBe(SEES[who].length);
    } finally {
      await sub.close();
    }
  });
});

describe("hidden calls, for troubleshooting", () => {
  it("are listed to admins with the reason they are hidden", async () => {
    const res = await api.gql(PrivacyCallsDocument, { filter: { hidden: true } }, tokens.admin);
    expect(res.data?.calls.edges.map((e) => [e.node.id, e.node.hiddenReason])).toEqual([
      [gid("hidden"), 'Excluded by rule: title contains "1:1"'],
    ]);
    expect(res.data?.calls.totalCount).toBe(1);
  });

  it("are not listed to members, even when they ask for them", async () => {
    for (const token of [tokens.participant, tokens.outsider]) {
      const res = await api.gql(PrivacyCallsDocument, { filter: { hidden: true } }, token);
      expect(res.data?.calls).toEqual({ totalCount: 0, edges: [] });
    }
  });

  it("say which calls are private", async () => {
    const res = await api.gql(PrivacyCallDocument, { id: gid("private-mine") }, tokens.participant);
    expect(res.data?.call?.isPrivate).toBe(true);
  });
});
