/**
 * Errors are part of the contract: every error a client can expect carries a stable
 * `extensions.code`; anything unexpected is masked (no stack, no internal message); over-deep and
 * over-costly documents are rejected before they run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ErrorsCallSummaryDocument,
  ErrorsCallsDocument,
  ErrorsDealsDocument,
  ErrorsNodeDocument,
  ErrorsSearchDocument,
  ErrorsTooCostlyDocument,
  ErrorsTooDeepDocument,
  ErrorsUpsertDocument,
} from "../generated/graphql.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { callRecord, createWorkspace, globalId, storeTestCalls } from "../support/fixtures.js";

let api: TestApi;
let member: string;
let admin: string;
let callGid: string;

/** A request the typed documents cannot express (invalid documents, wrong variable types). */
async function raw(query: string, variables: Record<string, unknown> = {}, token: string | null = member) {
  const res = await api.request(query, variables, token);
  const body = JSON.parse(res.body) as {
    data?: unknown;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
  return { status: res.status, body, codes: (body.errors ?? []).map((e) => e.extensions?.code) };
}

beforeAll(async () => {
  api = await startApi();
  const fixture = await createWorkspace(api.prisma, "Errors Co");
  member = await api.tokenFor(fixture.member);
  admin = await api.tokenFor(fixture.admin);
  const ids = await storeTestCalls(api.prisma, fixture.workspace.id, [
    callRecord("c1", { summary: { brief: "A brief", keyPoints: [] } }),
  ]);
  callGid = globalId("Call", ids.c1!);
});
afterAll(() => api.close());

describe("unexpected errors are masked", () => {
  it("answers INTERNAL_SERVER_ERROR with a generic message, no stack and nothing about the database", async () => {
    // Break the schema under the running server, so reading a summary fails inside Prisma.
    await api.prisma.$executeRawUnsafe(`ALTER TABLE "CallSummary" RENAME COLUMN "brief" TO "brief_renamed_by_test"`);
    try {
      const res = await fetch(api.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${member}` },
        body: JSON.stringify({
          query: "query($id: ID!) { call(id: $id) { summary { brief } } }",
          variables: { id: callGid },
        }),
      });
      const text = await res.text();
      const body = JSON.parse(text) as { errors: { message: string; extensions?: Record<string, unknown> }[] };
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]?.message).toBe("Unexpected error.");
      expect(body.errors[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      expect(Object.keys(body.errors[0]?.extensions ?? {})).not.toContain("originalError");
      expect(text).not.toMatch(/brief_renamed|does not exist|prisma|postgres|stack|\.ts:\d+|at \w+ \(/i);
    } finally {
      await api.prisma.$executeRawUnsafe(`ALTER TABLE "CallSummary" RENAME COLUMN "brief_renamed_by_test" TO "brief"`);
    }
    const healthy = await api.gql(ErrorsCallSummaryDocument, { id: callGid }, member);
    expect(healthy).toEqual({ data: { call: { id: callGid, summary: { brief: "A brief" } } } });
  });
});

describe("documents that are too deep or too costly are refused before they run", () => {
  it("rejects a query deeper than the depth limit with GRAPHQL_VALIDATION_FAILED", async () => {
    api.resetQueries();
    const result = await api.gql(ErrorsTooDeepDocument, {}, member);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.message).toMatch(/depth limit of \d+ exceeded/i);
    expect(errorCodes(result)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(api.queries.filter((q) => /"Deal"/.test(q))).toEqual([]);
  });

  it("rejects a query whose estimated cost is over the limit with GRAPHQL_VALIDATION_FAILED", async () => {
    api.resetQueries();
    const result = await api.gql(ErrorsTooCostlyDocument, {}, member);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.message).toMatch(/cost limit of \d+ exceeded/i);
    expect(errorCodes(result)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(api.queries.filter((q) => /"Deal"/.test(q))).toEqual([]);
  });

  it("rejects more than 30 aliases", async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: viewer { __typename }`).join(" ");
    const { codes, body } = await raw(`{ ${aliases} }`);
    expect(body.errors?.[0]?.message).toMatch(/aliases/i);
    expect(codes).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
  });
});

describe("invalid documents", () => {
  it("answers GRAPHQL_VALIDATION_FAILED with status 400 for an unknown field", async () => {
    const { status, codes, body } = await raw("{ deals { edges { node { nope } } } }");
    expect(status).toBe(400);
    expect(codes).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(body.errors?.[0]?.message).toMatch(/Cannot query field "nope" on type "Deal"/);
  });

  it("answers GRAPHQL_PARSE_FAILED with status 400 for a syntax error", async () => {
    const { status, codes } = await raw("{ viewer { user { email } }");
    expect(status).toBe(400);
    expect(codes).toEqual(["GRAPHQL_PARSE_FAILED"]);
  });
});

describe("every expected error has extensions.code", () => {
  const cases: [string, () => Promise<unknown[]>, string][] = [
    ["no token", async () => errorCodes(await api.gql(ErrorsDealsDocument, {}, null)), "UNAUTHENTICATED"],
    [
      "a member managing deals",
      async () => errorCodes(await api.gql(ErrorsUpsertDocument, { deals: [] }, member)),
      "FORBIDDEN",
    ],
    [
      "an invalid deal",
      async () =>
        errorCodes(
          await api.gql(ErrorsUpsertDocument, { deals: [{ crmProvider: "SALESFORCE", crmId: "x", name: "" }] }, admin),
        ),
      "BAD_USER_INPUT",
    ],
    [
      "an inverted time range",
      async () =>
        errorCodes(
          await api.gql(
            ErrorsCallsDocument,
            { filter: { startedAfter: "2026-02-01T00:00:00Z", startedBefore: "2026-01-01T00:00:00Z" } },
            member,
          ),
        ),
      "BAD_USER_INPUT",
    ],
    [
      "an empty search",
      async () => errorCodes(await api.gql(ErrorsSearchDocument, { query: " " }, member)),
      "BAD_USER_INPUT",
    ],
    [
      "a search page size over 100",
      async () => errorCodes(await api.gql(ErrorsSearchDocument, { query: "x", first: 500 }, member)),
      "BAD_USER_INPUT",
    ],
    [
      "a negative page size",
      async () => errorCodes(await api.gql(ErrorsDealsDocument, { first: -1 }, member)),
      "BAD_USER_INPUT",
    ],
    [
      "an unreadable cursor",
      async () => errorCodes(await api.gql(ErrorsDealsDocument, { after: "not-a-cursor" }, member)),
      "BAD_USER_INPUT",
    ],
    [
      "a readable cursor naming no row id",
      async () =>
        errorCodes(
          await api.gql(ErrorsDealsDocument, { after: Buffer.from("GPC:S:not-a-uuid").toString("base64") }, member),
        ),
      "BAD_USER_INPUT",
    ],
    [
      "a variable of the wrong type",
      async () => (await raw("query($first: Int) { deals(first: $first) { totalCount } }", { first: "ten" })).codes,
      "BAD_USER_INPUT",
    ],
    [
      "an invalid DateTime variable",
      async () => errorCodes(await api.gql(ErrorsCallsDocument, { filter: { startedAfter: "yesterday" } }, member)),
      "BAD_USER_INPUT",
    ],
    [
      "a missing required variable",
      async () => (await raw("query($id: ID!) { node(id: $id) { id } }", {})).codes,
      "BAD_USER_INPUT",
    ],
  ];

  it.each(cases.map(([name, run, code]) => ({ name, run, code })))("$name → $code", async ({ run, code }) => {
    expect(await run()).toEqual([code]);
  });

  it("a foreign or unknown id is not an error at all", async () => {
    expect(
      await api.gql(ErrorsNodeDocument, { id: globalId("Deal", "00000000-0000-7000-8000-000000000000") }, member),
    ).toEqual({
      data: { node: null },
    });
  });
});
