/**
 * SPEC §2 and §4 (deal linking): deals are listed, filtered, sorted and paginated; upsertDeals
 * creates or updates them by CRM id, validates its input, and links the calls waiting for them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DealSortField,
  DealsCallLinkDocument,
  DealsDealDocument,
  DealsPageDocument,
  type DealsPageQueryVariables,
  DealsSetCrmDocument,
  DealsUpsertDocument,
  type SortDirection,
} from "../generated/graphql.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { callRecord, createDeal, createWorkspace, dealRef, globalId, storeTestCalls } from "../support/fixtures.js";

let api: TestApi;
let token: string;

interface SeedDeal {
  id: string;
  crmId: string;
  name: string;
  stage: string;
  amount: number | null;
  closeDate: string | null;
  ownerEmail: string | null;
  account: string | null;
  updatedAt: string;
}

/** The listing fixture: distinct values, with nulls in the nullable sort columns. */
const SEED: Omit<SeedDeal, "id">[] = [
  {
    crmId: "006A",
    name: "Acme expansion",
    stage: "Proposal",
    amount: 50000,
    closeDate: "2026-03-01",
    ownerEmail: "alice@dealsco.test",
    account: "Acme Corp",
    updatedAt: "2026-01-05T00:00:00.000Z",
  },
  {
    crmId: "006B",
    name: "Globex pilot",
    stage: "Discovery",
    amount: 12500.5,
    closeDate: null,
    ownerEmail: "Bob@DealsCo.test",
    account: "Globex",
    updatedAt: "2026-01-03T00:00:00.000Z",
  },
  {
    crmId: "006C",
    name: "Initech renewal",
    stage: "Proposal",
    amount: null,
    closeDate: "2026-02-01",
    ownerEmail: "alice@dealsco.test",
    account: "Initech",
    updatedAt: "2026-01-07T00:00:00.000Z",
  },
  {
    crmId: "006D",
    name: "Umbrella rollout",
    stage: "Negotiation",
    amount: 99000,
    closeDate: "2026-06-30",
    ownerEmail: null,
    account: "Umbrella Health",
    updatedAt: "2026-01-01T00:00:00.000Z",
  },
  {
    crmId: "006E",
    name: "Hooli trial",
    stage: "Discovery",
    amount: null,
    closeDate: null,
    ownerEmail: "alice@dealsco.test",
    account: null,
    updatedAt: "2026-01-06T00:00:00.000Z",
  },
  {
    crmId: "006F",
    name: "Stark upgrade",
    stage: "Closed Won",
    amount: 7000,
    closeDate: "2025-12-15",
    ownerEmail: "bob@dealsco.test",
    account: "Stark Industries",
    updatedAt: "2026-01-02T00:00:00.000Z",
  },
  {
    crmId: "006G",
    name: "Wayne security",
    stage: "Proposal",
    amount: 30000,
    closeDate: "2026-04-10",
    ownerEmail: null,
    account: "Acme Subsidiary",
    updatedAt: "2026-01-04T00:00:00.000Z",
  },
];
let deals: SeedDeal[];

beforeAll(async () => {
  api = await startApi();
  const fixture = await createWorkspace(api.prisma, "Deals Co");
  token = await api.tokenFor(fixture.admin);
  deals = [];
  for (const d of SEED) {
    const row = await createDeal(api.prisma, fixture.workspace.id, {
      crmId: d.crmId,
      name: d.name,
      stage: d.stage,
      amount: d.amount === null ? null : d.amount.toFixed(2),
      closeDate: d.closeDate === null ? null : new Date(d.closeDate),
      ownerEmail: d.ownerEmail,
      ...(d.account ? { accountName: d.account } : {}),
      updatedAt: new Date(d.updatedAt),
    });
    deals.push({ ...d, id: row.id });
  }
});
afterAll(() => api.close());

