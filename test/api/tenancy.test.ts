/**
 * SPEC §1: a workspace owns everything; no query or mutation reads or writes across workspaces.
 * Another workspace's id behaves exactly like an id that does not exist.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TenancyCallDocument,
  TenancyCallsDocument,
  TenancyDealDocument,
  TenancyDealsDocument,
  TenancyNodeDocument,
  TenancyNodesDocument,
  TenancySearchDocument,
  TenancyUpsertDealsDocument,
} from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { callRecord, createDeal, createWorkspace, dealRef, globalId, storeTestCalls } from "../support/fixtures.js";

let api: TestApi;
let mine: Awaited<ReturnType<typeof seedWorkspace>>;
let theirs: Awaited<ReturnType<typeof seedWorkspace>>;
let token: string;
let adminToken: string;

/** A workspace with one deal (CRM id shared by both workspaces) and one call on it with a transcript. */
async function seedWorkspace(name: string) {
  const fixture = await createWorkspace(api.prisma, name);
  const deal = await createDeal(api.prisma, fixture.workspace.id, {
    crmId: "006SHARED",
    name: `${name} renewal`,
    accountName: `${name} Inc`,
  });
  const ids = await storeTestCalls(api.prisma, fixture.workspace.id, [
    callRecord(`${name}-call`, {
      title: `${name} pricing call`,
      participants: [{ name: "Pat", email: "pat@buyer.test", isInternal: false, speakerId: "1", providerUserId: null }],
      transcript: [{ speakerId: "1", startMs: 0, endMs: 4000, text: `${name} asked about pricing tiers` }],
      crmRefs: [dealRef("006SHARED")],
    }),
  ]);
  const callId = ids[`${name}-call`]!;
  return {
    ...fixture,
    deal,
    callId,
    dealGid: globalId("Deal", deal.id),
    callGid: globalId("Call", callId),
    userGid: globalId("User", fixture.member.id),
    workspaceGid: globalId("Workspace", fixture.workspace.id),
    accountGid: globalId("Account", deal.accountId!),
  };
}

beforeAll(async () => {
  api = await startApi();
  mine = await seedWorkspace("Mine");
  theirs = await seedWorkspace("Theirs");
  token = await api.tokenFor(mine.member);
  adminToken = await api.tokenFor(mine.admin);
});
afterAll(() => api.close());

const unknownDeal = () => globalId("Deal", randomUUID());
const unknownCall = () => globalId("Call", randomUUID());
/** Ids no client should send: not base64, no type, not a UUID, an unknown type. */
const malformed = [
  "not-a-global-id",
  "",
  Buffer.from("Deal").toString("base64"),
  Buffer.from("Deal:not-a-uuid").toString("base64"),
  Buffer.from(`Nope:${randomUUID()}`).toString("base64"),
  randomUUID(),
];

describe("deal(id) — another workspace's deal is indistinguishable from a missing one", () => {
  it("returns the caller's own deal", async () => {
    const result = await api.gql(TenancyDealDocument, { id: mine.dealGid }, token);
    expect(result).toEqual({ data: { deal: { id: mine.dealGid, name: "Mine renewal" } } });
  });

  it("answers null without an error for another workspace's deal, exactly as for an unknown id", async () => {
    const foreign = await api.gql(TenancyDealDocument, { id: theirs.dealGid }, token);
    const unknown = await api.gql(TenancyDealDocument, { id: unknownDeal() }, token);
    expect(foreign).toEqual({ data: { deal: null } });
    expect(foreign).toEqual(unknown);
  });

  it("answers null for malformed ids and for ids of another type", async () => {
    for (const id of [...malformed, mine.callGid, mine.userGid]) {
      expect(await api.gql(TenancyDealDocument, { id }, token), id).toEqual({ data: { deal: null } });
    }
  });
});

