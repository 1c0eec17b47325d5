/**
 * Rule 5 — every list argument is bounded. Page sizes, `nodes(ids)`, input arrays and every other
 * list argument have a documented maximum and answer BAD_USER_INPUT beyond it, over HTTP and
 * graphql-ws alike; the cost limit counts the sizes an operation asks for, variables included.
 */
import { randomUUID } from "node:crypto";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import {
  type GraphQLArgument,
  type GraphQLInputField,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  isObjectType,
  parse,
} from "graphql";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { schema } from "../../src/graphql/schema/index.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";

let api: TestApi;
let member: string;
let admin: string;

const gql = (query: string, variables: Record<string, unknown> = {}, token = member) =>
  api.gql(parse(query) as TypedDocumentNode<Record<string, unknown>, Record<string, unknown>>, variables, token);
const nodeId = () => Buffer.from(`Deal:${randomUUID()}`).toString("base64");

beforeAll(async () => {
  api = await startApi();
  const ws = await createWorkspace(api.prisma, "Bounds Co");
  member = await api.tokenFor(ws.member);
  admin = await api.tokenFor(ws.admin);
}, 60_000);
afterAll(() => api.close());

describe("every list argument in the schema has a documented maximum", () => {
  /** Arguments and input fields that take a list or a page size. */
  function boundedInputs() {
    const found: { where: string; input: GraphQLArgument | GraphQLInputField }[] = [];
    const seen = new Set<string>();
    const visitInput = (where: string, input: GraphQLArgument | GraphQLInputField) => {
      if (isListType(getNullableType(input.type)) || input.name === "first" || input.name === "last")
        found.push({ where, input });
      const named = getNamedType(input.type);
      if (isInputObjectType(named) && !seen.has(named.name)) {
        seen.add(named.name);
        for (const field of Object.values(named.getFields())) visitInput(`${named.name}.${field.name}`, field);
      }
    };
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__")) continue;
      for (const field of Object.values(type.getFields()))
        for (const arg of field.args) visitInput(`${type.name}.${field.name}(${arg.name})`, arg);
    }
    return found;
  }

  it("states it in the description and enforces the same number", () => {
    const inputs = boundedInputs();
    expect(inputs.map((i) => i.where)).toEqual(
      expect.arrayContaining(["Query.nodes(ids)", "Mutation.upsertDeals(deals)", "Query.deals(first)"]),
    );
    for (const { where, input } of inputs) {
      const max = input.extensions?.maxItems;
      expect(typeof max, where).toBe("number");
      expect(input.description, where).toContain(`At most ${max}.`);
    }
  });
});

