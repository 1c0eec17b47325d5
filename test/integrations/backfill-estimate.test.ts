/**
 * The Backfill step's estimates (issue 13 item 3), end to end with the simulators over HTTP:
 * for every offered period, the calls the backfill would list are the simulator's dataset for
 * the matched users in that window, exact from the provider's total; provider requests and
 * seconds follow from the documented cost per call and the configured quota (rate and day/week
 * budget); the estimate costs one listing request per period, is cached, never keeps the wizard
 * waiting, and a failing provider leaves it UNAVAILABLE with a stable code while the wizard goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateClariDataset } from "../../src/simulators/clari/dataset.js";
import { type ClariSimulator, startClariSimulator } from "../../src/simulators/clari/server.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { generateSalesloftDataset } from "../../src/simulators/salesloft/dataset.js";
import { type SalesloftSimulator, startSalesloftSimulator } from "../../src/simulators/salesloft/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  BackfillChoicesDocument,
  type BackfillChoicesQuery,
  WizardChooseBackfillDocument,
  WizardStartSyncDocument,
} from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import {
  type ApiEnv,
  clariEnv,
  connectThroughWizard,
  gongEnv,
  type Provider,
  runFinished,
  salesloftEnv,
} from "../support/backfill.js";

const DAY = 86_400_000;
const MATCHED = new Set(["ada@acme.test", "max@acme.test", "sam@acme.test"]);
const PERIODS = ["DAYS_30", "DAYS_60", "DAYS_90", "MONTHS_6", "YEAR_1", "ALL_TIME", "NONE"];
const scenario = (callsPerUser: number) =>
  defaultScenario({
    callsPerUser,
    segmentsPerCall: 2,
    fromMs: Date.now() - 500 * DAY,
    toMs: Date.now() - 3 * 3_600_000,
  });

type Choice = NonNullable<BackfillChoicesQuery["integration"]>["backfillChoices"][number];
type Estimate = Choice["estimate"];

async function settledChoices(env: ApiEnv, provider: Provider): Promise<Choice[]> {
  for (let i = 0; i < 300; i++) {
    const res = await env.api.gql(BackfillChoicesDocument, { provider }, env.token);
    expect(res.errors).toBeUndefined();
    const choices = res.data!.integration!.backfillChoices;
    if (choices.every((c) => c.estimate.status !== "COMPUTING")) return choices;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the estimate was not computed");
}

/** Calls whose time falls in [from, computedAt) of the estimate. */
function inWindow(e: Estimate, times: number[]): number {
  const from = Date.parse(e.from!);
  const to = Date.parse(e.computedAt!);
  return times.filter((t) => t >= from && t < to).length;
}

/** The documented quotas' pace: the rate window spaced with callsync's 10 % headroom. */
const pacedSeconds = (requests: number, perSecond: number) => (requests * 1.1) / perSecond;
/** Whole seconds, rounded up (a float of the pace may land either side of a whole number). */
const expectSeconds = (actual: number | null | undefined, seconds: number) =>
  expect(Math.abs(actual! - Math.ceil(seconds))).toBeLessThanOrEqual(1);

function expectExact(choices: Choice[], times: number[], users: number) {
  expect(choices.map((c) => c.period)).toEqual(PERIODS);
  expect(choices.find((c) => c.recommended)?.period).toBe("MONTHS_6");
  for (const c of choices) {
    expect(c.estimate.status).toBe("READY");
    expect(c.estimate.users).toBe(users);
    expect(Date.parse(c.estimate.computedAt!)).toBeGreaterThan(Date.now() - 60_000);
    if (c.period === "NONE") {
      expect(c.estimate).toMatchObject({ calls: 0, providerRequests: 0, seconds: 0, accuracy: "EXACT" });
      continue;
    }
    expect({ period: c.period, calls: c.estimate.calls }).toEqual({
      period: c.period,
      calls: inWindow(c.estimate, times),
    });
    expect(c.estimate.accuracy).toBe("EXACT");
    expect(c.estimate.basis).toBe("PROVIDER_TOTAL");
  }
  // The periods differ, so the test tells them apart.
  const calls = choices.map((c) => c.estimate.calls!);
  expect(calls[5]).toBeGreaterThan(calls[0]!);
}

