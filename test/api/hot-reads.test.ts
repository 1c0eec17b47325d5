/**
 * The hot reads (src/graphql/hot-reads.ts) answer the deal list and the deal page with one
 * hand-written statement instead of Pothos + Prisma. They must answer exactly what the generic
 * path answers: every operation here is sent to two APIs on one database — one with hot reads, one
 * without (GRAPHQL_HOT_READS=false) — and the response bodies must be the same bytes (keys in the
 * same order, same errors), with the same HTTP status. Each case also says which path must answer
 * it on the hot API, so a hot read that silently falls back (or one that answers what it should
 * leave to the generic path) fails too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hotReadStats } from "../../src/graphql/hot-reads.js";
import { startApi, type TestApi } from "../support/api.js";
import { callRecord, createDeal, createWorkspace, dealRef, globalId, storeTestCalls } from "../support/fixtures.js";

let hot: TestApi;
let generic: TestApi;
const tokens: Record<"member" | "admin" | "other", string> = { member: "", admin: "", other: "" };
/** Global ids and cursors the cases use. */
const ids: Record<string, string> = {};

const dealCursor = (id: string) => Buffer.from(`GPC:S:${id}`).toString("base64");
const callCursor = (callId: string, dealId: string) =>
  Buffer.from(`GPC:T:${JSON.stringify([`S:${callId}`, `S:${dealId}`])}`).toString("base64");

beforeAll(async () => {
  hot = await startApi();
  generic = await startApi({ GRAPHQL_HOT_READS: "false" }, { database: hot.database });
  const db = hot.prisma;
  const { workspace, admin, member } = await createWorkspace(db, "Hot Reads Co");
  tokens.admin = await hot.tokenFor(admin);
  tokens.member = await hot.tokenFor(member);
  const other = await createWorkspace(db, "Other Hot Co");
  tokens.other = await hot.tokenFor(other.member);

  const base = Date.UTC(2026, 5, 1);
  const acme = await createDeal(db, workspace.id, {
    crmId: "006HOTA",
    name: 'Acme "expansion" — ünïcode\nline',
    stage: "Proposal",
    amount: "12500.5",
    closeDate: new Date(Date.UTC(2026, 11, 24)),
    ownerEmail: "owner@hotreads.test",
    accountName: "Acme Corp",
    updatedAt: new Date(base + 9_000),
  });
  const updated = (crmId: string, name: string, ms: number) =>
    createDeal(db, workspace.id, { crmId, name, updatedAt: new Date(base + ms) });
  const empty = await updated("006HOTB", "No calls", 8_000);
  // Two deals updated at the same instant: the id breaks the tie.
  const tieA = await updated("006HOTC", "Tie A", 7_000);
  const tieB = await updated("006HOTD", "Tie B", 7_000);
  const small = await createDeal(db, workspace.id, {
    crmId: "006HOTE",
    name: "Small",
    amount: "-3",
    stage: "Closed Won",
    updatedAt: new Date(base + 6_000),
  });
  for (let i = 0; i < 4; i++)
    await createDeal(db, workspace.id, { crmId: `006HOTF${i}`, name: `Filler ${i}`, updatedAt: new Date(base + i) });
  const foreign = await createDeal(db, other.workspace.id, { crmId: "006HOTA", name: "Other workspace's" });

  const people = [
    { name: "Hana Host", email: "admin@hotreadsco.test", isInternal: true, speakerId: "s1", providerUserId: null },
    { name: null, email: "bo@buyer.test", isInternal: false, speakerId: "s2", providerUserId: null },
    { name: "Cy Champion", email: null, isInternal: false, speakerId: null, providerUserId: null },
  ];
  const rich = (n: number, deals: string[]) =>
    callRecord(`hot-${n}`, {
      startedAt: Date.UTC(2026, 4, 1) + n * 3_600_000 + 123,
      crmRefs: deals.map((d) => dealRef(d)),
      participants: people,
      summary:
        n % 3 === 0 ? null : { brief: n % 2 ? `Brief ${n}` : null, keyPoints: n % 2 ? ["Pricing", "Sécurité"] : [] },
      actionItems:
        n % 4 === 0
          ? []
          : [
              { text: `Send the report ${n}`, ownerSpeakerId: "s1", ownerName: null },
              { text: "Review terms", ownerSpeakerId: null, ownerName: "Cy Champion" },
            ],
    });
  const records = [
    ...Array.from({ length: 12 }, (_, n) => rich(n, ["006HOTA"])),
    // A call on two deals, and one with its nullable fields empty.
    rich(20, ["006HOTA", "006HOTE"]),
    callRecord("hot-bare", {
      startedAt: Date.UTC(2026, 4, 3),
      crmRefs: [dealRef("006HOTE")],
      title: null,
      durationMs: null,
      endedAt: null,
      url: null,
    }),
    // Two calls starting at the same instant on the tie deals.
    callRecord("hot-tie-1", { startedAt: Date.UTC(2026, 4, 2), crmRefs: [dealRef("006HOTC")] }),
    callRecord("hot-tie-2", { startedAt: Date.UTC(2026, 4, 2), crmRefs: [dealRef("006HOTC"), dealRef("006HOTD")] }),
  ];
  const calls = await storeTestCalls(db, workspace.id, records);
  await storeTestCalls(db, other.workspace.id, [rich(1, ["006HOTA"])]);
  // Deleted upstream, private (the member takes no part), hidden, and private but the member's own.
  await db.call.update({ where: { id: calls["hot-11"]! }, data: { deletedUpstreamAt: new Date(base) } });
  await db.call.update({ where: { id: calls["hot-10"]! }, data: { isPrivate: true } });
  await db.call.update({
    where: { id: calls["hot-9"]! },
    data: { hiddenAt: new Date(base), hiddenReason: "Excluded" },
  });
  await db.call.update({ where: { id: calls["hot-8"]! }, data: { isPrivate: true, ownerUserId: member.id } });
  await db.call.update({ where: { id: calls["hot-7"]! }, data: { purgedAt: new Date(base), purgeReason: "GDPR" } });

  Object.assign(ids, {
    memberUserId: member.id,
    acme: globalId("Deal", acme.id),
    empty: globalId("Deal", empty.id),
    small: globalId("Deal", small.id),
    tieA: globalId("Deal", tieA.id),
    foreign: globalId("Deal", foreign.id),
    callAsDeal: globalId("Call", calls["hot-1"]!),
    acmeCursor: dealCursor(acme.id),
    tieACursor: dealCursor(tieA.id),
    tieBCursor: dealCursor(tieB.id),
    foreignCursor: dealCursor(foreign.id),
    callCursor: callCursor(calls["hot-5"]!, acme.id),
  });
}, 120_000);
afterAll(async () => {
  await generic?.close();
  await hot?.close();
});

