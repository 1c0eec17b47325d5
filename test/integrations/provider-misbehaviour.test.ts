/**
 * A provider that misbehaves structurally, through the whole import: a Gong listing whose
 * cursor never moves ends each user FAILED with PAGINATION_LOOP and its human message within a
 * bounded number of requests (never loops), and a user the listing sends in a shape callsync
 * cannot read is reported among the run's users not imported while the others go on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PAGINATION_MAX_REPEATS } from "../../src/providers/paging.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { NotImportedRunDocument } from "../generated/graphql.js";
import type { TestApi } from "../support/api.js";
import { type ApiEnv, backfillThroughWizard, gongEnv } from "../support/backfill.js";

const DAY = 86_400_000;
const scenario = defaultScenario({
  callsPerUser: 6,
  segmentsPerCall: 2,
  fromMs: Date.now() - 30 * DAY,
  toMs: Date.now() - 2 * DAY,
});
const ODD_USER = "8123456789012345678";

let gong: GongSimulator;
let env: ApiEnv;
let api: TestApi;
let token: string;

beforeAll(async () => {
  const dataset = generateGongDataset(scenario);
  dataset.users.push({ id: ODD_USER, emailAddress: 42 as unknown as string, firstName: "Odd" });
  gong = await startGongSimulator({ dataset, switches: { pageSize: 2, repeatCursor: "calls" } });
  env = await gongEnv(gong, { scenario, engine: { maxAttempts: 3, retryDelayMs: 100 } });
  ({ api, token } = env);
  gong.log.clear();
  await backfillThroughWizard(api, token, "GONG");
}, 120_000);

afterAll(async () => {
  await env?.close();
});

describe("a provider repeating its cursor", () => {
  it(`fails every user with PAGINATION_LOOP and its message after ${PAGINATION_MAX_REPEATS} repeats, not retried`, async () => {
    const res = await api.gql(NotImportedRunDocument, { provider: "GONG" }, token);
    expect(res.errors).toBeUndefined();
    const run = res.data!.integration!.latestRun!;
    expect(run.status).toBe("FAILED");
    const attempted = run.users.filter((u) => u.state !== "SKIPPED");
    expect(attempted).toHaveLength(3);
    for (const u of attempted) {
      expect(u.state).toBe("FAILED");
      expect(u.error?.code).toBe("PAGINATION_LOOP");
      expect(u.error?.message).toMatch(/same page of results/);
      expect(u.retryable).toBe(false);
    }
    // Bounded: the first page and PAGINATION_MAX_REPEATS repeats of it per user, no retry.
    const listings = gong.log.count((r) => r.path === "/v2/calls/extensive");
    expect(listings).toBe(attempted.length * (PAGINATION_MAX_REPEATS + 1));
  });

  it("the user the listing sent in an unreadable shape is among the users not imported, with its id and reason", async () => {
    const res = await api.gql(NotImportedRunDocument, { provider: "GONG" }, token);
    const run = res.data!.integration!.latestRun!;
    expect(run.usersNotImported).toEqual([
      {
        kind: "USER",
        providerRecordId: ODD_USER,
        reasonCode: "UNREADABLE",
        reason: expect.stringMatching(/emailAddress is not a string/),
      },
    ]);
    expect(run.users).toHaveLength(gong.dataset.users.length - 1);
  });
});