describe("Gong", () => {
  let gong: GongSimulator;
  let env: ApiEnv;
  let times: number[];
  beforeAll(async () => {
    gong = await startGongSimulator({
      dataset: generateGongDataset(scenario(24)),
      switches: { visibleAfterMs: 0, pageSize: 100 },
    });
    env = await gongEnv(gong, { scenario: scenario(24) });
    const matchedIds = new Set(gong.dataset.users.filter((u) => MATCHED.has(u.emailAddress ?? "")).map((u) => u.id));
    times = gong.dataset.calls
      .filter((c) => matchedIds.has(String(c.metaData.primaryUserId)))
      .map((c) => Date.parse(c.metaData.started ?? ""));
  }, 60_000);
  afterAll(async () => env?.close());

  it("answers at once while it computes, then every period: calls exact from totalRecords, requests and seconds from 2 per 100 calls at 3/s, one listing request per period, cached", async () => {
    await connectThroughWizard(env.api, env.token, "GONG");
    gong.log.clear();
    gong.behaviours.latencyMs = 3_000;
    const started = Date.now();
    const first = await env.api.gql(BackfillChoicesDocument, { provider: "GONG" }, env.token);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(first.data!.integration!.backfillChoices.map((c) => c.estimate.status)).toEqual(
      PERIODS.map(() => "COMPUTING"),
    );
    gong.behaviours.latencyMs = 0;

    const choices = await settledChoices(env, "GONG");
    expectExact(choices, times, 3);
    for (const c of choices.filter((x) => x.period !== "NONE")) {
      const requests = Math.ceil((c.estimate.calls! * 2) / 100 + 3 * 2);
      expect(c.estimate.providerRequests).toBe(requests);
      // 10,000 a day leaves room: the 3-per-second pace alone.
      expectSeconds(c.estimate.seconds, pacedSeconds(requests, 3));
    }
    // One user listing and one metadata-only listing per period, nothing enriched.
    expect(gong.log.count((r) => r.path === "/v2/users")).toBe(1);
    expect(gong.log.count((r) => r.path === "/v2/calls/extensive")).toBe(6);
    expect(gong.log.count((r) => r.path === "/v2/calls/transcript")).toBe(0);

    // Asked again within the cache's lifetime: the same figures, and nothing sent.
    const again = await settledChoices(env, "GONG");
    await env.api.runtime.services.backfillEstimates.settle();
    expect(again).toEqual(choices);
    expect(gong.log.count((r) => r.path.startsWith("/v2/calls"))).toBe(6);
  }, 60_000);

  it("a failing provider: UNAVAILABLE with the provider's stable code, and the wizard goes on to a complete backfill", async () => {
    await env.api.prisma.backfillEstimate.deleteMany({});
    gong.behaviours.failingUsers.add("ada@acme.test");
    const choices = await settledChoices(env, "GONG");
    for (const c of choices) {
      expect(c.estimate.status).toBe("UNAVAILABLE");
      expect(c.estimate.unavailable?.code).toBe("PROVIDER_UNAVAILABLE");
      expect(c.estimate.unavailable?.message).toMatch(/^Estimate unavailable: .+ You can still choose a period/);
      expect(c.estimate.calls).toBeNull();
    }
    const integrationId = (await env.api.gql(BackfillChoicesDocument, { provider: "GONG" }, env.token)).data!
      .integration!.id;
    const chosen = await env.api.gql(WizardChooseBackfillDocument, { integrationId, period: "DAYS_90" }, env.token);
    expect(chosen.errors).toBeUndefined();
    expect(chosen.data!.chooseBackfill.wizardStep).toBe("SYNC");
    gong.behaviours.failingUsers.clear();
    const started = await env.api.gql(WizardStartSyncDocument, { integrationId }, env.token);
    expect(started.errors).toBeUndefined();
    const run = await runFinished(env.api, env.token, "GONG", started.data!.startSync.id);
    expect(run.status).toBe("COMPLETED");
  }, 90_000);
});

