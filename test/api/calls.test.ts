/**
 * SPEC §4 and §7: a call as the API serves it (metadata, participants, transcript, AI content,
 * deal context and why it is or is not on a deal), the calls list and transcript search.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CallsCallDocument,
  CallsListDocument,
  type CallsListQueryVariables,
  CallsSearchDocument,
} from "../generated/graphql.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { callRecord, createDeal, createWorkspace, dealRef, globalId, storeTestCalls } from "../support/fixtures.js";

let api: TestApi;
let token: string;
let ids: Record<string, string>;
let dealGid: string;
let otherDealGid: string;

const at = (day: number, hour = 10) => Date.UTC(2026, 0, day, hour);
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  api = await startApi();
  const fixture = await createWorkspace(api.prisma, "Calls Co");
  token = await api.tokenFor(fixture.member);
  const deal = await createDeal(api.prisma, fixture.workspace.id, { crmId: "006CALL", name: "Buyer Corp expansion" });
  const other = await createDeal(api.prisma, fixture.workspace.id, { crmId: "006OTHER", name: "Other deal" });
  dealGid = globalId("Deal", deal.id);
  otherDealGid = globalId("Deal", other.id);

  ids = {
    ...(await storeTestCalls(api.prisma, fixture.workspace.id, [
      callRecord("full", {
        title: "Q1 pricing review",
        startedAt: at(20),
        endedAt: at(20) + 45 * 60_000,
        durationMs: 45 * 60_000,
        direction: "OUTBOUND",
        ownerProviderUserId: "gong-user-1",
        ownerEmail: "Admin@CallsCo.test",
        url: "https://app.gong.test/call?id=full",
        participants: [
          {
            name: "Calls Admin",
            email: "Admin@CallsCo.test",
            isInternal: true,
            speakerId: "s1",
            providerUserId: "gong-user-1",
          },
          { name: "Buyer Bea", email: "Bea@Buyer.test", isInternal: false, speakerId: "s2", providerUserId: null },
          { name: null, email: "cc@buyer.test", isInternal: false, speakerId: "s3", providerUserId: null },
        ],
        transcript: [
          { speakerId: "s1", startMs: 0, endMs: 4000, text: "Thanks for joining, let's review pricing." },
          { speakerId: "s2", startMs: 4000, endMs: 9000, text: "Our budget is tight this quarter." },
          { speakerId: "s1", startMs: 9000, endMs: 15000, text: "We can offer an annual discount." },
          { speakerId: "s3", startMs: 15000, endMs: 18000, text: "Please send the security questionnaire." },
          { speakerId: null, startMs: 18000, endMs: 20000, text: "Unattributed remark." },
        ],
        summary: {
          brief: "Pricing review with Buyer Corp.",
          keyPoints: ["Budget is tight", "Annual discount offered"],
        },
        actionItems: [
          { text: "Send the security questionnaire", ownerSpeakerId: "s1", ownerName: null },
          { text: "Confirm the budget", ownerSpeakerId: null, ownerName: "Buyer Bea" },
          { text: "Loop in legal", ownerSpeakerId: null, ownerName: "Someone Else" },
        ],
        crmRefs: [dealRef("006CALL"), { system: "SALESFORCE", objectType: "Account", objectId: "001BUYER" }],
      }),
      callRecord("ranked", {
        title: "Pricing deep dive",
        startedAt: at(15),
        transcript: [
          {
            speakerId: null,
            startMs: 0,
            endMs: 1000,
            text: "Pricing, pricing and more pricing: pricing is the topic.",
          },
          { speakerId: null, startMs: 1000, endMs: 2000, text: "A word on pricing." },
        ],
        crmRefs: [dealRef("006OTHER")],
      }),
    ])),
    ...(await storeTestCalls(
      api.prisma,
      fixture.workspace.id,
      [
        callRecord("pending", {
          startedAt: at(10),
          readiness: "TRANSCRIPT_PENDING",
          transcript: null,
          summary: null,
          actionItems: null,
          participants: [
            { name: "Dan", email: "dan@buyer.test", isInternal: false, speakerId: null, providerUserId: null },
          ],
        }),
      ],
      "SALESLOFT",
    )),
    ...(await storeTestCalls(
      api.prisma,
      fixture.workspace.id,
      [
        callRecord("clari", {
          startedAt: at(5),
          participants: [
            { name: "Carol", email: "carol@buyer.test", isInternal: false, speakerId: "p1", providerUserId: null },
          ],
          transcript: [{ speakerId: "p1", startMs: 0, endMs: 1000, text: "Security review is done." }],
        }),
      ],
      "CLARI_COPILOT",
    )),
  };
});
afterAll(() => api.close());

const callGid = (key: string) => globalId("Call", ids[key]!);

describe("call(id): everything a client shows for one call", () => {
  it("returns the metadata and the link to open the call in the provider", async () => {
    const result = await api.gql(CallsCallDocument, { id: callGid("full") }, token);
    expect(result.errors).toBeUndefined();
    expect(result.data?.call).toMatchObject({
      id: callGid("full"),
      provider: "GONG",
      providerCallId: "full",
      title: "Q1 pricing review",
      startedAt: iso(at(20)),
      endedAt: iso(at(20) + 45 * 60_000),
      durationMs: 45 * 60_000,
      direction: "OUTBOUND",
      providerUrl: "https://app.gong.test/call?id=full",
      readiness: "READY",
      purgedAt: null,
      ownerProviderUserId: "gong-user-1",
      owner: { email: "admin@callsco.test" },
    });
  });

  it("lists participants in order, with the workspace user for internal ones", async () => {
    const call = (await api.gql(CallsCallDocument, { id: callGid("full") }, token)).data?.call;
    expect(call?.participants).toEqual([
      {
        name: "Calls Admin",
        email: "admin@callsco.test",
        isInternal: true,
        speakerId: "s1",
        user: { email: "admin@callsco.test", name: "Calls Co Admin" },
      },
      { name: "Buyer Bea", email: "bea@buyer.test", isInternal: false, speakerId: "s2", user: null },
      { name: null, email: "cc@buyer.test", isInternal: false, speakerId: "s3", user: null },
    ]);
  });

  it("pages through transcript segments in order, each with its speaker resolved", async () => {
    const first = (await api.gql(CallsCallDocument, { id: callGid("full"), first: 2 }, token)).data?.call?.transcript;
    expect(first?.segmentCount).toBe(5);
    expect(first?.readiness).toBe("READY");
    expect(first?.segments.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(first?.segments.edges.map((e) => e.node)).toEqual([
      {
        position: 0,
        startMs: 0,
        endMs: 4000,
        text: "Thanks for joining, let's review pricing.",
        speaker: { name: "Calls Admin", email: "admin@callsco.test" },
      },
      {
        position: 1,
        startMs: 4000,
        endMs: 9000,
        text: "Our budget is tight this quarter.",
        speaker: { name: "Buyer Bea", email: "bea@buyer.test" },
      },
    ]);
    const rest = (
      await api.gql(
        CallsCallDocument,
        { id: callGid("full"), first: 10, after: first?.segments.pageInfo.endCursor },
        token,
      )
    ).data?.call?.transcript.segments;
    expect(rest?.edges.map((e) => [e.node.position, e.node.speaker?.email ?? null])).toEqual([
      [2, "admin@callsco.test"],
      [3, "cc@buyer.test"],
      [4, null],
    ]);
    expect(rest?.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('gives the whole transcript as "Name: text" lines for the AI assistant', async () => {
    const transcript = (await api.gql(CallsCallDocument, { id: callGid("full") }, token)).data?.call?.transcript;
    expect(transcript?.text).toBe(
      [
        "Calls Admin: Thanks for joining, let's review pricing.",
        "Buyer Bea: Our budget is tight this quarter.",
        "Calls Admin: We can offer an annual discount.",
        "cc@buyer.test: Please send the security questionnaire.",
        "Unknown speaker: Unattributed remark.",
      ].join("\n"),
    );
  });

  it("returns the AI summary and the action items with their owners", async () => {
    const call = (await api.gql(CallsCallDocument, { id: callGid("full") }, token)).data?.call;
    expect(call?.summary).toEqual({
      brief: "Pricing review with Buyer Corp.",
      keyPoints: ["Budget is tight", "Annual discount offered"],
    });
    expect(call?.actionItems).toEqual([
      {
        text: "Send the security questionnaire",
        ownerName: null,
        owner: { name: "Calls Admin", email: "admin@callsco.test" },
      },
      { text: "Confirm the budget", ownerName: "Buyer Bea", owner: { name: "Buyer Bea", email: "bea@buyer.test" } },
      { text: "Loop in legal", ownerName: "Someone Else", owner: null },
    ]);
  });

  it("returns every CRM reference, the linked deal and the link status", async () => {
    const call = (await api.gql(CallsCallDocument, { id: callGid("full") }, token)).data?.call;
    expect(call?.crmRefs).toEqual(
      expect.arrayContaining([
        { system: "SALESFORCE", objectType: "Opportunity", objectId: "006CALL" },
        { system: "SALESFORCE", objectType: "Account", objectId: "001BUYER" },
      ]),
    );
    expect(call?.crmRefs).toHaveLength(2);
    expect(call?.deal).toEqual({ id: dealGid, crmId: "006CALL", name: "Buyer Corp expansion" });
    expect(call?.dealLink).toEqual({ status: "LINKED", reason: null });
  });

  it("says a transcript never arrived within the follow-up window, shows no AI content, and why the call is not on a deal", async () => {
    const call = (await api.gql(CallsCallDocument, { id: callGid("pending") }, token)).data?.call;
    expect(call).toMatchObject({
      provider: "SALESLOFT",
      readiness: "TRANSCRIPT_GAVE_UP",
      transcript: { readiness: "TRANSCRIPT_GAVE_UP", segmentCount: 0, text: "", segments: { edges: [] } },
      summary: null,
      actionItems: [],
      crmRefs: [],
      deal: null,
      dealLink: { status: "NO_CRM_ID", reason: expect.stringContaining("no CRM deal") },
    });
  });
});

describe("calls: the workspace's calls, newest first", () => {
  const list = async (variables: CallsListQueryVariables) => {
    const result = await api.gql(CallsListDocument, { first: 50, ...variables }, token);
    expect(result.errors).toBeUndefined();
    return result.data!.calls;
  };
  const keys = (c: { edges: { node: { providerCallId: string } }[] }) => c.edges.map((e) => e.node.providerCallId);

  it("lists every call newest first, and pages", async () => {
    const all = await list({});
    expect(keys(all)).toEqual(["full", "ranked", "pending", "clari"]);
    expect(all.totalCount).toBe(4);
    const first = await list({ first: 3 });
    expect(keys(first)).toEqual(["full", "ranked", "pending"]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = await list({ first: 3, after: first.pageInfo.endCursor });
    expect(keys(rest)).toEqual(["clari"]);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it("filters by deal", async () => {
    expect(keys(await list({ filter: { dealId: dealGid } }))).toEqual(["full"]);
    expect(keys(await list({ filter: { dealId: otherDealGid } }))).toEqual(["ranked"]);
  });

  it("filters to calls not on a deal", async () => {
    const unlinked = await list({ filter: { unlinked: true } });
    expect(keys(unlinked)).toEqual(["pending", "clari"]);
    expect(unlinked.totalCount).toBe(2);
  });

  it("filters by provider", async () => {
    expect(keys(await list({ filter: { provider: "SALESLOFT" } }))).toEqual(["pending"]);
    expect(keys(await list({ filter: { provider: "CLARI_COPILOT" } }))).toEqual(["clari"]);
    expect(keys(await list({ filter: { provider: "GONG" } }))).toEqual(["full", "ranked"]);
  });

  it("filters by start time: startedAfter inclusive, startedBefore exclusive", async () => {
    expect(keys(await list({ filter: { startedAfter: iso(at(10)) } }))).toEqual(["full", "ranked", "pending"]);
    expect(keys(await list({ filter: { startedBefore: iso(at(10)) } }))).toEqual(["clari"]);
    const window = await list({ filter: { startedAfter: iso(at(10)), startedBefore: iso(at(20)) } });
    expect(keys(window)).toEqual(["ranked", "pending"]);
    expect(window.totalCount).toBe(2);
  });

  it("rejects a time range that ends before it starts with BAD_USER_INPUT", async () => {
    const result = await api.gql(
      CallsListDocument,
      { filter: { startedAfter: iso(at(20)), startedBefore: iso(at(10)) } },
      token,
    );
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.extensions?.field).toBe("filter.startedAfter");
    expect(result.errors?.[0]?.message).toMatch(/startedAfter must be before startedBefore/);
  });

  it("filters by participant email, case-insensitively", async () => {
    expect(keys(await list({ filter: { participantEmail: "BEA@buyer.TEST" } }))).toEqual(["full"]);
    expect(keys(await list({ filter: { participantEmail: " dan@buyer.test " } }))).toEqual(["pending"]);
    expect(keys(await list({ filter: { participantEmail: "nobody@buyer.test" } }))).toEqual([]);
  });

  it("combines filters", async () => {
    expect(
      keys(await list({ filter: { provider: "GONG", participantEmail: "bea@buyer.test", startedAfter: iso(at(16)) } })),
    ).toEqual(["full"]);
  });
});

describe("searchTranscripts: full-text search over the workspace's transcripts", () => {
  const search = async (query: string, extra: { first?: number; dealId?: string } = {}) => {
    const result = await api.gql(CallsSearchDocument, { query, ...extra }, token);
    expect(result.errors).toBeUndefined();
    return result.data!.searchTranscripts;
  };

  it("matches words, including other forms of the same word", async () => {
    const hits = await search("discounts");
    expect(hits.map((h) => h.segment.text)).toEqual(["We can offer an annual discount."]);
  });

  it("matches quoted phrases only in that order", async () => {
    expect((await search('"security questionnaire"')).map((h) => h.segment.text)).toEqual([
      "Please send the security questionnaire.",
    ]);
    expect(await search('"questionnaire security"')).toEqual([]);
  });

  it("honours -exclusions", async () => {
    const texts = (await search("security -questionnaire")).map((h) => h.segment.text);
    expect(texts).toEqual(["Security review is done."]);
  });

  it("ranks better matches first, and wraps the matches in «» in the headline", async () => {
    const hits = await search("pricing");
    expect(hits.map((h) => h.segment.text)).toEqual([
      "Pricing, pricing and more pricing: pricing is the topic.",
      expect.any(String),
      expect.any(String),
    ]);
    const ranks = hits.map((h) => h.rank);
    expect([...ranks].sort((a, b) => b - a)).toEqual(ranks);
    expect(ranks[0]).toBeGreaterThan(ranks[2]!);
    expect(hits[0]?.headline).toContain("«Pricing»");
    expect(hits.every((h) => h.headline.includes("«"))).toBe(true);
  });

  it("returns each hit's segment with its speaker, call and deal", async () => {
    const [hit] = await search("budget");
    expect(hit).toEqual({
      rank: expect.any(Number),
      headline: "Our «budget» is tight this quarter.",
      segment: {
        position: 1,
        text: "Our budget is tight this quarter.",
        speaker: { name: "Buyer Bea" },
        call: { id: callGid("full"), providerCallId: "full", deal: { id: dealGid, name: "Buyer Corp expansion" } },
      },
    });
  });

  it("searches one deal's calls when given dealId", async () => {
    const own = await search("pricing", { dealId: dealGid });
    expect(own.map((h) => h.segment.call.providerCallId)).toEqual(["full"]);
    const other = await search("pricing", { dealId: otherDealGid });
    expect(other.map((h) => h.segment.call.providerCallId)).toEqual(["ranked", "ranked"]);
  });

  it("returns at most `first` hits", async () => {
    expect(await search("pricing", { first: 1 })).toHaveLength(1);
    expect(await search("pricing", { first: 100 })).toHaveLength(3);
  });

  it("rejects a page size outside 1..100 with BAD_USER_INPUT", async () => {
    for (const first of [0, -1, 101]) {
      const result = await api.gql(CallsSearchDocument, { query: "pricing", first }, token);
      expect(errorCodes(result), String(first)).toEqual(["BAD_USER_INPUT"]);
      expect(result.errors?.[0]?.extensions?.field).toBe("first");
    }
  });

  it("rejects an empty query with BAD_USER_INPUT", async () => {
    for (const query of ["", "   "]) {
      const result = await api.gql(CallsSearchDocument, { query }, token);
      expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
      expect(result.errors?.[0]?.extensions?.field).toBe("query");
      expect(result.errors?.[0]?.message).toMatch(/query must be 1 to 500 characters/);
    }
  });

  it("finds nothing, without an error, for words it does not know or only stop words", async () => {
    expect(await search("zyxwv")).toEqual([]);
    expect(await search("the and of")).toEqual([]);
  });
});
