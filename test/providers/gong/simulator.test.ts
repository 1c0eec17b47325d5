import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GONG_CONTENT_SELECTOR } from "../../../src/providers/gong/client.js";
import { generateGongDataset, loadGongDataset } from "../../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../../src/simulators/gong/server.js";
import { defaultScenario } from "../../../src/simulators/scenario.js";
import { type Harness, harness, settledDataset } from "./support.js";

let sim: GongSimulator | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await sim?.close();
  await h?.close();
  sim = undefined;
  h = undefined;
});

async function call(path: string, init: { body?: unknown; auth?: string | null; contentType?: string | null } = {}) {
  if (!sim) throw new Error("no simulator");
  const headers: Record<string, string> = {};
  const auth = init.auth === undefined ? `Bearer ${sim.grantTokens().accessToken}` : init.auth;
  if (auth) headers.authorization = auth;
  if (init.body !== undefined && init.contentType !== null)
    headers["content-type"] = init.contentType ?? "application/json";
  const res = await fetch(`${sim.url}${path}`, {
    method: init.body === undefined ? "GET" : "POST",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("Gong simulator fidelity", () => {
  it("refuses requests without a token, and a POST without Content-Type: application/json (415)", async () => {
    sim = await startGongSimulator({ dataset: settledDataset() });
    expect((await call("/v2/users", { auth: null })).status).toBe(401);
    const r = await call("/v2/calls/extensive", { body: { filter: {} }, contentType: null });
    expect(r).toMatchObject({ status: 415, body: { errors: ["Unsupported Media Type"] } });
  });

  it("a cursor only continues the identical request: other filters → 'failed to verify cursor'", async () => {
    sim = await startGongSimulator({ dataset: settledDataset(), switches: { pageSize: 5 } });
    const first = await call("/v2/calls/extensive", { body: { filter: {} } });
    const cursor = (first.body.records as { cursor: string }).cursor;
    expect(cursor).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const other = await call("/v2/calls/extensive", {
      body: { filter: { fromDateTime: "2000-01-01T00:00:00Z" }, cursor },
    });
    expect(other).toMatchObject({ status: 400, body: { errors: ["failed to verify cursor"] } });
    const next = await call("/v2/calls/extensive", { body: { filter: {}, cursor } });
    expect(next.body.records).toMatchObject({ currentPageNumber: 1, currentPageSize: 5 });
  });

  it("context Basic sends ids without field values; no context selector sends no context at all", async () => {
    sim = await startGongSimulator({ dataset: settledDataset() });
    const basic = await call("/v2/calls/extensive", { body: { filter: {}, contentSelector: { context: "Basic" } } });
    const calls = basic.body.calls as { context: { objects: Record<string, unknown>[] }[] }[];
    const objects = calls.flatMap((c) => c.context.flatMap((x) => x.objects));
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.every((o) => !("fields" in o) && typeof o.objectId === "string")).toBe(true);
    const none = await call("/v2/calls/extensive", { body: { filter: {} } });
    expect((none.body.calls as object[]).every((c) => !("context" in c) && !("parties" in c))).toBe(true);
  });

  it("asking for media URLs needs api:calls:read:media-url", async () => {
    sim = await startGongSimulator({ dataset: settledDataset() });
    const r = await call("/v2/calls/extensive", {
      body: { filter: {}, contentSelector: { exposedFields: { media: true } } },
    });
    expect(r).toMatchObject({
      status: 401,
      body: { errors: ["You don't have permission to use 'api:calls:read:media-url' in your app."] },
    });
  });

  it.each(["spec", "hubspot"] as const)(
    "HubSpot spelling switch '%s': the simulator renames, the client maps both to Deal/Company",
    async (spelling) => {
      const dataset = settledDataset({
        deals: [{ crm: "HUBSPOT", dealId: "9876543210", accountId: "5550001", accountName: "Soylent" }],
        noCrmRatio: 0,
      });
      h = await harness({ dataset, switches: { hubspotObjectTypes: spelling } });
      sim = undefined;
      const raw = await fetch(`${h.sim.url}/v2/calls/extensive`, {
        method: "POST",
        headers: { authorization: `Bearer ${h.sim.grantTokens().accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({ filter: {}, contentSelector: GONG_CONTENT_SELECTOR }),
      }).then((r) => r.json() as Promise<{ calls: { context: { objects: { objectType: string }[] }[] }[] }>);
      const types = new Set(raw.calls.flatMap((c) => c.context.flatMap((x) => x.objects.map((o) => o.objectType))));
      expect([...types].sort()).toEqual(spelling === "spec" ? ["Account", "Opportunity"] : ["Company", "Deal"]);
      const [record] = await h.client.fetchCalls([h.sim.dataset.calls[0]!.metaData.id]);
      expect(record?.crmRefs).toEqual([
        { system: "HUBSPOT", objectType: "Deal", objectId: "9876543210" },
        { system: "HUBSPOT", objectType: "Company", objectId: "5550001" },
      ]);
    },
  );

  it("transcript id spelled 'callid' (switch) is still joined to its call by the client", async () => {
    h = await harness({ switches: { transcriptIdKey: "callid" } });
    const [record] = await h.client.fetchCalls([h.sim.dataset.calls[0]!.metaData.id]);
    expect(record?.readiness).toBe("READY");
    expect(record?.transcript?.length).toBeGreaterThan(0);
  });
});

describe("Gong dataset", () => {
  it("the generator is deterministic per seed and covers the scenario: users, calls per user, calls without CRM ids, an outside user", () => {
    const scenario = defaultScenario({ callsPerUser: 20 });
    const a = generateGongDataset(scenario);
    expect(generateGongDataset(scenario)).toEqual(a);
    expect(a.users.map((u) => u.emailAddress)).toContain("outsider@contractor.test");
    expect(a.calls).toHaveLength(scenario.users.length * 20);
    expect(a.callTranscripts).toHaveLength(a.calls.length);
    const noCrm = a.calls.filter((c) => (c.context ?? []).length === 0).length;
    expect(noCrm).toBeGreaterThan(0);
    expect(noCrm).toBeLessThan(a.calls.length / 2);
    expect(a.calls.every((c) => /^\d{19}$/.test(c.metaData.id))).toBe(true);
  });

  it("the minimal example in FORMAT.md loads and is served", async () => {
    const md = readFileSync(new URL("../../../src/simulators/gong/FORMAT.md", import.meta.url), "utf8");
    const example = md.split("## Minimal example")[1]?.match(/```json\n([\s\S]*?)```/)?.[1];
    const path = join(mkdtempSync(join(tmpdir(), "gong-ds-")), "dataset.json");
    writeFileSync(path, example ?? "");
    const dataset = await loadGongDataset(path);
    h = await harness({ dataset });
    const [record] = await h.client.fetchCalls(["4570250816631531513"]);
    expect(record).toMatchObject({
      readiness: "READY",
      crmRefs: [{ system: "SALESFORCE", objectType: "Opportunity", objectId: "0065g00000XyZabAAB" }],
      summary: { brief: "Acme wants to expand to two more teams.", keyPoints: ["Security review required"] },
    });
    expect(record?.transcript).toHaveLength(2);
  });

  it("a file that is not a Gong dataset is refused with the reason", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "gong-ds-")), "bad.json");
    writeFileSync(path, JSON.stringify({ workspaces: [], users: [], calls: [{}], callTranscripts: [] }));
    await expect(loadGongDataset(path)).rejects.toThrow(/Invalid Gong dataset/);
  });
});