describe("call(id) — another workspace's call is indistinguishable from a missing one", () => {
  it("returns the caller's own call", async () => {
    const result = await api.gql(TenancyCallDocument, { id: mine.callGid }, token);
    expect(result).toEqual({ data: { call: { id: mine.callGid, title: "Mine pricing call" } } });
  });

  it("answers null without an error for another workspace's call, exactly as for an unknown id", async () => {
    const foreign = await api.gql(TenancyCallDocument, { id: theirs.callGid }, token);
    expect(foreign).toEqual({ data: { call: null } });
    expect(foreign).toEqual(await api.gql(TenancyCallDocument, { id: unknownCall() }, token));
  });

  it("answers null for malformed ids and for ids of another type", async () => {
    for (const id of [...malformed, mine.dealGid]) {
      expect(await api.gql(TenancyCallDocument, { id }, token), id).toEqual({ data: { call: null } });
    }
  });
});

describe("node(id) and nodes(ids) — Relay lookups stay inside the workspace", () => {
  it("resolves every node type of the caller's workspace", async () => {
    for (const [typename, id] of [
      ["Deal", mine.dealGid],
      ["Call", mine.callGid],
      ["User", mine.userGid],
      ["Workspace", mine.workspaceGid],
      ["Account", mine.accountGid],
    ] as const) {
      expect(await api.gql(TenancyNodeDocument, { id }, token)).toEqual({
        data: { node: { __typename: typename, id } },
      });
    }
  });

  it("answers null without an error for every node type of another workspace, as for unknown ids", async () => {
    const unknown = await api.gql(TenancyNodeDocument, { id: unknownDeal() }, token);
    expect(unknown).toEqual({ data: { node: null } });
    for (const id of [theirs.dealGid, theirs.callGid, theirs.userGid, theirs.workspaceGid, theirs.accountGid]) {
      expect(await api.gql(TenancyNodeDocument, { id }, token), id).toEqual(unknown);
    }
  });

  it("answers null without an error for malformed ids", async () => {
    for (const id of malformed) {
      expect(await api.gql(TenancyNodeDocument, { id }, token), id).toEqual({ data: { node: null } });
    }
  });

  it("nodes(ids) keeps the order and puts null for foreign, unknown and malformed ids", async () => {
    const ids = [mine.dealGid, theirs.dealGid, unknownCall(), theirs.callGid, mine.callGid, ...malformed];
    const result = await api.gql(TenancyNodesDocument, { ids }, token);
    expect(result.errors).toBeUndefined();
    expect(result.data?.nodes).toEqual([
      { __typename: "Deal", id: mine.dealGid },
      null,
      null,
      null,
      { __typename: "Call", id: mine.callGid },
      ...malformed.map(() => null),
    ]);
  });
});

describe("calls(filter: { dealId }) and searchTranscripts(dealId) — a foreign deal id matches nothing", () => {
  it("lists the calls of the caller's own deal", async () => {
    const result = await api.gql(TenancyCallsDocument, { filter: { dealId: mine.dealGid } }, token);
    expect(result.data?.calls.edges.map((e) => e.node.id)).toEqual([mine.callGid]);
  });

  it("gives the same empty page for another workspace's deal, an unknown deal and malformed ids", async () => {
    const empty = { data: { calls: { totalCount: 0, edges: [] } } };
    for (const dealId of [theirs.dealGid, unknownDeal(), mine.callGid, ...malformed.filter(Boolean)]) {
      expect(await api.gql(TenancyCallsDocument, { filter: { dealId } }, token), dealId).toEqual(empty);
    }
  });

  it("searches only the caller's deal, and finds nothing for another workspace's deal", async () => {
    const own = await api.gql(TenancySearchDocument, { query: "pricing", dealId: mine.dealGid }, token);
    expect(own.data?.searchTranscripts.map((h) => h.segment.call.id)).toEqual([mine.callGid]);
    for (const dealId of [theirs.dealGid, unknownDeal(), ...malformed.filter(Boolean)]) {
      expect(await api.gql(TenancySearchDocument, { query: "pricing", dealId }, token), dealId).toEqual({
        data: { searchTranscripts: [] },
      });
    }
  });
});