describe("beyond the maximum: BAD_USER_INPUT", () => {
  it.each([
    ["deals first", "query($n: Int) { deals(first: $n) { totalCount } }", { n: 101 }],
    ["deals last", "query($n: Int) { deals(last: $n) { totalCount } }", { n: 101 }],
    ["calls first, as a literal", "{ calls(first: 1000) { totalCount } }", {}],
    [
      "a nested connection",
      "query($n: Int) { deals(first: 1) { edges { node { calls(first: $n) { totalCount } } } } }",
      { n: 101 },
    ],
    ["search hits", 'query($n: Int) { searchTranscripts(query: "x", first: $n) { rank } }', { n: 101 }],
    ["nodes(ids)", "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids: Array.from({ length: 101 }, nodeId) }],
    [
      "nodes(ids) with 20,000 ids",
      "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
      { ids: Array.from({ length: 20_000 }, nodeId) },
    ],
  ])("%s", async (_name, query, variables) => {
    api.resetQueries();
    const result = await gql(query, variables);
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.message).toMatch(/at most \d+/);
    // Refused before anything reached the database (beyond the viewer's own lookup).
    expect(api.queries.filter((q) => !/"User"/.test(q))).toEqual([]);
  });

  it("upsertDeals with more than 500 deals", async () => {
    const deals = Array.from({ length: 501 }, (_, i) => ({
      crmProvider: "SALESFORCE",
      crmId: `006B${i}`,
      name: `D${i}`,
    }));
    const result = await gql(
      "mutation($deals: [DealInput!]!) { upsertDeals(deals: $deals) { created } }",
      { deals },
      admin,
    );
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(await api.prisma.deal.count({ where: { crmId: { startsWith: "006B" } } })).toBe(0);
  });

  it("at the maximum the operation runs", async () => {
    expect((await gql("query($n: Int) { deals(first: $n) { totalCount } }", { n: 100 })).errors).toBeUndefined();
    const ids = Array.from({ length: 100 }, nodeId);
    const nodes = await gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids });
    expect(nodes.errors).toBeUndefined();
    expect(nodes.data?.nodes).toEqual(ids.map(() => null));
  });

  it("over graphql-ws too, failing that operation only", async () => {
    const client = createClient({
      url: api.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${member}` },
      retryAttempts: 0,
    });
    const run = (query: string, variables: Record<string, unknown>) =>
      new Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>((resolve, reject) => {
        let last: { errors?: readonly { extensions?: Record<string, unknown> }[] } = {};
        client.subscribe(
          { query, variables },
          { next: (r) => (last = r), error: reject, complete: () => resolve(last) },
        );
      });
    try {
      const tooMany = await run("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {
        ids: Array.from({ length: 101 }, nodeId),
      });
      expect(tooMany.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
      expect((await run("{ viewer { user { email } } }", {})).errors).toBeUndefined();
    } finally {
      await client.dispose();
    }
  });
});

describe("the cost limit counts list arguments", () => {
  const NESTED = `query($deals: Int, $calls: Int, $segments: Int) {
    deals(first: $deals) { edges { node { calls(first: $calls) { edges { node {
      participants { name } transcript { segments(first: $segments) { edges { node { text } } } } } } } } } } }`;

  it("100 × 100 × 100 through variables is refused before it runs; 5 × 5 × 5 runs", async () => {
    api.resetQueries();
    const big = await gql(NESTED, { deals: 100, calls: 100, segments: 100 });
    expect(errorCodes(big)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(big.errors?.[0]?.message).toMatch(/cost limit of \d+ exceeded/i);
    expect(api.queries.filter((q) => /"Deal"/.test(q))).toEqual([]);
    expect((await gql(NESTED, { deals: 5, calls: 5, segments: 5 })).errors).toBeUndefined();
  });

  it("the same document is judged for each request's variables, in any order, and refused every time", async () => {
    const small = { deals: 5, calls: 5, segments: 5 };
    const big = { deals: 100, calls: 100, segments: 100 };
    // A document of its own (the parser cache keys by text): its first answer is "within the limit".
    const document = NESTED.replace("query(", "query JudgedPerRequest(");
    for (const variables of [small, big, small, big, big]) {
      const result = await gql(document, variables);
      if (variables === small) expect(result.errors).toBeUndefined();
      else {
        expect(errorCodes(result)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
        expect(result.errors?.[0]?.message).toMatch(/cost limit of \d+ exceeded/i);
      }
    }
  });

  it("a list argument multiplies what it selects: nodes(ids) of 100 costs 100 times one", async () => {
    const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Deal { calls(first: 20) { edges { node {
      participants { name } transcript { segments(first: 5) { edges { node { text } } } } } } } } } }`;
    expect((await gql(NODES, { ids: [nodeId()] })).errors).toBeUndefined();
    const many = await gql(NODES, { ids: Array.from({ length: 100 }, nodeId) });
    expect(errorCodes(many)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(many.errors?.[0]?.message).toMatch(/cost limit of \d+ exceeded/i);
  });

  it("a connection without a page size counts as its default page, not as one item", async () => {
    const query = (n: string) =>
      `{ deals${n} { edges { node { calls${n} { edges { node { transcript { segments${n} { edges { node { text speaker { name } } } } } } } } } } } }`;
    // 20 × 20 × 20 by default is over the limit just as asking for it is.
    expect(errorCodes(await gql(query("")))).toEqual(errorCodes(await gql(query("(first: 20)"))));
    expect(errorCodes(await gql(query("")))).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
  });
});