const post = (api: TestApi, query: string, variables: Record<string, unknown>, token: string | null) =>
  api.request(query, variables, token);

const CALL_FIELDS = `id provider providerCallId title startedAt endedAt durationMs direction providerUrl readiness
  ownerProviderUserId purgedAt purgeReason isPrivate hiddenReason deletedUpstreamAt __typename
  dealLink { status reason __typename }
  participants { name email isInternal speakerId __typename }
  summary { brief keyPoints __typename }
  actionItems { text ownerName owner { name email isInternal speakerId __typename } __typename }`;
const DEAL_FIELDS = `id crmProvider crmId name stage amount currency closeDate ownerEmail ownerName updatedAt __typename
  account { id crmProvider crmId name domain __typename }`;

const LIST = `query HotDealList { deals(first: 50) { edges { node { id name stage
  calls(first: 5) { edges { node { id title startedAt participants { name isInternal } } } } } } } }`;
const PAGE = `query HotDealPage($id: ID!) { deal(id: $id) { id name stage amount account { name }
  calls(first: 20) { totalCount edges { node { id title startedAt durationMs providerUrl
    participants { name email isInternal } summary { brief keyPoints } actionItems { text owner { name } }
    dealLink { status } } } } } }`;

type Who = keyof typeof tokens | null;
interface Case {
  name: string;
  query: string;
  variables?: () => Record<string, unknown>;
  who?: Who[];
  /** Which path the hot API answers it with. */
  path: "hot" | "generic";
}