describe("two API processes on one database", () => {
  let gong: GongSimulator;
  let env: ApiEnv;
  let other: TestApi;
  beforeAll(async () => {
    gong = await startGongSimulator({ dataset: generateGongDataset(scenario(8)), switches: { visibleAfterMs: 0 } });
    env = await gongEnv(gong, { scenario: scenario(8) });
    other = await startApi(
      { GONG_CLIENT_ID: gong.clientId, GONG_CLIENT_SECRET: gong.clientSecret },
      { database: env.api.database },
    );
  }, 60_000);
  afterAll(async () => {
    await other?.close();
    await env?.close();
  });

  it("compute one estimate between them: the reader that finds the claim gets COMPUTING, then the same figures", async () => {
    await connectThroughWizard(env.api, env.token, "GONG");
    gong.log.clear();
    const first = await Promise.all(
      [env.api, other].map((api) => api.gql(BackfillChoicesDocument, { provider: "GONG" }, env.token)),
    );
    for (const res of first)
      expect(res.data!.integration!.backfillChoices.every((c) => c.estimate.status === "COMPUTING")).toBe(true);
    const figures = await settledChoices(env, "GONG");
    await Promise.all([env.api, other].map((api) => api.runtime.services.backfillEstimates.settle()));
    const seen = await other.gql(BackfillChoicesDocument, { provider: "GONG" }, env.token);
    expect(seen.data!.integration!.backfillChoices).toEqual(figures);
    expect(gong.log.count((r) => r.path === "/v2/calls/extensive")).toBe(6);
  }, 60_000);
});

describe("Salesloft", () => {
  let sim: SalesloftSimulator;
  let env: ApiEnv;
  let times: number[];
  beforeAll(async () => {
    sim = await startSalesloftSimulator({ dataset: generateSalesloftDataset(scenario(24)) });
    env = await salesloftEnv(sim, { scenario: scenario(24) });
    const guids = new Set(sim.dataset.users.filter((u) => MATCHED.has(u.email ?? "")).map((u) => u.guid));
    times = sim.dataset.conversations
      .filter((c) => guids.has(c.user_guid ?? ""))
      .map((c) => Date.parse(c.created_at ?? ""));
  }, 60_000);
  afterAll(async () => env?.close());

  it("every period: conversations exact from metadata.paging.total_count, requests from 1 list per 100 plus /extensive and sentences per call, seconds at 600 a minute", async () => {
    await connectThroughWizard(env.api, env.token, "SALESLOFT");
    sim.log.clear();
    const choices = await settledChoices(env, "SALESLOFT");
    expectExact(choices, times, 3);
    for (const c of choices.filter((x) => x.period !== "NONE")) {
      const requests = Math.ceil(c.estimate.calls! * (2 + 1 / 100) + 3);
      expect(c.estimate.providerRequests).toBe(requests);
      expectSeconds(c.estimate.seconds, pacedSeconds(requests, 10));
    }
    const listings = sim.log.find((r) => r.path === "/v2/conversations");
    expect(listings).toHaveLength(6);
    expect(listings.every((r) => r.query.include_paging_counts?.[0] === "true")).toBe(true);
  }, 60_000);
});

