/**
 * Rule 9 — bad input is a clear error, never an internal one: NUL bytes in any string argument,
 * LIKE wildcards in text filters, Clari keys no provider issues, and parse or limit errors over
 * graphql-ws (which fail that operation, not the socket).
 */
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type ClariSimulator, startClariSimulator } from "../../src/simulators/clari/server.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";

let api: TestApi;
let sim: ClariSimulator;
let member: string;
let admin: string;
let workspaceId: string;

const gql = (query: string, variables: Record<string, unknown> = {}, token = member) =>
  api.gql(parse(query) as TypedDocumentNode<Record<string, unknown>, Record<string, unknown>>, variables, token);

beforeAll(async () => {
  sim = await startClariSimulator();
  api = await startApi({ CLARI_API_URL: sim.url });
  const ws = await createWorkspace(api.prisma, "Input Co");
  workspaceId = ws.workspace.id;
  member = await api.tokenFor(ws.member);
  admin = await api.tokenFor(ws.admin);
  for (const [crmId, name, ownerEmail] of [
    ["1", "Plain deal", "ab@input.test"],
    ["2", "50% off renewal", "a_b@input.test"],
    ["3", "snake_case rollout", "c@input.test"],
  ] as const)
    await api.prisma.deal.create({ data: { workspaceId, crmProvider: "SALESFORCE", crmId, name, ownerEmail } });
}, 60_000);
afterAll(async () => {
  await api?.close();
  await sim?.close();
});

const NUL = "a\u0000b";

describe("a NUL byte in any string argument answers BAD_USER_INPUT", () => {
  it.each([
    ["search", "query($q: String!) { searchTranscripts(query: $q) { rank } }", { q: NUL }, "member"],
    ["deal text filter", "query($t: String) { deals(filter: { text: $t }) { totalCount } }", { t: NUL }, "member"],
    ["deal stage filter", "query($t: String) { deals(filter: { stage: $t }) { totalCount } }", { t: NUL }, "member"],
    [
      "participant email filter",
      "query($t: String) { calls(filter: { participantEmail: $t }) { totalCount } }",
      { t: NUL },
      "member",
    ],
    ["node id", "query($id: ID!) { node(id: $id) { id } }", { id: NUL }, "member"],
    ["a literal in the document", '{ deals(filter: { text: "x\\u0000y" }) { totalCount } }', {}, "member"],
    [
      "deal name",
      "mutation($d: [DealInput!]!) { upsertDeals(deals: $d) { created } }",
      { d: [{ crmProvider: "SALESFORCE", crmId: "9", name: NUL }] },
      "admin",
    ],
    [
      "purge email",
      "mutation($e: String) { purgeCallData(input: { email: $e }) { callsPurged } }",
      { e: `x${NUL}@input.test` },
      "admin",
    ],
    [
      "Clari key",
      'mutation($k: String) { connectIntegration(provider: CLARI_COPILOT, apiKey: $k, apiSecret: "s3cret-value") { authorizationUrl } }',
      { k: NUL },
      "admin",
    ],
  ])("%s", async (_name, query, variables, who) => {
    const result = await gql(query, variables, who === "admin" ? admin : member);
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.message).toMatch(/NUL/);
  });
});

describe("% and _ in text filters match literally", () => {
  const names = async (filter: Record<string, string>) => {
    const result = await gql("query($f: DealFilter) { deals(filter: $f, first: 100) { edges { node { name } } } }", {
      f: filter,
    });
    expect(result.errors).toBeUndefined();
    const deals = result.data?.deals as { edges: { node: { name: string } }[] };
    return deals.edges.map((e) => e.node.name).sort();
  };

  it("in the deal text search", async () => {
    expect(await names({ text: "%" })).toEqual(["50% off renewal"]);
    expect(await names({ text: "_" })).toEqual(["snake_case rollout"]);
    expect(await names({ text: "0%" })).toEqual(["50% off renewal"]);
    expect(await names({ text: "\\" })).toEqual([]);
  });

  it("in the owner email filter", async () => {
    expect(await names({ ownerEmail: "a_b@input.test" })).toEqual(["50% off renewal"]);
    expect(await names({ ownerEmail: "a_@input.test" })).toEqual([]);
    expect(await names({ ownerEmail: "%" })).toEqual([]);
  });
});

describe("a Clari key or secret of impossible shape is refused before any provider call", () => {
  const CONNECT = `mutation($k: String, $s: String) {
    connectIntegration(provider: CLARI_COPILOT, apiKey: $k, apiSecret: $s) { integration { status } } }`;

  it.each([
    ["a 100,000-character key", { k: "k".repeat(100_000), s: "sim-clari-api-secret" }],
    ["a key with CRLF", { k: "sim-clari\r\nX-Injected: 1", s: "sim-clari-api-secret" }],
    ["a secret with a space", { k: "sim-clari-api-key", s: "sim clari secret" }],
    ["a secret with a control character", { k: "sim-clari-api-key", s: "sim-clari\u0007secret" }],
  ])("%s → INVALID_API_CREDENTIALS", async (_name, variables) => {
    sim.log.clear();
    const result = await gql(CONNECT, variables, admin);
    expect(errorCodes(result)).toEqual(["INVALID_API_CREDENTIALS"]);
    expect(sim.log.count()).toBe(0);
  });

  it("a well-formed wrong key still goes to the provider and is refused as invalid", async () => {
    sim.log.clear();
    const result = await gql(CONNECT, { k: "wrong-key-0001", s: "wrong-secret-0001" }, admin);
    expect(errorCodes(result)).toEqual(["INVALID_API_CREDENTIALS"]);
    expect(sim.log.count()).toBeGreaterThan(0);
  });
});

describe("over graphql-ws a parse or limit error fails that operation only", () => {
  it("the socket stays open and the next operation on it runs", async () => {
    let closed: number | null = null;
    const client = createClient({
      url: api.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${member}` },
      retryAttempts: 0,
      lazy: false,
      on: { closed: (event) => (closed = (event as { code: number }).code) },
    });
    const run = (query: string) =>
      new Promise<{ errors: unknown[]; data?: unknown }>((resolve) => {
        const errors: unknown[] = [];
        let data: unknown;
        client.subscribe(
          { query },
          {
            next: (r) => {
              if (r.errors) errors.push(...r.errors);
              data = r.data;
            },
            error: (e) => {
              errors.push(...(Array.isArray(e) ? e : [e]));
              resolve({ errors, data });
            },
            complete: () => resolve({ errors, data }),
          },
        );
      });
    try {
      const syntax = await run("{ viewer { ");
      expect(syntax.errors).toHaveLength(1);
      expect(JSON.stringify(syntax.errors)).toMatch(/Syntax Error/);
      const tokens = await run(`{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: __typename`).join(" ")} }`);
      expect(JSON.stringify(tokens.errors)).toMatch(/token/i);
      const deep = await run(
        `{ deals { edges { node { calls { edges { node { deal { calls { edges { node { deal { calls { edges { node { id } } } } } } } } } } } } } } }`,
      );
      expect(JSON.stringify(deep.errors)).toMatch(/depth/i);
      const ok = await run("{ viewer { user { email } } }");
      expect(ok.errors).toEqual([]);
      expect(ok.data).toEqual({ viewer: { user: { email: "member@inputco.test" } } });
      expect(closed).toBeNull();
    } finally {
      await client.dispose();
    }
  });
});
