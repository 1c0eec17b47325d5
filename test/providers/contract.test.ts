/**
 * The provider contract (contract.ts) run against each provider's client and simulator, and
 * beside it the paging rules that only one provider has.
 */
import { describe, expect, it } from "vitest";
import type { GongCallData } from "../../src/providers/gong/schemas.js";
import { PAGINATION_MAX_REPEATS } from "../../src/providers/paging.js";
import type { ProviderUser } from "../../src/providers/types.js";
import { generateClariDataset } from "../../src/simulators/clari/dataset.js";
import { generateSalesloftDataset } from "../../src/simulators/salesloft/dataset.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { simulator as clariSimulator, clientFor, requestsTo } from "./clari/support.js";
import { type ContractProvider, listAll, providerContract } from "./contract.js";
import { harness as gongHarness, isExtensive, settledDataset } from "./gong/support.js";
import { requests, harness as salesloftHarness } from "./salesloft/helpers.js";

const DAY = 86_400_000;
const byEmail = (email: string) => (users: ProviderUser[]) => {
  const user = users.find((u) => u.email === email);
  if (!user) throw new Error(`no provider user ${email}`);
  return user;
};
const retryAfter = { "retry-after": "1" };
let seq = 0;
const nineteenDigits = () => `9${String(Date.now()).padStart(13, "0")}${String(++seq).padStart(5, "0")}`;

const gong: ContractProvider = {
  name: "Gong",
  async start() {
    const h = await gongHarness({ dataset: settledDataset(), switches: { pageSize: 3 } });
    return {
      client: h.client,
      window: { fromMs: Date.now() - 40 * DAY, toMs: Date.now() },
      user: byEmail("ada@acme.test"),
      expectedCallIds: (user) =>
        h.sim.dataset.calls.filter((c) => c.metaData.primaryUserId === user.providerUserId).map((c) => c.metaData.id),
      addOddCall(user) {
        const odd: GongCallData = structuredClone(
          h.sim.dataset.calls.find((c) => c.metaData.primaryUserId === user.providerUserId)!,
        );
        odd.metaData.id = nineteenDigits();
        odd.parties = [{ name: 7 as unknown as string }]; // Gong promises a string
        h.sim.dataset.calls.push(odd);
        return odd.metaData.id;
      },
      addOddUser() {
        const id = nineteenDigits();
        h.sim.dataset.users.push({ id, emailAddress: 42 as unknown as string });
        return id;
      },
      repeatPages: () => {
        h.sim.switches.repeatCursor = true;
      },
      rateLimitNext: () => h.sim.behaviours.failNext(1, 429, "/v2/calls/extensive", retryAfter),
      failListing: (n, status) => h.sim.behaviours.failNext(n, status, "/v2/calls/extensive"),
      hangNext: () => {
        h.sim.behaviours.hangNext = 1;
      },
      listRequests: () => h.sim.log.count(isExtensive),
      requests: () => h.sim.log.count(),
      newClient: (options) => h.newClient(options),
      maxCursorLength: 1000,
      close: () => h.close(),
    };
  },
};

const salesloft: ContractProvider = {
  name: "Salesloft",
  // Salesloft's pages are 100 conversations: only the tests about pages get more than one.
  async start({ manyPages = false } = {}) {
    const scenario = defaultScenario({
      users: [
        { email: "sam@acme.test", firstName: "Sam", lastName: "Seller" },
        { email: "max@acme.test", firstName: "Max", lastName: "Member" },
      ],
      callsPerUser: manyPages ? 104 : 6,
      segmentsPerCall: 2,
    });
    const h = await salesloftHarness({ dataset: generateSalesloftDataset(scenario) });
    return {
      client: h.client,
      window: { fromMs: scenario.fromMs - DAY, toMs: Date.now() + DAY },
      user: byEmail("sam@acme.test"),
      expectedCallIds: (user) =>
        h.sim.dataset.conversations.filter((c) => c.user_guid === user.providerUserId).map((c) => c.id),
      addOddCall(user) {
        const odd = structuredClone(h.sim.dataset.conversations.find((c) => c.user_guid === user.providerUserId)!);
        odd.id = `odd-${++seq}`;
        odd.title = 42 as unknown as string; // Salesloft promises a string
        h.sim.dataset.conversations.push(odd);
        return odd.id;
      },
      addOddUser() {
        h.sim.dataset.users.push({ id: 777_000 + ++seq, email: "odd@acme.test" } as never); // no guid
        return String(777_000 + seq);
      },
      repeatPages: () => {
        h.sim.switches.repeatPages = true;
      },
      rateLimitNext: () => h.sim.behaviours.failNext(1, 429, "/v2/conversations", retryAfter),
      failListing: (n, status) => h.sim.behaviours.failNext(n, status, "/v2/conversations"),
      hangNext: () => {
        h.sim.behaviours.hangNext = 1;
      },
      listRequests: () => requests(h.sim, "/v2/conversations"),
      requests: () => h.sim.log.count(),
      newClient: (options) => h.makeClient(options),
      maxCursorLength: 200,
      close: () => h.close(),
    };
  },
};

