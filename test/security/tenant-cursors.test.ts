/**
 * Rule 4 — pagination is tenant-proof. A cursor that is not a row of the caller's own list (a row of
 * another workspace above all) behaves exactly like a cursor that does not exist, on every
 * connection: nothing of the foreign row's hidden values positions the page.
 */
import { randomUUID } from "node:crypto";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { encodeBase64, encodeCursorTuple } from "@pothos/core";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GqlResult, startApi, type TestApi } from "../support/api.js";
import { callRecord, createIntegration, storeTestCalls } from "../support/calls.js";
import { createWorkspace } from "../support/fixtures.js";

let api: TestApi;
let token: string;
let adminToken: string;
let foreignToken: string;
let foreignAdminToken: string;
type Seeded = Awaited<ReturnType<typeof seedWorkspace>>;
const own = {
  dealIds: [] as string[],
  callIds: [] as string[],
  dealId: "",
  callId: "",
  integrationId: "",
  accountId: "",
};
const foreign = {} as Seeded & { integrationId: string };

const cursor = (id: string) => Buffer.from(`GPC:S:${id}`).toString("base64");
const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");
const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown>, as = token) =>
  api.gql(parse(query) as TypedDocumentNode<T, Record<string, unknown>>, variables, as);

async function seedWorkspace(name: string, dealNames: string[], hour: number) {
  const { workspace, member, admin } = await createWorkspace(api.prisma, name);
  const integration = await createIntegration(api.prisma, workspace.id);
  const account = await api.prisma.account.create({
    data: { workspaceId: workspace.id, crmProvider: "SALESFORCE", crmId: `001${name}`, name: `${name} Inc` },
  });
  const dealIds: string[] = [];
  for (const [i, dealName] of dealNames.entries()) {
    const crmId = `006${name}${i}`;
    const deal = await api.prisma.deal.create({
      data: { workspaceId: workspace.id, crmProvider: "SALESFORCE", crmId, name: dealName, accountId: account.id },
    });
    dealIds.push(deal.id);
    await storeTestCalls(
      api.prisma,
      workspace.id,
      integration.id,
      [0, 1, 2].map((k) =>
        callRecord(hour + i * 10 + k, {
          crmRefs: [{ system: "SALESFORCE", objectType: "Opportunity", objectId: crmId }],
        }),
      ),
    );
  }
  for (const k of [0, 1, 2])
    await api.prisma.syncRun.create({
      data: {
        workspaceId: workspace.id,
        integrationId: integration.id,
        kind: "MANUAL",
        status: "COMPLETED",
        activeSlot: null,
        windowTo: new Date(),
        startedAt: new Date(Date.UTC(2026, 0, 1 + hour + k)),
      },
    });
  const calls = await api.prisma.call.findMany({ where: { workspaceId: workspace.id }, select: { id: true } });
  const segments = await api.prisma.transcriptSegment.findMany({
    where: { call: { workspaceId: workspace.id } },
    select: { id: true },
  });
  const runs = await api.prisma.syncRun.findMany({ where: { workspaceId: workspace.id }, select: { id: true } });
  return {
    workspace,
    integration,
    accountId: account.id,
    member,
    admin,
    dealIds,
    callIds: calls.map((c) => c.id),
    segmentIds: segments.map((s) => s.id),
    runIds: runs.map((r) => r.id),
  };
}

beforeAll(async () => {
  api = await startApi();
  const a = await seedWorkspace("Alpha", ["Apple", "Grape", "Mango", "Peach", "Zucchini"], 0);
  const b = await seedWorkspace("Beta", ["Banana", "Kiwi", "Secret Merger", "Yam"], 100);
  token = await api.tokenFor(a.member);
  adminToken = await api.tokenFor(a.admin);
  foreignToken = await api.tokenFor(b.member);
  foreignAdminToken = await api.tokenFor(b.admin);
  Object.assign(own, {
    dealIds: a.dealIds,
    callIds: a.callIds,
    dealId: a.dealIds[0],
    callId: a.callIds[0],
    integrationId: a.integration.id,
    accountId: a.accountId,
  });
  Object.assign(foreign, b, { integrationId: b.integration.id });
}, 120_000);
afterAll(() => api.close());