const cases: Case[] = [
  { name: "the deal list as the bench sends it", query: LIST, who: ["member", "admin", "other"], path: "hot" },
  {
    name: "the deal page as the bench sends it",
    query: PAGE,
    variables: () => ({ id: ids.acme }),
    who: ["member", "admin"],
    path: "hot",
  },
  {
    name: "every covered field, pageInfo and cursors on the list",
    query: `{ deals(first: 4) { totalCount __typename pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
      edges { cursor __typename node { ${DEAL_FIELDS}
        calls(first: 3) { totalCount __typename pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor reason linkedAt __typename node { ${CALL_FIELDS} } } } } } } }`,
    who: ["member", "admin"],
    path: "hot",
  },
  {
    name: "every covered field on the deal page, deleted calls included",
    query: `query($id: ID!, $del: Boolean) { deal(id: $id) { ${DEAL_FIELDS}
      calls(first: 100, includeDeletedUpstream: $del) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor reason linkedAt node { ${CALL_FIELDS} } } } } }`,
    variables: () => ({ id: ids.acme, del: true }),
    who: ["member", "admin"],
    path: "hot",
  },
  {
    name: "deleted calls left out explicitly",
    query: `query($id: ID!) { deal(id: $id) { calls(includeDeletedUpstream: false) { totalCount edges { node { id } } } } }`,
    variables: () => ({ id: ids.acme }),
    who: ["admin"],
    path: "hot",
  },
  ...[0, 1, 12, 13].map(
    (first): Case => ({
      name: `a deal page of first: ${first}`,
      query: `query($id: ID!, $n: Int) { deal(id: $id) { calls(first: $n) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } } }`,
      variables: () => ({ id: ids.acme, n: first }),
      who: ["member", "admin"],
      path: "hot",
    }),
  ),
  ...[0, 1, 3, 9, 10, 100].map(
    (first): Case => ({
      name: `a deal list of first: ${first}`,
      query: `query($n: Int) { deals(first: $n) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } }`,
      variables: () => ({ n: first }),
      who: ["member"],
      path: "hot",
    }),
  ),
  {
    name: "the default page sizes",
    query: `{ deals { edges { node { name calls { edges { node { title } } } } } } }`,
    who: ["admin"],
    path: "hot",
  },
  ...(["acmeCursor", "tieACursor", "tieBCursor"] as const).map(
    (cursor): Case => ({
      name: `the list after a cursor of the caller's list (${cursor})`,
      query: `query($after: String) { deals(first: 3, after: $after) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } }`,
      variables: () => ({ after: ids[cursor] }),
      who: ["member"],
      path: "hot",
    }),
  ),
  {
    name: "a deal of another workspace, a deal without calls, an id of another type",
    query: `query($a: ID!, $b: ID!, $c: ID!) { a: deal(id: $a) { name } b: deal(id: $b) { name calls { totalCount edges { node { id } } pageInfo { hasNextPage startCursor endCursor } } } c: deal(id: $c) { name } }`,
    variables: () => ({ a: ids.foreign, b: ids.empty, c: ids.callAsDeal }),
    who: ["member"],
    path: "hot",
  },
  {
    name: "aliases, named and inline fragments, @include and @skip with variables, merged fields",
    query: `query($id: ID!, $yes: Boolean!, $no: Boolean!) {
      page: deal(id: $id) { ...DealBits ... on Node { nodeId: id }
        recent: calls(first: 2) { edges { node { title @include(if: $yes) when: startedAt @skip(if: $yes) ...CallBits } } }
        calls(first: 2) { edges { node { id } } }
        calls(first: 2) { edges { node { title people: participants { email } } } } }
      list: deals(first: 2) { edges { node { ... on Deal { dealName: name stage @include(if: $no) } } } }
      __typename
    }
    fragment DealBits on Deal { name amount account { ... on Account { name } } }
    fragment CallBits on Call { summary { keyPoints } dealLink { reason } }`,
    variables: () => ({ id: ids.acme, yes: true, no: false }),
    who: ["member"],
    path: "hot",
  },
  {
    name: "a call on two deals, a bare call and calls starting at the same instant",
    query: `query($a: ID!, $b: ID!) { a: deal(id: $a) { calls { edges { cursor reason node { ${CALL_FIELDS} } } } }
      b: deal(id: $b) { calls { edges { cursor node { id startedAt } } } } }`,
    variables: () => ({ a: ids.small, b: ids.tieA }),
    who: ["member"],
    path: "hot",
  },
  {
    name: "a malformed deal id",
    query: `query($id: ID!) { deal(id: $id) { name } }`,
    variables: () => ({ id: "nope" }),
    who: ["member"],
    path: "hot",
  },
  // What the hot reads leave to the generic path: the same answer, errors included.
  { name: "no token", query: LIST, who: [null], path: "generic" },
  {
    name: "a cursor of another workspace's list",
    query: `query($after: String) { deals(first: 2, after: $after) { edges { node { name } } } }`,
    variables: () => ({ after: ids.foreignCursor }),
    who: ["member"],
    path: "generic",
  },
  ...["not a cursor", Buffer.from("GPC:S:1234").toString("base64"), Buffer.from("GPC:N:5").toString("base64")].map(
    (after): Case => ({
      name: `an unreadable cursor (${after})`,
      query: `query($after: String) { deals(first: 2, after: $after) { edges { node { name } } } }`,
      variables: () => ({ after }),
      who: ["member"],
      path: "generic",
    }),
  ),
  {
    name: "a nested cursor",
    query: `query($id: ID!, $after: String) { deal(id: $id) { calls(first: 2, after: $after) { edges { node { id } } } } }`,
    variables: () => ({ id: ids.acme, after: ids.callCursor }),
    who: ["member"],
    path: "generic",
  },
  {
    name: "a filter and an order",
    query: `{ a: deals(filter: { stage: "Proposal" }) { edges { node { name } } } }`,
    who: ["member"],
    path: "generic",
  },
  {
    name: "an order",
    query: `{ deals(orderBy: { field: NAME, direction: ASC }) { edges { node { name } } } }`,
    who: ["member"],
    path: "generic",
  },
  { name: "last", query: `{ deals(last: 2) { edges { node { name } } } }`, who: ["member"], path: "generic" },
  {
    name: "a negative page size",
    query: `{ deals(first: -1) { edges { node { name } } } }`,
    who: ["member"],
    path: "generic",
  },
  {
    name: "a page size over the maximum (refused by the limits before either path)",
    query: `{ deals(first: 101) { edges { node { name } } } }`,
    who: ["member"],
    path: "generic",
  },
  {
    name: "a field the hot reads do not cover",
    query: `query($id: ID!) { deal(id: $id) { name calls { edges { node { id transcript { readiness } } } } } }`,
    variables: () => ({ id: ids.acme }),
    who: ["member"],
    path: "generic",
  },
  {
    name: "another root field beside the deal list",
    query: `{ deals(first: 1) { edges { node { name } } } viewer { email } }`,
    who: ["member"],
    path: "generic",
  },
];

