import { afterEach, describe, expect, it } from "vitest";
import type { CallRecord, ProviderUser } from "../../../src/providers/types.js";
import { generateSalesloftDataset, salesloftTime } from "../../../src/simulators/salesloft/dataset.js";
import { defaultScenario } from "../../../src/simulators/scenario.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness;
afterEach(async () => h?.close());

const oneUser = (callsPerUser: number) =>
  defaultScenario({
    users: [{ email: "sam@acme.test", firstName: "Sam", lastName: "Seller" }],
    callsPerUser,
    segmentsPerCall: 2,
  });

async function drain(client: Harness["client"], user: ProviderUser, window: { fromMs: number; toMs: number }) {
  const calls: CallRecord[] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | null = null;
  do {
    const page = await client.listCallsPage(user, window, cursor);
    calls.push(...page.calls);
    cursor = page.nextCursor;
    cursors.push(cursor);
  } while (cursor);
  return { calls, cursors };
}

describe("Salesloft pagination", () => {
  it("listUsers walks every page of 100 until next_page is null", async () => {
    const scenario = defaultScenario({
      users: Array.from({ length: 230 }, (_, i) => ({ email: `u${i}@acme.test`, firstName: "U", lastName: `${i}` })),
      callsPerUser: 0,
    });
    h = await harness({ dataset: generateSalesloftDataset(scenario) });
    const users = (await h.client.listUsers()).users;
    expect(users).toHaveLength(230);
    expect(h.sim.log.find((r) => r.path === "/v2/users").map((r) => r.query.page?.[0])).toEqual(["1", "2", "3"]);
    expect(h.sim.log.find((r) => r.path === "/v2/users").every((r) => r.query.per_page?.[0] === "100")).toBe(true);
  });

  it("conversations are read 100 per page in created_at order, keyset-style, never past page 1", async () => {
    const scenario = oneUser(230);
    h = await harness({ dataset: generateSalesloftDataset(scenario) });
    const [user] = (await h.client.listUsers()).users;
    const { calls, cursors } = await drain(h.client, user as ProviderUser, {
      fromMs: scenario.fromMs,
      toMs: Date.now(),
    });
    expect(calls).toHaveLength(230);
    expect(new Set(calls.map((c) => c.providerCallId)).size).toBe(230);
    expect(cursors.at(-1)).toBeNull();
    const lists = h.sim.log.find((r) => r.path === "/v2/conversations");
    expect(lists).toHaveLength(3);
    for (const r of lists) {
      expect(r.query).toMatchObject({ "user_guids[]": [user?.providerUserId], page: ["1"], per_page: ["100"] });
      expect(r.query).toMatchObject({ sort_by: ["created_at"], sort_direction: ["ASC"] });
    }
  });

  it("conversations sharing one created_at instant across a page boundary are neither lost nor repeated", async () => {
    const scenario = oneUser(150);
    const dataset = generateSalesloftDataset(scenario);
    const instant = salesloftTime(scenario.fromMs + 86_400_000);
    for (const c of dataset.conversations.slice(40, 160)) c.created_at = instant;
    h = await harness({ dataset });
    const [user] = (await h.client.listUsers()).users as [ProviderUser];
    const { calls } = await drain(h.client, user, { fromMs: scenario.fromMs, toMs: Date.now() });
    expect(calls.map((c) => c.providerCallId).sort()).toEqual(dataset.conversations.map((c) => c.id).sort());
  });

  it("windows select by created_at: consecutive windows partition the conversations exactly", async () => {
    const scenario = oneUser(60);
    h = await harness({ dataset: generateSalesloftDataset(scenario) });
    const [user] = (await h.client.listUsers()).users as [ProviderUser];
    const mid = Math.floor((scenario.fromMs + scenario.toMs) / 2);
    const a = await drain(h.client, user, { fromMs: scenario.fromMs, toMs: mid });
    const b = await drain(h.client, user, { fromMs: mid, toMs: Date.now() });
    const ids = [...a.calls, ...b.calls].map((c) => c.providerCallId);
    expect(a.calls.length).toBeGreaterThan(0);
    expect(b.calls.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(60);
    expect(ids).toHaveLength(60);
  });

  it("an unreadable or foreign-version cursor restarts the window (imports are idempotent)", async () => {
    const scenario = oneUser(5);
    h = await harness({ dataset: generateSalesloftDataset(scenario) });
    const [user] = (await h.client.listUsers()).users as [ProviderUser];
    const window = { fromMs: scenario.fromMs, toMs: Date.now() };
    for (const bad of ["not json", JSON.stringify({ v: 0, offset: 3 })]) {
      const page = await h.client.listCallsPage(user, window, bad);
      expect(page.calls).toHaveLength(5);
    }
  });
});