describe("Salesloft without paging counts", () => {
  let sim: SalesloftSimulator;
  let env: ApiEnv;
  let times: number[];
  beforeAll(async () => {
    sim = await startSalesloftSimulator({
      dataset: generateSalesloftDataset(scenario(60)),
      switches: { listPaging: "omitted" },
    });
    env = await salesloftEnv(sim, { scenario: scenario(60) });
    const guids = new Set(sim.dataset.users.filter((u) => MATCHED.has(u.email ?? "")).map((u) => u.guid));
    times = sim.dataset.conversations
      .filter((c) => guids.has(c.user_guid ?? ""))
      .map((c) => Date.parse(c.created_at ?? ""));
  }, 60_000);
  afterAll(async () => env?.close());

  it("a window one page holds is counted exactly (LISTED); a longer one is extrapolated from its page and marked APPROXIMATE (SAMPLE)", async () => {
    await connectThroughWizard(env.api, env.token, "SALESLOFT");
    const choices = (await settledChoices(env, "SALESLOFT")).filter((c) => c.period !== "NONE");
    for (const c of choices) {
      const actual = inWindow(c.estimate, times);
      if (actual < 100) {
        expect({ period: c.period, basis: c.estimate.basis, accuracy: c.estimate.accuracy }).toEqual({
          period: c.period,
          basis: "LISTED",
          accuracy: "EXACT",
        });
        expect(c.estimate.calls).toBe(actual);
      } else {
        expect({ period: c.period, basis: c.estimate.basis, accuracy: c.estimate.accuracy }).toEqual({
          period: c.period,
          basis: "SAMPLE",
          accuracy: "APPROXIMATE",
        });
        // Calls spread evenly over the scenario: the page's density is close to the window's.
        expect(c.estimate.calls!).toBeGreaterThan(actual * 0.6);
        expect(c.estimate.calls!).toBeLessThan(actual * 1.6);
      }
    }
    expect(choices.some((c) => c.estimate.basis === "SAMPLE")).toBe(true);
    expect(choices.some((c) => c.estimate.basis === "LISTED")).toBe(true);
  }, 60_000);
});

describe("Clari Copilot", () => {
  let sim: ClariSimulator;
  let env: ApiEnv;
  let times: number[];
  const WEEK_BUDGET = 60;
  beforeAll(async () => {
    sim = await startClariSimulator({ dataset: generateClariDataset(scenario(24), { failedRatio: 0 }) });
    // A small weekly budget (the documented one is 100,000), so the longer periods need a refill.
    env = await clariEnv(sim, { scenario: scenario(24), env: { CLARI_QUOTA: `10/1,${WEEK_BUDGET}/604800` } });
    const emailOf = (userId: string) => sim.dataset.users.find((u) => u.id === userId)?.email ?? "";
    times = sim.dataset.calls
      .filter((c) => (c.users ?? []).some((u) => MATCHED.has(u.userEmail ?? emailOf(u.userId))))
      .map((c) => Date.parse(c.time));
  }, 60_000);
  afterAll(async () => env?.close());

  it("every period: calls exact from pagination.matched, requests from 1 list per 25 plus /call-details per call, seconds at 10/s plus a week's refill when the budget left is short", async () => {
    await connectThroughWizard(env.api, env.token, "CLARI_COPILOT", sim.apiKeys.default);
    sim.log.clear();
    const choices = await settledChoices(env, "CLARI_COPILOT");
    expectExact(choices, times, 3);
    // What callsync's shared count had left when the estimate was made: the connect check and
    // the estimate's own requests (one user listing, one per period) are spent.
    const left = WEEK_BUDGET - (await budgetSpent(env));
    let refilled = 0;
    let pacedOnly = 0;
    for (const c of choices.filter((x) => x.period !== "NONE")) {
      const requests = Math.ceil(c.estimate.calls! * (1 + 1 / 25) + 3);
      expect(c.estimate.providerRequests).toBe(requests);
      const paced = pacedSeconds(requests, 10);
      // The count fell by one with each period's listing: `left` is what the last one saw.
      if (requests <= left) {
        pacedOnly++;
        expectSeconds(c.estimate.seconds, paced);
      } else if (requests > left + 7) {
        refilled++;
        // Until the week's window resets (it started at the connect check, moments ago).
        const wait = c.estimate.seconds! - paced;
        expect(wait).toBeGreaterThan(604_800 - 300);
        expect(wait).toBeLessThanOrEqual(604_800 + 1);
      }
    }
    expect(refilled).toBeGreaterThan(0);
    expect(pacedOnly).toBeGreaterThan(0);
    expect(sim.log.count((r) => r.path === "/calls")).toBe(6);
    expect(sim.log.count((r) => r.path === "/call-details")).toBe(0);
  }, 60_000);
});

/** Requests callsync sent to the simulator so far (each costs one point of the weekly budget). */
async function budgetSpent(env: ApiEnv): Promise<number> {
  const state = await env.api.runtime.services.providers.CLARI_COPILOT.pacer.state(
    `CLARI_COPILOT:${(await env.api.prisma.integration.findFirstOrThrow()).connectedAccountId}`,
  );
  return state.windowPoints - state.remaining;
}