const page = async (variables: DealsPageQueryVariables) => {
  const result = await api.gql(DealsPageDocument, variables, token);
  expect(result.errors).toBeUndefined();
  return result.data!.deals;
};
const names = (connection: { edges: { node: { name: string } }[] }) => connection.edges.map((e) => e.node.name);

/** The order the API promises: by the field, nulls last in both directions, then by id in the same direction. */
function expectedOrder(field: DealSortField, direction: SortDirection): string[] {
  const key = (d: SeedDeal): string | number | null =>
    ({ AMOUNT: d.amount, CLOSE_DATE: d.closeDate, NAME: d.name, UPDATED_AT: d.updatedAt })[field];
  const sign = direction === "ASC" ? 1 : -1;
  return [...deals]
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      if (x === null || y === null) {
        if (x === null && y === null) return sign * (a.id < b.id ? -1 : 1);
        return x === null ? 1 : -1;
      }
      if (x !== y) return sign * (x < y ? -1 : 1);
      return sign * (a.id < b.id ? -1 : 1);
    })
    .map((d) => d.name);
}

describe("deals: cursor pagination", () => {
  it("walks forward with first/after through every deal exactly once", async () => {
    const all = names(await page({ first: 100 }));
    expect(all).toHaveLength(SEED.length);
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const p = await page({ first: 3, after });
      expect(p.totalCount).toBe(SEED.length);
      expect(p.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor);
      expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor);
      seen.push(...names(p));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor!;
    }
    expect(seen).toEqual(all);
  });

  it("walks backward with last/before", async () => {
    const all = names(await page({ first: 100 }));
    const tail = await page({ last: 2 });
    expect(names(tail)).toEqual(all.slice(-2));
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const before = await page({ last: 3, before: tail.pageInfo.startCursor });
    expect(names(before)).toEqual(all.slice(-5, -2));
    expect(before.pageInfo.hasNextPage).toBe(true);
  });

  it("reports totalCount of the whole (filtered) list, not of the page", async () => {
    expect((await page({ first: 1 })).totalCount).toBe(7);
    expect((await page({ first: 1, filter: { stage: "Proposal" } })).totalCount).toBe(3);
  });

  it("serves at most 100 deals per page, says there are more, and refuses a larger page", async () => {
    const big = await createWorkspace(api.prisma, "Big Deals Co");
    await api.prisma.deal.createMany({
      data: Array.from({ length: 105 }, (_, i) => ({
        workspaceId: big.workspace.id,
        crmProvider: "SALESFORCE" as const,
        crmId: `big-${i}`,
        name: `Big deal ${i}`,
      })),
    });
    const token = await api.tokenFor(big.member);
    const result = await api.gql(DealsPageDocument, { first: 100 }, token);
    expect(result.data?.deals.edges).toHaveLength(100);
    expect(result.data?.deals.pageInfo.hasNextPage).toBe(true);
    expect(result.data?.deals.totalCount).toBe(105);
    const tooLarge = await api.gql(DealsPageDocument, { first: 150 }, token);
    expect(tooLarge.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("deals: filters", () => {
  it("filters by exact stage", async () => {
    expect(names(await page({ first: 100, filter: { stage: "Discovery" } })).sort()).toEqual([
      "Globex pilot",
      "Hooli trial",
    ]);
    expect(names(await page({ first: 100, filter: { stage: "discovery" } }))).toEqual([]);
  });

  it("filters by owner email, case-insensitively", async () => {
    expect(names(await page({ first: 100, filter: { ownerEmail: "BOB@dealsco.TEST" } })).sort()).toEqual([
      "Globex pilot",
      "Stark upgrade",
    ]);
  });

  it("filters by text in the deal name or the account name, case-insensitively", async () => {
    expect(names(await page({ first: 100, filter: { text: "ACME" } })).sort()).toEqual([
      "Acme expansion",
      "Wayne security",
    ]);
    expect(names(await page({ first: 100, filter: { text: "rollOUT" } }))).toEqual(["Umbrella rollout"]);
    expect(names(await page({ first: 100, filter: { text: "industries" } }))).toEqual(["Stark upgrade"]);
  });

  it("combines filters", async () => {
    const p = await page({ first: 100, filter: { stage: "Proposal", ownerEmail: "alice@dealsco.test", text: "acme" } });
    expect(names(p)).toEqual(["Acme expansion"]);
    expect(p.totalCount).toBe(1);
  });
});

describe("deals: sorting", () => {
  it("sorts by most recently updated first by default", async () => {
    expect(names(await page({ first: 100 }))).toEqual(expectedOrder("UPDATED_AT", "DESC"));
  });

  const cases = (["UPDATED_AT", "CLOSE_DATE", "AMOUNT", "NAME"] as const).flatMap((field) =>
    (["ASC", "DESC"] as const).map((direction) => ({ field, direction })),
  );

  it.each(cases)("sorts by $field $direction (nulls last)", async ({ field, direction }) => {
    expect(names(await page({ first: 100, orderBy: { field, direction } }))).toEqual(expectedOrder(field, direction));
  });

  it.each(cases)("pages through $field $direction in the same order as one page", async ({ field, direction }) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const p = await page({ first: 2, after, orderBy: { field, direction } });
      seen.push(...names(p));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor!;
    }
    expect(seen).toEqual(expectedOrder(field, direction));
  });
});

describe("deal(id)", () => {
  it("returns the deal with its CRM identity, account and calls newest first", async () => {
    const acme = deals[0]!;
    const ids = await storeTestCalls(
      api.prisma,
      (await api.prisma.deal.findUniqueOrThrow({ where: { id: acme.id } })).workspaceId,
      [
        callRecord("acme-old", { startedAt: Date.UTC(2026, 0, 1), crmRefs: [dealRef("006A")] }),
        callRecord("acme-new", { startedAt: Date.UTC(2026, 0, 20), crmRefs: [dealRef("006A")] }),
        callRecord("acme-mid", { startedAt: Date.UTC(2026, 0, 10), crmRefs: [dealRef("006A")] }),
      ],
    );
    const id = globalId("Deal", acme.id);
    const first = await api.gql(DealsDealDocument, { id, first: 2 }, token);
    expect(first.errors).toBeUndefined();
    expect(first.data?.deal).toMatchObject({
      id,
      crmProvider: "SALESFORCE",
      crmId: "006A",
      name: "Acme expansion",
      stage: "Proposal",
      amount: "50000.00",
      closeDate: "2026-03-01",
      ownerEmail: "alice@dealsco.test",
      account: { crmProvider: "SALESFORCE", crmId: "acc-006A", name: "Acme Corp", domain: null },
      calls: {
        totalCount: 3,
        pageInfo: { hasNextPage: true },
        edges: [
          { node: { id: globalId("Call", ids["acme-new"]!), providerCallId: "acme-new" } },
          { node: { id: globalId("Call", ids["acme-mid"]!), providerCallId: "acme-mid" } },
        ],
      },
    });
    const rest = await api.gql(
      DealsDealDocument,
      { id, first: 2, after: first.data?.deal?.calls.pageInfo.endCursor },
      token,
    );
    expect(rest.data?.deal?.calls.edges.map((e) => e.node.providerCallId)).toEqual(["acme-old"]);
    expect(rest.data?.deal?.calls.pageInfo.hasNextPage).toBe(false);
  });
});

describe("upsertDeals: creates, then updates by CRM id", () => {
  let upsertToken: string;
  let workspaceId: string;
  beforeAll(async () => {
    const fixture = await createWorkspace(api.prisma, "Upsert Co");
    upsertToken = await api.tokenFor(fixture.admin);
    workspaceId = fixture.workspace.id;
  });

  const input = [
    {
      crmProvider: "SALESFORCE" as const,
      crmId: "006U1",
      name: "Northwind expansion",
      stage: "Discovery",
      amount: "12500.5",
      currency: "USD",
      closeDate: "2026-09-30",
      ownerEmail: "Owner@UpsertCo.test",
      ownerName: "Olive Owner",
      account: { crmId: "001N", name: "Northwind", domain: "northwind.test" },
    },
    { crmProvider: "HUBSPOT" as const, crmId: "9001", name: "Contoso pilot" },
  ];

  it("creates new deals and their accounts", async () => {
    const result = await api.gql(DealsUpsertDocument, { deals: input }, upsertToken);
    expect(result).toEqual({ data: { upsertDeals: { created: 2, updated: 0, callsLinked: 0 } } });
    const row = await api.prisma.deal.findFirstOrThrow({ where: { workspaceId, crmId: "006U1" } });
    const read = await api.gql(DealsDealDocument, { id: globalId("Deal", row.id) }, upsertToken);
    expect(read.data?.deal).toMatchObject({
      crmProvider: "SALESFORCE",
      crmId: "006U1",
      name: "Northwind expansion",
      stage: "Discovery",
      amount: "12500.50",
      currency: "USD",
      closeDate: "2026-09-30",
      ownerEmail: "owner@upsertco.test",
      ownerName: "Olive Owner",
      account: { crmProvider: "SALESFORCE", crmId: "001N", name: "Northwind", domain: "northwind.test" },
    });
  });

  it("updates the deals with the same CRM ids instead of duplicating them", async () => {
    const changed = [
      { ...input[0]!, stage: "Negotiation", amount: "15000", account: { crmId: "001N", name: "Northwind Ltd" } },
      input[1]!,
    ];
    const result = await api.gql(DealsUpsertDocument, { deals: changed }, upsertToken);
    expect(result).toEqual({ data: { upsertDeals: { created: 0, updated: 2, callsLinked: 0 } } });
    expect(await api.prisma.deal.count({ where: { workspaceId } })).toBe(2);
    expect(await api.prisma.account.count({ where: { workspaceId } })).toBe(1);
    const row = await api.prisma.deal.findFirstOrThrow({
      where: { workspaceId, crmId: "006U1" },
      include: { account: true },
    });
    expect(row).toMatchObject({ stage: "Negotiation", account: { name: "Northwind Ltd", domain: null } });
    expect(row.amount?.toFixed(2)).toBe("15000.00");
  });

  it("is idempotent: sending the same deals again creates nothing", async () => {
    const again = await api.gql(DealsUpsertDocument, { deals: [input[1]!] }, upsertToken);
    expect(again.data?.upsertDeals).toEqual({ created: 0, updated: 1, callsLinked: 0 });
    expect(await api.prisma.deal.count({ where: { workspaceId } })).toBe(2);
  });

  it("treats the same CRM id of another CRM provider as another deal", async () => {
    const result = await api.gql(
      DealsUpsertDocument,
      { deals: [{ crmProvider: "HUBSPOT", crmId: "006U1", name: "Same id, other CRM" }] },
      upsertToken,
    );
    expect(result.data?.upsertDeals).toEqual({ created: 1, updated: 0, callsLinked: 0 });
  });
});

describe("upsertDeals: validation", () => {
  const valid = { crmProvider: "SALESFORCE" as const, crmId: "006V1", name: "Valid deal" };
  const invalid: [string, Record<string, unknown>, string, RegExp][] = [
    ["an amount that is not a decimal", { amount: "12,50" }, "deals[1].amount", /amount must be a decimal number/],
    ["an amount with more than 2 decimals", { amount: "1.005" }, "deals[1].amount", /at most 2 decimals/],
    ["a currency that is not an ISO code", { currency: "usd" }, "deals[1].currency", /ISO 4217/],
    ["an owner email that is not an email", { ownerEmail: "not-an-email" }, "deals[1].ownerEmail", /email address/],
    ["a blank name", { name: "   " }, "deals[1].name", /name must not be empty/],
    ["a blank CRM id", { crmId: "" }, "deals[1].crmId", /crmId must not be empty/],
    ["an account without a name", { account: { crmId: "001", name: "" } }, "deals[1].account.name", /name/],
  ];

  it.each(invalid)(
    "rejects %s with BAD_USER_INPUT naming the field, and writes nothing",
    async (_, change, field, message) => {
      const before = await api.prisma.deal.count();
      const result = await api.gql(
        DealsUpsertDocument,
        { deals: [valid, { ...valid, crmId: "006V2", ...change }] },
        token,
      );
      expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
      expect(result.errors?.[0]?.extensions?.field).toBe(field);
      expect(result.errors?.[0]?.message).toMatch(message);
      expect(result.errors?.[0]?.message).toContain(field);
      expect(result.data).toBeNull();
      expect(await api.prisma.deal.count()).toBe(before);
    },
  );

  it("rejects more than 500 deals in one call", async () => {
    const many = Array.from({ length: 501 }, (_, i) => ({ ...valid, crmId: `bulk-${i}` }));
    const result = await api.gql(DealsUpsertDocument, { deals: many }, token);
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.extensions?.field).toBe("deals");
    expect(await api.prisma.deal.count({ where: { crmId: { startsWith: "bulk-" } } })).toBe(0);
  });

  it("rejects a close date that is not a date", async () => {
    const result = await api.gql(DealsUpsertDocument, { deals: [{ ...valid, closeDate: "2026-13-45" }] }, token);
    expect(result.errors?.[0]?.message).toMatch(/Date/);
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("late linking: calls stored before their deal link as soon as it arrives", () => {
  let linkToken: string;
  let workspaceId: string;
  let calls: Record<string, string>;
  const link = async (key: string, t = linkToken) =>
    (await api.gql(DealsCallLinkDocument, { id: globalId("Call", calls[key]!) }, t)).data?.call;

  beforeAll(async () => {
    const fixture = await createWorkspace(api.prisma, "Linking Co");
    linkToken = await api.tokenFor(fixture.admin);
    workspaceId = fixture.workspace.id;
    calls = await storeTestCalls(api.prisma, workspaceId, [
      callRecord("waiting-1", {
        crmRefs: [dealRef("006LATE"), { system: "SALESFORCE", objectType: "Account", objectId: "001X" }],
      }),
      callRecord("waiting-2", { crmRefs: [{ system: "SALESFORCE", objectType: "opportunity", objectId: "006LATE" }] }),
      callRecord("no-crm-id", { crmRefs: [] }),
      callRecord("account-only", { crmRefs: [{ system: "SALESFORCE", objectType: "Account", objectId: "001X" }] }),
      callRecord("hubspot-ref", { crmRefs: [dealRef("006HS", "HUBSPOT")] }),
    ]);
  });

  it("shows NO_MATCHING_DEAL with a reason while the deal has not arrived", async () => {
    expect(await link("waiting-1")).toEqual({
      dealLink: { status: "NO_MATCHING_DEAL", reason: expect.stringMatching(/will link automatically/) },
      deal: null,
    });
  });

  it("links the waiting calls when upsertDeals brings their deal, and counts them", async () => {
    const result = await api.gql(
      DealsUpsertDocument,
      { deals: [{ crmProvider: "SALESFORCE", crmId: "006LATE", name: "Late deal" }] },
      linkToken,
    );
    expect(result.data?.upsertDeals).toEqual({ created: 1, updated: 0, callsLinked: 2 });
    for (const key of ["waiting-1", "waiting-2"])
      expect(await link(key)).toEqual({
        dealLink: { status: "LINKED", reason: null },
        deal: { id: expect.any(String), crmId: "006LATE" },
      });
    const again = await api.gql(
      DealsUpsertDocument,
      { deals: [{ crmProvider: "SALESFORCE", crmId: "006LATE", name: "Late deal, renamed" }] },
      linkToken,
    );
    expect(again.data?.upsertDeals).toEqual({ created: 0, updated: 1, callsLinked: 0 });
  });

  it("leaves calls without a CRM deal id unlinked, with the reason, and guesses no deal from an account id", async () => {
    await api.gql(
      DealsUpsertDocument,
      { deals: [{ crmProvider: "SALESFORCE", crmId: "001X", name: "Named like the account" }] },
      linkToken,
    );
    expect(await link("no-crm-id")).toEqual({
      dealLink: { status: "NO_CRM_ID", reason: expect.stringMatching(/attached no CRM deal/) },
      deal: null,
    });
    expect(await link("account-only")).toEqual({
      dealLink: { status: "ACCOUNT_ONLY", reason: expect.stringMatching(/^Account only, no deal id/) },
      deal: null,
    });
  });

  it("does not link a HubSpot reference to a Salesforce deal with the same id", async () => {
    const result = await api.gql(
      DealsUpsertDocument,
      { deals: [{ crmProvider: "SALESFORCE", crmId: "006HS", name: "Salesforce deal" }] },
      linkToken,
    );
    expect(result.data?.upsertDeals.callsLinked).toBe(0);
    expect((await link("hubspot-ref"))?.dealLink.status).toBe("NO_MATCHING_DEAL");
  });

  it("re-links by the new CRM when the workspace switches CRM", async () => {
    await api.gql(
      DealsUpsertDocument,
      { deals: [{ crmProvider: "HUBSPOT", crmId: "006HS", name: "HubSpot deal" }] },
      linkToken,
    );
    expect((await link("hubspot-ref"))?.dealLink.status).toBe("NO_MATCHING_DEAL");
    const switched = await api.gql(DealsSetCrmDocument, { provider: "HUBSPOT" }, linkToken);
    expect(switched.data?.setCrmConnection.callsLinked).toBe(1);
    expect(await link("hubspot-ref")).toMatchObject({ dealLink: { status: "LINKED" }, deal: { crmId: "006HS" } });
    expect(await link("waiting-1")).toMatchObject({ dealLink: { status: "NO_MATCHING_DEAL" }, deal: null });
  });
});

describe("a workspace without a CRM", () => {
  it("shows NO_CRM_CONNECTION and links once setCrmConnection is called", async () => {
    const fixture = await createWorkspace(api.prisma, "No Crm Co", null);
    const adminToken = await api.tokenFor(fixture.admin);
    const calls = await storeTestCalls(api.prisma, fixture.workspace.id, [
      callRecord("before-crm", { crmRefs: [dealRef("006NC")] }),
    ]);
    const id = globalId("Call", calls["before-crm"]!);
    const status = async () => (await api.gql(DealsCallLinkDocument, { id }, adminToken)).data?.call;

    expect(await status()).toEqual({
      dealLink: { status: "NO_CRM_CONNECTION", reason: expect.stringMatching(/Connect a CRM/) },
      deal: null,
    });
    const upsert = await api.gql(
      DealsUpsertDocument,
      { deals: [{ crmProvider: "SALESFORCE", crmId: "006NC", name: "Waiting for CRM" }] },
      adminToken,
    );
    expect(upsert.data?.upsertDeals).toEqual({ created: 1, updated: 0, callsLinked: 0 });
    expect((await status())?.dealLink.status).toBe("NO_CRM_CONNECTION");

    const connected = await api.gql(DealsSetCrmDocument, { provider: "SALESFORCE" }, adminToken);
    expect(connected).toEqual({ data: { setCrmConnection: { callsLinked: 1 } } });
    expect(await status()).toMatchObject({ dealLink: { status: "LINKED", reason: null }, deal: { crmId: "006NC" } });
  });
});
