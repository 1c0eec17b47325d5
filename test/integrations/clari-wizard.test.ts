/**
 * The wizard for Clari Copilot through the public API only: the key pair is checked with the
 * provider before anything is saved, then the wizard contract (connect with the pair, the 90-day
 * backfill, a revoked key; test/providers/contract.ts) against the Clari Copilot simulator, and
 * beside it what Clari adds: a call on which two Copilot users took part is stored once, and a
 * re-sync rewrites nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateClariDataset } from "../../src/simulators/clari/dataset.js";
import { type ClariSimulator, startClariSimulator } from "../../src/simulators/clari/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { WizardConnectDocument, WizardIntegrationDocument } from "../generated/graphql.js";
import { wizardContract } from "../providers/contract.js";
import { errorCodes } from "../support/api.js";
import { type ApiEnv, clariEnv, rowId as localId } from "../support/backfill.js";

const DAY = 86_400_000;
const WORKSPACE_EMAILS = ["ada@acme.test", "max@acme.test", "sam@acme.test"];
let sim: ClariSimulator;
let env: ApiEnv;
let api: ApiEnv["api"];
let token: string;

const scenario = defaultScenario({ callsPerUser: 6, fromMs: Date.now() - 60 * DAY, segmentsPerCall: 6 });

beforeAll(async () => {
  // Half the calls have a second Copilot user on them: listed under both users, stored once.
  sim = await startClariSimulator({ dataset: generateClariDataset(scenario, { colleagueRatio: 0.5 }) });
  env = await clariEnv(sim, { scenario, engine: { maxAttempts: 2, retryDelayMs: 100 } });
  ({ api, token } = env);
}, 60_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await env?.close();
});

/** Calls on which a workspace user took part (organizer or colleague), started since `fromMs`. */
function expectedCalls(fromMs: number): string[] {
  const now = sim.clock.now();
  return sim.dataset.calls
    .filter((c) => {
      const time = Date.parse(c.time);
      return (
        time > fromMs &&
        time < now &&
        (c.users ?? []).some((u) => WORKSPACE_EMAILS.includes((u.userEmail ?? "").toLowerCase()))
      );
    })
    .map((c) => c.id);
}

describe("Clari Copilot: API key and secret, checked before they are saved", () => {
  it("a wrong secret → INVALID_API_CREDENTIALS, and nothing is saved", async () => {
    const { apiKey } = sim.apiKeys.default;
    const res = await api.gql(WizardConnectDocument, { provider: "CLARI_COPILOT", apiKey, apiSecret: "wrong" }, token);
    expect(errorCodes(res)).toEqual(["INVALID_API_CREDENTIALS"]);
    expect(res.errors![0]!.message.length).toBeGreaterThan(10);
    expect(res.errors![0]!.message).not.toContain("wrong");
    const state = await api.gql(WizardIntegrationDocument, { provider: "CLARI_COPILOT" }, token);
    expect(state.data!.integration?.status ?? null).not.toBe("CONNECTED");
    expect(
      await api.prisma.integration.count({ where: { provider: "CLARI_COPILOT", credentials: { not: null } } }),
    ).toBe(0);
  });

  it("the same value in both fields → BAD_USER_INPUT, without asking the provider", async () => {
    sim.log.clear();
    const { apiKey } = sim.apiKeys.default;
    const res = await api.gql(WizardConnectDocument, { provider: "CLARI_COPILOT", apiKey, apiSecret: apiKey }, token);
    expect(errorCodes(res)).toEqual(["BAD_USER_INPUT"]);
    expect(sim.log.count()).toBe(0);
    const missing = await api.gql(WizardConnectDocument, { provider: "CLARI_COPILOT", apiKey }, token);
    expect(errorCodes(missing)).toEqual(["BAD_USER_INPUT"]);
  });
});

wizardContract(
  {
    name: "Clari Copilot",
    provider: "CLARI_COPILOT",
    env: () => env,
    // Spaces around the key are trimmed.
    keys: () => ({ apiKey: ` ${sim.apiKeys.default.apiKey} `, apiSecret: sim.apiKeys.default.apiSecret }),
    secret: () => sim.apiKeys.default.apiSecret,
    expectedCallIds: expectedCalls,
    revoke: () => sim.apiKeys.revoke(),
    restore: () => sim.apiKeys.restore(),
  },
  (wizard) => {
    it("a call on which two workspace users took part was listed under both and stored once, not rewritten", async () => {
      const expected = expectedCalls(Date.now() - 90 * DAY);
      const shared = sim.dataset.calls.filter(
        (c) =>
          expected.includes(c.id) &&
          (c.users ?? []).filter((u) => WORKSPACE_EMAILS.includes(u.userEmail ?? "")).length > 1,
      );
      expect(shared.length).toBeGreaterThan(0);
      const stored = await api.prisma.call.findMany({
        where: { integrationId: localId(wizard.integrationId()), providerCallId: { in: shared.map((c) => c.id) } },
        select: { providerCallId: true },
      });
      expect(stored.map((c) => c.providerCallId).sort()).toEqual(shared.map((c) => c.id).sort());
      const state = await api.gql(WizardIntegrationDocument, { provider: "CLARI_COPILOT" }, token);
      // Seen twice: once new, once unchanged.
      expect(state.data!.integration!.latestRun!.summary.callsUpdated).toBe(0);
    });

    it("a re-sync (the last two days again) finds nothing new: no duplicates, nothing rewritten", async () => {
      const before = await api.prisma.call.count({ where: { integrationId: localId(wizard.integrationId()) } });
      await wizard.syncNow();
      const state = await api.gql(WizardIntegrationDocument, { provider: "CLARI_COPILOT" }, token);
      const summary = state.data!.integration!.latestRun!.summary;
      expect(summary).toMatchObject({ callsImported: 0, callsUpdated: 0 });
      expect(await api.prisma.call.count({ where: { integrationId: localId(wizard.integrationId()) } })).toBe(before);
    });
  },
);