const clari: ContractProvider = {
  name: "Clari Copilot",
  async start() {
    const now = Date.now();
    const scenario = defaultScenario({ fromMs: now - 30 * DAY, toMs: now - 2 * DAY, callsPerUser: 8 });
    const sim = await clariSimulator({ dataset: generateClariDataset(scenario, { failedRatio: 0 }) });
    const window = { fromMs: now - 40 * DAY, toMs: now };
    return {
      client: clientFor(sim, { pageSize: 3 }),
      window,
      user: byEmail("ada@acme.test"),
      expectedCallIds: (user) =>
        sim.dataset.calls.filter((c) => (c.users ?? []).some((u) => u.userEmail === user.email)).map((c) => c.id),
      addOddCall(user) {
        const odd = structuredClone(
          sim.dataset.calls.find((c) => (c.users ?? []).some((u) => u.userEmail === user.email))!,
        );
        odd.id = `odd-${++seq}`;
        odd.title = 42 as unknown as string; // Clari promises a string
        sim.dataset.calls.push(odd);
        return odd.id;
      },
      addOddUser() {
        const id = `odd-user-${++seq}`;
        sim.dataset.users.push({ id, email: 42 as unknown as string });
        return id;
      },
      repeatPages: () => {
        sim.settings.repeatPages = true;
      },
      rateLimitNext: () => sim.behaviours.failNext(1, 429, "/calls", retryAfter),
      failListing: (n, status) => sim.behaviours.failNext(n, status, "/calls"),
      hangNext: () => {
        sim.behaviours.hangNext = 1;
      },
      listRequests: () => requestsTo(sim, "/calls"),
      requests: () => sim.log.count(),
      newClient: (options) => clientFor(sim, { pageSize: 3, ...options }),
      maxCursorLength: 400,
      close: async () => {},
    };
  },
};

providerContract(gong);
providerContract(salesloft);
providerContract(clari);

describe("provider-specific paging", () => {
  it("Salesloft: a user list of 150 without paging metadata lists 150 (pages read while full)", async () => {
    const scenario = defaultScenario({
      users: Array.from({ length: 150 }, (_, i) => ({ email: `u${i}@acme.test`, firstName: "U", lastName: `${i}` })),
      callsPerUser: 0,
    });
    const h = await salesloftHarness({
      dataset: generateSalesloftDataset(scenario),
      switches: { listPaging: "omitted" },
    });
    try {
      const users = (await h.client.listUsers()).users;
      expect(users).toHaveLength(150);
      expect(new Set(users.map((u) => u.email)).size).toBe(150);
      expect(h.sim.log.find((r) => r.path === "/v2/users").map((r) => r.query.page?.[0])).toEqual(["1", "2"]);
    } finally {
      await h.close();
    }
  });

  it("Salesloft: conversations and sentences without paging metadata are read while pages are full", async () => {
    const scenario = defaultScenario({
      users: [{ email: "sam@acme.test", firstName: "Sam", lastName: "Seller" }],
      callsPerUser: 130,
      segmentsPerCall: 2,
    });
    const h = await salesloftHarness({
      dataset: generateSalesloftDataset(scenario),
      switches: { listPaging: "omitted" },
    });
    try {
      const [user] = (await h.client.listUsers()).users as [ProviderUser];
      const { calls } = await listAll(h.client, user, { fromMs: scenario.fromMs - DAY, toMs: Date.now() + DAY });
      expect(calls).toHaveLength(130);
      expect(calls.filter((c) => (c.transcript?.length ?? 0) > 0).length).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });

  it("Salesloft: a repeated users page fails listUsers with PAGINATION_LOOP, bounded", async () => {
    const h = await salesloftHarness({ switches: { repeatPages: true } });
    try {
      await expect(h.client.listUsers()).rejects.toMatchObject({ code: "PAGINATION_LOOP" });
      expect(requests(h.sim, "/v2/users")).toBe(PAGINATION_MAX_REPEATS + 1);
    } finally {
      await h.close();
    }
  });

  it("Gong: a repeating users cursor fails listUsers with PAGINATION_LOOP, bounded", async () => {
    const h = await gongHarness({ dataset: settledDataset(), switches: { pageSize: 1, repeatCursor: true } });
    try {
      await expect(h.client.listUsers()).rejects.toMatchObject({ code: "PAGINATION_LOOP" });
      expect(h.sim.log.count((r) => r.path === "/v2/users")).toBe(PAGINATION_MAX_REPEATS + 1);
    } finally {
      await h.close();
    }
  });
});