const unknownId = () => randomUUID();

interface DealsPage {
  deals: { edges: { cursor: string; node: { name: string } }[]; pageInfo: { hasNextPage: boolean } };
}

/** The answer to a page request, without what legitimately differs between two requests. */
const answer = (result: { data?: unknown; errors?: readonly { message: string; extensions?: unknown }[] }) => ({
  data: result.data ?? null,
  errors: (result.errors ?? []).map((e) => ({ message: e.message, extensions: e.extensions })),
});

const DEALS = `query($after: String, $before: String, $first: Int, $last: Int, $field: DealSortField!) {
  deals(after: $after, before: $before, first: $first, last: $last, orderBy: { field: $field, direction: ASC }) {
    totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage }
  } }`;
const CALLS = `query($after: String, $before: String, $first: Int, $last: Int, $filter: CallFilter) {
  calls(after: $after, before: $before, first: $first, last: $last, filter: $filter) {
    edges { cursor node { id startedAt } } pageInfo { hasNextPage hasPreviousPage }
  } }`;

describe("top-level lists: a cursor that is not a row of the caller's list is refused like an unknown one", () => {
  const pages = [
    ["deals after", DEALS, (c: string) => ({ after: c, first: 2, field: "NAME" })],
    ["deals before", DEALS, (c: string) => ({ before: c, last: 2, field: "NAME" })],
    ["calls after", CALLS, (c: string) => ({ after: c, first: 2 })],
    ["calls before", CALLS, (c: string) => ({ before: c, last: 2 })],
  ] as const;

  it.each(pages)("%s: every foreign row answers exactly as an unknown id", async (_name, query, vars) => {
    const unknown = answer(await gql(query, vars(cursor(unknownId()))));
    expect(unknown.errors).toHaveLength(1);
    expect(unknown.errors[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    const foreignRows = query === DEALS ? foreign.dealIds : foreign.callIds;
    for (const id of foreignRows) expect(answer(await gql(query, vars(cursor(id))))).toEqual(unknown);
    // Rows of the other type, and ids that are no rows at all, read the same.
    for (const id of [...foreign.segmentIds.slice(0, 2), ...foreign.runIds.slice(0, 1)])
      expect(answer(await gql(query, vars(cursor(id))))).toEqual(unknown);
  });

  it("bisection learns nothing: foreign deals sorted anywhere among the caller's give the same answer", async () => {
    // "Banana" would sort after "Apple", "Yam" after "Peach": positioned by hidden names, the pages would differ.
    const answers = await Promise.all(
      foreign.dealIds.map(async (id) => answer(await gql(DEALS, { after: cursor(id), first: 5, field: "NAME" }))),
    );
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]?.data).toBeNull();
  });

  it("a row of the caller's own workspace outside the filtered list is refused too", async () => {
    const unknown = answer(
      await gql(CALLS, { after: cursor(unknownId()), first: 2, filter: { dealId: gid("Deal", own.dealId) } }),
    );
    const otherDealsCall = (
      await api.prisma.call.findFirst({ where: { dealId: own.dealIds[1] }, select: { id: true } })
    )?.id as string;
    const res = answer(
      await gql(CALLS, { after: cursor(otherDealsCall), first: 2, filter: { dealId: gid("Deal", own.dealId) } }),
    );
    expect(res).toEqual(unknown);
  });

  it("keeps relay pagination over the caller's own rows, both ways", async () => {
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: GqlResult<DealsPage> = await gql<DealsPage>(DEALS, { after, first: 2, field: "NAME" });
      expect(res.errors).toBeUndefined();
      names.push(...res.data!.deals.edges.map((e) => e.node.name));
      if (!res.data!.deals.pageInfo.hasNextPage) break;
      after = res.data!.deals.edges.at(-1)!.cursor;
    }
    expect(names).toEqual(["Apple", "Grape", "Mango", "Peach", "Zucchini"]);
    const all = await gql<{ deals: { edges: { cursor: string }[] } }>(DEALS, { first: 5, field: "NAME" });
    const back = await gql<{ deals: { edges: { node: { name: string } }[] } }>(DEALS, {
      before: all.data!.deals.edges[3]!.cursor,
      last: 2,
      field: "NAME",
    });
    expect(back.data!.deals.edges.map((e) => e.node.name)).toEqual(["Grape", "Mango"]);
  });
});

