import { afterEach, describe, expect, it } from "vitest";
import type { ProviderUser } from "../../../src/providers/types.js";
import { generateSalesloftDataset } from "../../../src/simulators/salesloft/dataset.js";
import { defaultScenario } from "../../../src/simulators/scenario.js";
import { type Harness, harness, requests } from "./helpers.js";

let h: Harness;
afterEach(async () => h?.close());

describe("Salesloft request economy", () => {
  it("one page costs 1 list + 1 extensive and 1 sentences request per call + one batched lookup per record kind", async () => {
    const scenario = defaultScenario({
      users: [{ email: "sam@acme.test", firstName: "Sam", lastName: "Seller" }],
      callsPerUser: 40,
      segmentsPerCall: 6,
    });
    const dataset = generateSalesloftDataset(scenario, { dialerRatio: 0.3 });
    h = await harness({ dataset });
    const [user] = (await h.client.listUsers()).users as [ProviderUser];
    h.sim.log.clear();
    const page = await h.client.listCallsPage(user, { fromMs: scenario.fromMs, toMs: Date.now() }, null);
    expect(page.calls).toHaveLength(40);
    expect(requests(h.sim, "/v2/conversations")).toBe(1);
    expect(requests(h.sim, /^\/v2\/conversations\/[^/]+\/extensive$/)).toBe(40);
    expect(requests(h.sim, /^\/v2\/transcriptions\/[^/]+\/sentences$/)).toBe(40);
    for (const kind of ["opportunities", "accounts", "people", "call_data_records"])
      expect(requests(h.sim, `/v2/${kind}`)).toBe(1);
    expect(h.sim.log.count()).toBe(1 + 40 + 40 + 4);
    const opp = h.sim.log.find((r) => r.path === "/v2/opportunities")[0];
    const linked = new Set(dataset.conversations.map((c) => c.opportunity?.id).filter(Boolean));
    expect(new Set(opp?.query["ids[]"])).toEqual(linked);
  });

  it("each opportunity/account/person is fetched once per import, not once per page", async () => {
    const scenario = defaultScenario({
      users: [{ email: "sam@acme.test", firstName: "Sam", lastName: "Seller" }],
      callsPerUser: 150,
      segmentsPerCall: 2,
    });
    h = await harness({ dataset: generateSalesloftDataset(scenario, { dialerRatio: 0 }) });
    const [user] = (await h.client.listUsers()).users as [ProviderUser];
    h.sim.log.clear();
    const window = { fromMs: scenario.fromMs, toMs: Date.now() };
    const first = await h.client.listCallsPage(user, window, null);
    await h.client.listCallsPage(user, window, first.nextCursor);
    expect(requests(h.sim, "/v2/conversations")).toBe(2);
    expect(requests(h.sim, "/v2/opportunities")).toBe(1);
    expect(requests(h.sim, "/v2/accounts")).toBe(1);
    expect(requests(h.sim, "/v2/call_data_records")).toBe(0);
  });

  it("a transcript longer than 100 sentences is read in pages of 100", async () => {
    const scenario = defaultScenario({
      users: [{ email: "sam@acme.test", firstName: "Sam", lastName: "Seller" }],
      callsPerUser: 1,
      segmentsPerCall: 230,
    });
    h = await harness({ dataset: generateSalesloftDataset(scenario) });
    const [user] = (await h.client.listUsers()).users as [ProviderUser];
    const page = await h.client.listCallsPage(user, { fromMs: scenario.fromMs, toMs: Date.now() }, null);
    expect(page.calls[0]?.transcript).toHaveLength(230);
    expect(requests(h.sim, /sentences$/)).toBe(3);
  });

  it("fetchCalls re-reads given conversations through one ids[] list request and leaves unknown ids out", async () => {
    const scenario = defaultScenario({ callsPerUser: 3 });
    h = await harness({ dataset: generateSalesloftDataset(scenario) });
    const ids = h.sim.dataset.conversations.slice(0, 5).map((c) => c.id);
    const calls = await h.client.fetchCalls([...ids, "00000000-0000-4000-a000-000000000000"]);
    expect(calls.map((c) => c.providerCallId).sort()).toEqual([...ids].sort());
    expect(requests(h.sim, "/v2/conversations")).toBe(1);
    expect(h.sim.log.find((r) => r.path === "/v2/conversations")[0]?.query["ids[]"]).toHaveLength(6);
  });
});
