import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";

let api: TestApi;
let base: string;

beforeAll(async () => {
  api = await startApi();
  base = new URL("/", api.url).toString().replace(/\/$/, "");
});
afterAll(() => api.close());

describe("the HTTP server beside GraphQL", () => {
  it("answers liveness on /health and readiness (database reachable) on /ready", async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("exposes Prometheus metrics of the GraphQL operations on /metrics", async () => {
    const { member } = await createWorkspace(api.prisma, "Metrics Co");
    await fetch(api.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await api.tokenFor(member)}` },
      body: JSON.stringify({
        query: "query MetricsProbe { viewer { user { email } } }",
        operationName: "MetricsProbe",
      }),
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/graphql_envelop_request_duration_bucket\{[^}]*operationName="MetricsProbe"/);
    expect(metrics).toContain("graphql_yoga_http_duration");
  });

  it("serves subscriptions over SSE, authorised like queries", async () => {
    const owner = await createWorkspace(api.prisma, "Sse Owner");
    const other = await createWorkspace(api.prisma, "Sse Other");
    const integration = await api.prisma.integration.create({
      data: { workspaceId: owner.workspace.id, provider: "GONG", status: "CONNECTED", wizardStep: "COMPLETE" },
    });
    const id = Buffer.from(`Integration:${integration.id}`).toString("base64");
    const query = `subscription($id: ID!) { integrationEvents(integrationId: $id) { type integration { status } } }`;
    const open = async (token: string) => {
      const controller = new AbortController();
      const res = await fetch(api.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables: { id } }),
        signal: controller.signal,
      });
      return { res, reader: res.body!.getReader(), stop: () => controller.abort() };
    };
    const read = async (reader: ReadableStreamDefaultReader<Uint8Array>, until: RegExp) => {
      let text = "";
      while (!until.test(text)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += new TextDecoder().decode(chunk.value);
      }
      return text;
    };

    const stranger = await open(await api.tokenFor(other.admin));
    expect(await read(stranger.reader, /NOT_FOUND/)).toContain('"code":"NOT_FOUND"');
    stranger.stop();

    const mine = await open(await api.tokenFor(owner.member));
    expect(mine.res.headers.get("content-type")).toContain("text/event-stream");
    await new Promise((r) => setTimeout(r, 200));
    api.runtime.services.pubsub.publish("integration", integration.id, {
      type: "STATUS_CHANGED",
      integrationId: integration.id,
      at: Date.now(),
    });
    expect(await read(mine.reader, /STATUS_CHANGED/)).toContain('"integration":{"status":"CONNECTED"}');
    mine.stop();
  });

  it("answers BAD_USER_INPUT for an unreadable cursor on a nested connection, and never an internal error", async () => {
    const { workspace, member } = await createWorkspace(api.prisma, "Cursor Co");
    const deal = await api.prisma.deal.create({
      data: { workspaceId: workspace.id, crmProvider: "SALESFORCE", crmId: "006CURSOR", name: "Cursor deal" },
    });
    const token = await api.tokenFor(member);
    for (const after of ["garbage", Buffer.from("GPC:S:not-a-uuid").toString("base64")]) {
      const res = await fetch(api.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: `query($id: ID!, $after: String) { deal(id: $id) { calls(first: 5, after: $after) { totalCount } } }`,
          variables: { id: Buffer.from(`Deal:${deal.id}`).toString("base64"), after },
        }),
      });
      const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
      const codes = body.errors?.map((e) => e.extensions?.code) ?? [];
      if (after === "garbage") expect(codes).toEqual(["BAD_USER_INPUT"]);
      else expect(codes).not.toContain("INTERNAL_SERVER_ERROR");
    }
  });
});