describe("hot reads answer exactly what the generic path answers", () => {
  for (const c of cases)
    for (const who of c.who ?? ["member"])
      it(`${c.name} (${who ?? "anonymous"}, ${c.path})`, async () => {
        const variables = c.variables?.() ?? {};
        const token = who ? tokens[who] : null;
        const expected = await post(generic, c.query, variables, token);
        const before = { ...hotReadStats };
        const actual = await post(hot, c.query, variables, token);
        expect(actual.body).toBe(expected.body);
        expect(actual.status).toBe(expected.status);
        const answered = hotReadStats.hot > before.hot ? "hot" : "generic";
        if (c.path === "hot" || hotReadStats.generic > before.generic || hotReadStats.hot > before.hot)
          expect(answered).toBe(c.path);
      });

  it("compares answers with content: the list and the page hold calls with participants", async () => {
    const list = JSON.parse((await post(hot, LIST, {}, tokens.member)).body);
    expect(list.data.deals.edges.length).toBe(9);
    expect(list.data.deals.edges[0].node.calls.edges[0].node.participants).toHaveLength(3);
    const page = JSON.parse((await post(hot, PAGE, { id: ids.acme }, tokens.member)).body);
    // 13 calls on the deal; the member sees neither the hidden, the deleted nor the other's private one.
    expect(page.data.deal.calls.totalCount).toBe(10);
  });

  it("answers a covered operation in one statement", async () => {
    await post(hot, LIST, {}, tokens.member);
    hot.resetQueries();
    await post(hot, LIST, {}, tokens.member);
    expect(hot.queries).toHaveLength(1);
  });
});

describe("a hot read's statement, compiled once per document, variables and viewer", () => {
  const page = (api: TestApi) => post(api, PAGE, { id: ids.acme }, tokens.member);

  it("is compiled again for a viewer whose role changed: the promoted member sees the private call", async () => {
    const asMember = await page(hot);
    expect(asMember.body).toBe((await page(generic)).body);
    await hot.prisma.user.update({ where: { id: ids.memberUserId }, data: { role: "ADMIN" } });
    try {
      const asAdmin = await page(hot);
      expect(asAdmin.body).toBe((await page(generic)).body);
      expect(JSON.parse(asAdmin.body).data.deal.calls.totalCount).toBe(
        JSON.parse(asMember.body).data.deal.calls.totalCount + 1,
      );
    } finally {
      await hot.prisma.user.update({ where: { id: ids.memberUserId }, data: { role: "MEMBER" } });
    }
    expect((await page(hot)).body).toBe(asMember.body);
  });

  it("reads the rows as they are now: a call linked after the first answer is on the next", async () => {
    const before = JSON.parse((await page(hot)).body).data.deal.calls.totalCount;
    const { workspaceId } = await hot.prisma.user.findUniqueOrThrow({ where: { id: ids.memberUserId } });
    await storeTestCalls(hot.prisma, workspaceId, [
      callRecord("hot-late", { startedAt: Date.UTC(2026, 4, 4), crmRefs: [dealRef("006HOTA")] }),
    ]);
    const after = await page(hot);
    expect(JSON.parse(after.body).data.deal.calls.totalCount).toBe(before + 1);
    expect(after.body).toBe((await page(generic)).body);
  });
});