describe("lists never show another workspace's rows", () => {
  it("deals lists only the caller's deals, and a deal's calls only the caller's calls", async () => {
    const result = await api.gql(TenancyDealsDocument, {}, token);
    expect(result.data?.deals).toEqual({
      totalCount: 1,
      edges: [
        {
          node: {
            id: mine.dealGid,
            name: "Mine renewal",
            crmId: "006SHARED",
            calls: { totalCount: 1, edges: [{ node: { id: mine.callGid } }] },
          },
        },
      ],
    });
  });

  it("calls lists only the caller's calls", async () => {
    const result = await api.gql(TenancyCallsDocument, {}, token);
    expect(result.data?.calls).toEqual({
      totalCount: 1,
      edges: [{ node: { id: mine.callGid, title: "Mine pricing call" } }],
    });
  });

  it("searchTranscripts finds only the caller's transcripts", async () => {
    const result = await api.gql(TenancySearchDocument, { query: "pricing tiers" }, token);
    expect(result.data?.searchTranscripts.map((h) => h.segment.call.id)).toEqual([mine.callGid]);
    const foreignWords = await api.gql(TenancySearchDocument, { query: "Theirs" }, token);
    expect(foreignWords).toEqual({ data: { searchTranscripts: [] } });
  });
});

describe("upsertDeals writes only into the caller's workspace", () => {
  it("creates a deal in the caller's workspace even when another workspace has the same CRM id", async () => {
    const before = await api.prisma.deal.findUniqueOrThrow({ where: { id: theirs.deal.id } });
    const result = await api.gql(
      TenancyUpsertDealsDocument,
      {
        deals: [
          { crmProvider: "SALESFORCE", crmId: "006SHARED", name: "Renamed by Mine" },
          {
            crmProvider: "SALESFORCE",
            crmId: "006NEW",
            name: "New for Mine",
            account: { crmId: "acc-006SHARED", name: "X" },
          },
        ],
      },
      adminToken,
    );
    expect(result).toEqual({ data: { upsertDeals: { created: 1, updated: 1, callsLinked: 0 } } });

    const after = await api.prisma.deal.findUniqueOrThrow({
      where: { id: theirs.deal.id },
      include: { account: true },
    });
    expect(after).toMatchObject({ name: before.name, updatedAt: before.updatedAt, account: { name: "Theirs Inc" } });
    expect(await api.prisma.deal.count({ where: { workspaceId: theirs.workspace.id } })).toBe(1);
    expect(await api.prisma.account.count({ where: { workspaceId: theirs.workspace.id } })).toBe(1);
    const own = await api.prisma.deal.findMany({
      where: { workspaceId: mine.workspace.id },
      orderBy: { crmId: "asc" },
    });
    expect(own.map((d) => [d.crmId, d.name])).toEqual([
      ["006NEW", "New for Mine"],
      ["006SHARED", "Renamed by Mine"],
    ]);
  });

  it("links only the caller's waiting calls", async () => {
    await storeTestCalls(api.prisma, theirs.workspace.id, [
      callRecord("theirs-waiting", { crmRefs: [dealRef("006LATE")] }),
    ]);
    await storeTestCalls(api.prisma, mine.workspace.id, [
      callRecord("mine-waiting", { crmRefs: [dealRef("006LATE")] }),
    ]);
    const result = await api.gql(
      TenancyUpsertDealsDocument,
      { deals: [{ crmProvider: "SALESFORCE", crmId: "006LATE", name: "Late" }] },
      adminToken,
    );
    expect(result.data?.upsertDeals).toEqual({ created: 1, updated: 0, callsLinked: 1 });
    const theirCall = await api.prisma.call.findFirstOrThrow({ where: { providerCallId: "theirs-waiting" } });
    expect(theirCall).toMatchObject({ dealId: null, dealLinkStatus: "NO_MATCHING_DEAL" });
  });
});
