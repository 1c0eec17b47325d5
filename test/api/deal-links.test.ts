/**
 * SPEC §4 (deal linking): a call is on every deal whose CRM id it carries, each link with its
 * reason and time; a call whose only CRM context is an account/company is on that account and
 * says "account only, no deal id". Links follow every call write, deal upsert and CRM change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DealsSetCrmDocument,
  DealsUpsertDocument,
  LinksAccountCallsDocument,
  LinksCallDocument,
  LinksCallsOfDealDocument,
  LinksDealCallsDocument,
} from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { callRecord, createWorkspace, dealRef, globalId, storeTestCalls } from "../support/fixtures.js";

let api: TestApi;
let token: string;
let workspaceId: string;
let calls: Record<string, string> = {};

const accountRef = (objectId: string) => ({ system: "SALESFORCE", objectType: "Account", objectId }) as const;

async function store(...records: ReturnType<typeof callRecord>[]) {
  calls = { ...calls, ...(await storeTestCalls(api.prisma, workspaceId, records)) };
}
async function upsertDeals(deals: { crmId: string; name: string; account?: { crmId: string; name: string } }[]) {
  const result = await api.gql(
    DealsUpsertDocument,
    { deals: deals.map((d) => ({ crmProvider: "SALESFORCE" as const, ...d })) },
    token,
  );
  expect(result.errors).toBeUndefined();
  return result.data!.upsertDeals;
}
async function dealId(crmId: string) {
  const deal = await api.prisma.deal.findFirstOrThrow({ where: { workspaceId, crmId } });
  return globalId("Deal", deal.id);
}
async function callsOnDeal(crmId: string) {
  const result = await api.gql(LinksDealCallsDocument, { id: await dealId(crmId) }, token);
  expect(result.errors).toBeUndefined();
  const connection = result.data!.deal!.calls;
  return {
    total: connection.totalCount,
    ids: connection.edges.map((e) => e.node.providerCallId),
    edges: connection.edges,
  };
}
async function call(key: string) {
  const result = await api.gql(LinksCallDocument, { id: globalId("Call", calls[key]!) }, token);
  expect(result.errors).toBeUndefined();
  return result.data!.call!;
}
async function callsOnAccount(crmId: string) {
  const account = await api.prisma.account.findFirstOrThrow({ where: { workspaceId, crmId } });
  const result = await api.gql(LinksAccountCallsDocument, { id: globalId("Account", account.id) }, token);
  expect(result.errors).toBeUndefined();
  const node = result.data!.node;
  if (node?.__typename !== "Account") throw new Error("not an account");
  return node.calls;
}

beforeAll(async () => {
  api = await startApi();
  const fixture = await createWorkspace(api.prisma, "Links Co");
  workspaceId = fixture.workspace.id;
  token = await api.tokenFor(fixture.admin);
});
afterAll(() => api.close());

describe("a call carrying several opportunity ids", () => {
  beforeAll(async () => {
    await upsertDeals([
      { crmId: "006TWO-A", name: "Expansion", account: { crmId: "001GLOBEX", name: "Globex" } },
      { crmId: "006TWO-B", name: "Services" },
    ]);
    await store(
      callRecord("two-opps", {
        startedAt: Date.UTC(2026, 1, 2),
        crmRefs: [dealRef("006TWO-A"), dealRef("006TWO-B"), dealRef("006TWO-LATER")],
      }),
      callRecord("only-a", { startedAt: Date.UTC(2026, 1, 1), crmRefs: [dealRef("006TWO-A")] }),
    );
  });

  it("appears on both deals, each link with its reason and time", async () => {
    const a = await callsOnDeal("006TWO-A");
    const b = await callsOnDeal("006TWO-B");
    expect(a).toMatchObject({ total: 2, ids: ["two-opps", "only-a"] });
    expect(b).toMatchObject({ total: 1, ids: ["two-opps"] });
    expect(b.edges[0]).toMatchObject({ reason: "CRM_ID", linkedAt: expect.any(String) });
  });

  it("lists every deal on Call.deals, keeps one primary Call.deal, and is found by the calls filter of each", async () => {
    const c = await call("two-opps");
    expect(c.deals.map((d) => d.crmId).sort()).toEqual(["006TWO-A", "006TWO-B"]);
    expect(["006TWO-A", "006TWO-B"]).toContain(c.deal?.crmId);
    expect(c.dealLink).toEqual({ status: "LINKED", reason: null });
    expect(c.dealLinks.map((l) => [l.deal.crmId, l.reason, l.objectType]).sort()).toEqual([
      ["006TWO-A", "CRM_ID", "Opportunity"],
      ["006TWO-B", "CRM_ID", "Opportunity"],
    ]);
    for (const crmId of ["006TWO-A", "006TWO-B"]) {
      const listed = await api.gql(LinksCallsOfDealDocument, { dealId: await dealId(crmId) }, token);
      expect(listed.data?.calls.edges.map((e) => e.node.providerCallId)).toContain("two-opps");
    }
  });

  it("joins a third deal the moment it arrives, and keeps its primary deal", async () => {
    const primary = (await call("two-opps")).deal?.crmId;
    expect(await upsertDeals([{ crmId: "006TWO-LATER", name: "Arrived later" }])).toMatchObject({ callsLinked: 1 });
    expect((await callsOnDeal("006TWO-LATER")).ids).toEqual(["two-opps"]);
    const c = await call("two-opps");
    expect(c.deals).toHaveLength(3);
    expect(c.deal?.crmId).toBe(primary);
  });

  it("leaves a deal when a re-read of the call no longer names it", async () => {
    await store(
      callRecord("two-opps", {
        title: "Renamed upstream",
        startedAt: Date.UTC(2026, 1, 2),
        crmRefs: [dealRef("006TWO-B")],
      }),
    );
    expect((await callsOnDeal("006TWO-A")).ids).toEqual(["only-a"]);
    expect((await callsOnDeal("006TWO-LATER")).total).toBe(0);
    const c = await call("two-opps");
    expect(c.deals.map((d) => d.crmId)).toEqual(["006TWO-B"]);
    expect(c.deal?.crmId).toBe("006TWO-B");
  });
});

describe("a call whose only CRM context is an account", () => {
  beforeAll(async () => {
    await upsertDeals([
      { crmId: "006INITECH", name: "Initech renewal", account: { crmId: "001INITECH", name: "Initech" } },
    ]);
    await store(
      callRecord("account-only", { startedAt: Date.UTC(2026, 2, 2), crmRefs: [accountRef("001INITECH")] }),
      callRecord("on-the-deal", { startedAt: Date.UTC(2026, 2, 1), crmRefs: [dealRef("006INITECH")] }),
    );
  });

  it("is on the account, says it has no deal id, and is on no deal", async () => {
    const account = await callsOnAccount("001INITECH");
    const onAccount = account.edges.find((e) => e.node.providerCallId === "account-only");
    expect(onAccount).toEqual({
      reason: "CRM_ID",
      node: {
        providerCallId: "account-only",
        dealLink: { status: "ACCOUNT_ONLY", reason: expect.stringMatching(/account only, no deal id/i) },
      },
    });
    const c = await call("account-only");
    expect(c.deal).toBeNull();
    expect(c.deals).toEqual([]);
    expect((await callsOnDeal("006INITECH")).ids).toEqual(["on-the-deal"]);
  });

  it("shares the account page with the calls of the account's deals", async () => {
    const account = await callsOnAccount("001INITECH");
    expect(account.totalCount).toBe(2);
    expect(account.edges.map((e) => [e.node.providerCallId, e.reason])).toEqual([
      ["account-only", "CRM_ID"],
      ["on-the-deal", "VIA_DEAL"],
    ]);
  });
});

describe("links follow the CRM connection", () => {
  it("drops every link when the workspace switches CRM, and restores them when it switches back", async () => {
    await store(callRecord("crm-switch", { crmRefs: [dealRef("006TWO-B"), accountRef("001GLOBEX")] }));
    expect((await callsOnDeal("006TWO-B")).ids).toContain("crm-switch");

    await api.gql(DealsSetCrmDocument, { provider: "HUBSPOT" }, token);
    expect((await callsOnDeal("006TWO-B")).total).toBe(0);
    expect((await callsOnAccount("001GLOBEX")).totalCount).toBe(0);
    expect(await call("crm-switch")).toMatchObject({ deal: null, deals: [], dealLink: { status: "NO_MATCHING_DEAL" } });

    const back = await api.gql(DealsSetCrmDocument, { provider: "SALESFORCE" }, token);
    expect(back.data?.setCrmConnection.callsLinked).toBeGreaterThanOrEqual(1);
    expect((await callsOnDeal("006TWO-B")).ids).toContain("crm-switch");
    expect((await call("crm-switch")).deal?.crmId).toBe("006TWO-B");
  });
});
