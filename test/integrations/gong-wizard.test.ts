/**
 * The wizard for Gong through the public API only: the wizard contract (connect through the
 * OAuth redirect round trip, the 90-day backfill, revoked credentials; test/providers/contract.ts)
 * against the Gong simulator, and beside it what the Gong tests add: a 429 storm ridden out, an
 * outage that fails users and a retry of one user that lists only that user.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { WizardIntegrationDocument, WizardRetryUserDocument } from "../generated/graphql.js";
import { wizardContract } from "../providers/contract.js";
import { type ApiEnv, gongEnv } from "../support/backfill.js";

const DAY = 86_400_000;
let gong: GongSimulator;
let env: ApiEnv;

const scenario = defaultScenario({ callsPerUser: 12, fromMs: Date.now() - 120 * DAY });

beforeAll(async () => {
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario) });
  env = await gongEnv(gong, { scenario, engine: { maxAttempts: 2, retryDelayMs: 100 } });
}, 60_000);

afterAll(async () => {
  await env?.close();
});

/** Calls the simulator lists for workspace users, started in the window and already visible. */
function expectedCallIds(fromMs: number): string[] {
  const matched = new Set(gong.dataset.users.filter((u) => !u.emailAddress?.startsWith("outsider")).map((u) => u.id));
  const now = Date.now();
  return gong.dataset.calls
    .filter((c) => {
      const started = Date.parse(String(c.metaData.started));
      const ended = started + (c.metaData.duration ?? 0) * 1000;
      return matched.has(String(c.metaData.primaryUserId)) && started >= fromMs && ended + 3_600_000 <= now;
    })
    .map((c) => String(c.metaData.id));
}

wizardContract(
  {
    name: "Gong",
    provider: "GONG",
    env: () => env,
    secret: () => /(at|rt)_[0-9a-f]{36}/,
    expectedCallIds,
    revoke: () => {
      gong.oauth.revokeAll();
      gong.oauth.expireAccessTokens();
    },
    restore: () => gong.oauth.restore(),
  },
  (wizard) => {
    it("rides out a 429 storm: users wait for the rate limit, then complete", async () => {
      gong.behaviours.quota = [{ points: 2, duration: 2 }];
      const runId = await wizard.syncNow(90_000);
      gong.behaviours.quota = null;
      const waited = wizard
        .progress()
        .events.filter((e) => e.syncProgress.run.id === runId && e.syncProgress.user?.waitingForRateLimitUntil);
      expect(gong.log.count((r) => r.status === 429)).toBeGreaterThan(0);
      expect(waited.length).toBeGreaterThan(0);
      const final = wizard.progress().events.findLast((e) => e.syncProgress.run.id === runId)!;
      expect(final.syncProgress.run.status).toBe("COMPLETED");
    }, 120_000);

    it("fails users after an outage, and retrying one user imports only that user", async () => {
      gong.behaviours.failNext(10_000, 503, "/v2/calls");
      const runId = await wizard.syncNow();
      gong.behaviours.clearFailures();

      const state = await env.api.gql(WizardIntegrationDocument, { provider: "GONG" }, env.token);
      const latest = state.data!.integration!.latestRun!;
      expect(latest.status).toBe("FAILED");
      expect(latest.summary.usersFailed).toBe(3);
      const failed = latest.users.filter((u) => u.state === "FAILED");
      expect(failed).toHaveLength(3);
      expect(failed[0]).toMatchObject({ error: { code: "PROVIDER_UNAVAILABLE" }, retryable: true });

      const target = failed.find((u) => u.email === "max@acme.test")!;
      const maxGongId = gong.dataset.users.find((u) => u.emailAddress === "max@acme.test")!.id;
      gong.log.clear();
      const retry = await env.api.gql(WizardRetryUserDocument, { id: target.id }, env.token);
      expect(retry.data?.retrySyncUser.state).toBe("PENDING");
      await wizard
        .progress()
        .until((e) => e.syncProgress.user?.id === target.id && e.syncProgress.user.state === "COMPLETED", 30_000);
      // The run closes just after its last user completes: wait for that event too.
      await wizard
        .progress()
        .until((e) => e.syncProgress.run.id === runId && e.syncProgress.run.status === "PARTIAL", 30_000);
      // Listing by user happened for max only (transcript follow-ups ask by call id, not by user).
      const listed = gong.log
        .find((r) => r.path === "/v2/calls/extensive")
        .map((r) => (r.body as { filter: { primaryUserIds?: string[] } }).filter.primaryUserIds)
        .filter((ids) => ids !== undefined);
      expect(listed.length).toBeGreaterThan(0);
      expect(new Set(listed.flat())).toEqual(new Set([maxGongId]));
      const after = await env.api.gql(WizardIntegrationDocument, { provider: "GONG" }, env.token);
      const users = after.data!.integration!.latestRun!.users;
      expect(
        users
          .filter((u) => u.state === "FAILED")
          .map((u) => u.email)
          .sort(),
      ).toEqual(["ada@acme.test", "sam@acme.test"]);
      expect(after.data!.integration!.latestRun!.status).toBe("PARTIAL");
    }, 90_000);
  },
);
