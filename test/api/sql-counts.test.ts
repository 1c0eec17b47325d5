import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HotDealListDocument, HotDealPageDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { callRecord, createIntegration, storeTestCalls } from "../support/calls.js";
import { createWorkspace } from "../support/fixtures.js";

/**
 * The deal page and the deal list issue a bounded number of SQL statements whatever the data
 * size: the counts are pinned, and must be the same for a workspace 10× larger. They are of a
 * viewer's next request (the viewer is cached, src/auth/viewers.ts). Both ways of answering are
 * held to it: the hot reads (src/graphql/hot-reads.ts) and the generic path they fall back to.
 */
let api: TestApi;
let hotApi: TestApi;
let genericApi: TestApi;

async function workspaceWith(name: string, deals: number, callsPerDeal: number) {
  const { workspace, member } = await createWorkspace(api.prisma, name);
  const integration = await createIntegration(api.prisma, workspace.id);
  let n = 0;
  const dealIds: string[] = [];
  for (let d = 0; d < deals; d++) {
    const crmId = `006${name.length}${String(d).padStart(12, "0")}`;
    const deal = await api.prisma.deal.create({
      data: { workspaceId: workspace.id, crmProvider: "SALESFORCE", crmId, name: `${name} deal ${d}` },
    });
    dealIds.push(deal.id);
    const records = Array.from({ length: callsPerDeal }, () =>
      callRecord(++n, { crmRefs: [{ system: "SALESFORCE", objectType: "Opportunity", objectId: crmId }] }),
    );
    await storeTestCalls(api.prisma, workspace.id, integration.id, records);
  }
  return { token: await api.tokenFor(member), dealIds };
}

async function statementsFor<T>(run: () => Promise<T>): Promise<{ result: T; statements: number }> {
  api.resetQueries();
  const result = await run();
  return { result, statements: api.queries.length };
}

/** Statements of a request by a viewer the API has seen before (test/api/viewer-cache.test.ts: the first costs one more). */
async function warmStatementsFor<T>(run: () => Promise<T>): Promise<{ result: T; statements: number }> {
  await run();
  return statementsFor(run);
}

let small: Awaited<ReturnType<typeof workspaceWith>>;
let large: Awaited<ReturnType<typeof workspaceWith>>;

beforeAll(async () => {
  hotApi = await startApi();
  genericApi = await startApi({ GRAPHQL_HOT_READS: "false" }, { database: hotApi.database });
  api = hotApi;
  small = await workspaceWith("Small", 6, 3);
  large = await workspaceWith("Large", 60, 30);
}, 120_000);
afterAll(async () => {
  await genericApi.close();
  await hotApi.close();
});

const PATHS = [
  ["hot reads", () => hotApi],
  ["generic path", () => genericApi],
] as const;

describe.each(PATHS)("%s", (_path, server) => {
  beforeAll(() => {
    api = server();
  });
  describe("no N+1 on the hot queries", () => {
    it("loads a deal page (20 calls with participants, summary, action items) in a fixed number of statements", async () => {
      const s = await warmStatementsFor(() =>
        api.gql(HotDealPageDocument, { id: globalId("Deal", small.dealIds[0]!) }, small.token),
      );
      const l = await warmStatementsFor(() =>
        api.gql(HotDealPageDocument, { id: globalId("Deal", large.dealIds[0]!) }, large.token),
      );
      expect(s.result.errors).toBeUndefined();
      expect(l.result.data?.deal?.calls.edges).toHaveLength(20);
      expect(l.result.data?.deal?.calls.edges[0]?.node.actionItems[0]?.owner?.name).toBe("Hana Host");
      expect(l.statements).toBe(s.statements);
      expect({ dealPage: l.statements }).toMatchInlineSnapshot(`
        {
          "dealPage": 1,
        }
      `);
    });

    it("loads 50 deals with their 5 latest calls and participants in a fixed number of statements", async () => {
      const s = await warmStatementsFor(() => api.gql(HotDealListDocument, {}, small.token));
      const l = await warmStatementsFor(() => api.gql(HotDealListDocument, {}, large.token));
      expect(s.result.errors).toBeUndefined();
      expect(s.result.data?.deals.edges).toHaveLength(6);
      expect(l.result.data?.deals.edges).toHaveLength(50);
      expect(l.result.data?.deals.edges.every((e) => e.node.calls.edges.length === 5)).toBe(true);
      expect(l.statements).toBe(s.statements);
      expect({ dealList: l.statements }).toMatchInlineSnapshot(`
        {
          "dealList": 1,
        }
      `);
    });
  });

  describe("the hot queries read only the columns they answer", () => {
    // Prisma object types are in select mode (src/graphql/schema/*.ts): a Call row read for the
    // deal list costs its id, title and start time, not its content hash, deadlines or purge fields.
    it.each<[string, () => Promise<{ errors?: unknown }>]>([
      ["deal page", () => api.gql(HotDealPageDocument, { id: globalId("Deal", large.dealIds[0]!) }, large.token)],
      ["deal list", () => api.gql(HotDealListDocument, {}, large.token)],
    ])("%s", async (_name, run) => {
      const { result } = await warmStatementsFor(run);
      expect(result.errors).toBeUndefined();
      const sql = api.queries.join("\n");
      for (const column of [
        "contentHash",
        "transcriptDeadline",
        "providerCallId",
        "purgeReason",
        "speakerId",
        "createdAt",
      ])
        expect(sql).not.toContain(`"${column}"`);
    });
  });

  describe("a deal's calls are counted only when totalCount is asked", () => {
    it("counts on the deal page (totalCount) and not on the deal list (none)", async () => {
      await warmStatementsFor(() =>
        api.gql(HotDealPageDocument, { id: globalId("Deal", large.dealIds[0]!) }, large.token),
      );
      expect(api.queries.join("\n")).toMatch(/COUNT\(/);
      const list = await warmStatementsFor(() => api.gql(HotDealListDocument, {}, large.token));
      expect(list.result.errors).toBeUndefined();
      expect(api.queries.join("\n")).not.toMatch(/COUNT\(/);
    });
  });
});

function globalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`).toString("base64");
}