describe("nested connections: another list's cursor reads exactly like an unknown one", () => {
  const tuple = (...ids: string[]) => encodeBase64(`GPC:${encodeCursorTuple(ids)}`);
  const PAGE = "edges { cursor } pageInfo { hasNextPage hasPreviousPage }";
  const cases = [
    {
      name: "Deal.calls",
      query: `query($id: ID!, $after: String) { node(id: $id) { ... on Deal { calls(first: 2, after: $after) { totalCount ${PAGE} } } } }`,
      own: () => gid("Deal", own.dealId),
      foreign: () => gid("Deal", foreign.dealIds[0]!),
      unknown: () => tuple(randomUUID(), own.dealId),
      as: () => [token, foreignToken],
    },
    {
      name: "Account.calls",
      query: `query($id: ID!, $after: String) { node(id: $id) { ... on Account { calls(first: 2, after: $after) { totalCount ${PAGE} } } } }`,
      own: () => gid("Account", own.accountId),
      foreign: () => gid("Account", foreign.accountId),
      unknown: () => tuple(randomUUID(), own.accountId),
      as: () => [token, foreignToken],
    },
    {
      name: "Call.transcript.segments",
      query: `query($id: ID!, $after: String) { node(id: $id) { ... on Call { transcript { segments(first: 2, after: $after) { ${PAGE} } } } } }`,
      own: () => gid("Call", own.callId),
      foreign: () => gid("Call", foreign.callIds[0]!),
      unknown: () => cursor(randomUUID()),
      as: () => [token, foreignToken],
    },
    {
      name: "Integration.runs",
      query: `query($id: ID!, $after: String) { node: integration(id: $id) { runs(first: 1, after: $after) { ${PAGE} } } }`,
      own: () => gid("Integration", own.integrationId),
      foreign: () => gid("Integration", foreign.integrationId),
      unknown: () => cursor(randomUUID()),
      as: () => [adminToken, foreignAdminToken],
    },
  ];

  it.each(cases)("$name", async ({ query, own: ownId, foreign: foreignId, unknown, as }) => {
    const [mine, theirs] = as() as [string, string];
    // Every cursor the other workspace's list hands out, used on the caller's own parent.
    const theirPage = await gql<{ node: Record<string, unknown> }>(query, { id: foreignId() }, theirs);
    const cursors =
      JSON.stringify(theirPage.data)
        .match(/"cursor":"[^"]+"/g)
        ?.map((c) => c.slice(10, -1)) ?? [];
    expect(cursors.length).toBeGreaterThan(0);
    const expected = answer(await gql(query, { id: ownId(), after: unknown() }, mine));
    expect(expected.errors).toEqual([]);
    for (const c of cursors) expect(answer(await gql(query, { id: ownId(), after: c }, mine))).toEqual(expected);
    // The caller's own cursors still page.
    const first = await gql(query, { id: ownId() }, mine);
    const ownCursor = JSON.stringify(first.data).match(/"cursor":"([^"]+)"/)?.[1];
    const next = answer(await gql(query, { id: ownId(), after: ownCursor }, mine));
    expect(next.errors).toEqual([]);
    expect(next).not.toEqual(expected);
  });
});
