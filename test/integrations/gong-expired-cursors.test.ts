/**
 * Gong's signed cursors expire. When every cursor has expired by the time the engine asks for the
 * next page (a lifetime shorter than the pacing between requests), each user's listing restarts
 * from the last processed call's start (src/providers/gong/client.ts), so the backfill completes
 * with no FAILED user, no duplicate and nothing missed: a later full re-read with long-lived
 * cursors finds no call the backfill did not import.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import {
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardIntegrationDocument,
  WizardStartSyncDocument,
  WizardSyncNowDocument,
} from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { freePort } from "../support/net.js";
import { authorizeInBrowser } from "../support/oauth.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let gong: GongSimulator;
let api: TestApi;
let token: string;

beforeAll(async () => {
  gong = await startGongSimulator({
    dataset: generateGongDataset(defaultScenario({ callsPerUser: 12, fromMs: Date.now() - 10 * DAY })),
    // Pages of 4; a cursor lives 1 ms, so every follow-up page request meets "cursor has expired".
    switches: { pageSize: 4, cursorTtlMs: 1 },
  });
  const port = await freePort();
  api = await startApi(
    {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      GONG_CLIENT_ID: gong.clientId,
      GONG_CLIENT_SECRET: gong.clientSecret,
      GONG_AUTHORIZE_URL: `${gong.url}/oauth2/authorize`,
      GONG_TOKEN_URL: `${gong.url}/oauth2/generate-customer-token`,
      WORKER_IN_PROCESS: "true",
      JOB_PROCESS_EVERY_MS: "200",
    },
    { port, engine: { deepRereadMs: 14 * DAY, deepEveryMs: HOUR } },
  );
  const demo = await seedDemo(api.prisma);
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
}, 60_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await api?.close();
  await gong?.close();
});

async function finished(runId: string) {
  for (let i = 0; i < 1200; i++) {
    const res = await api.gql(WizardIntegrationDocument, { provider: "GONG" }, token);
    const latest = res.data!.integration!.latestRun!;
    if (latest.id === runId && latest.status !== "RUNNING") {
      await api.settleJobs();
      return latest;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runId} did not finish`);
}

describe("expired Gong cursors mid-listing", () => {
  it("the backfill completes without a FAILED user or a duplicate, and a full re-read finds nothing it missed", async () => {
    const connect = await api.gql(WizardConnectDocument, { provider: "GONG" }, token);
    const integrationId = connect.data!.connectIntegration.integration.id;
    await authorizeInBrowser(connect.data!.connectIntegration.authorizationUrl!, token);
    await api.gql(WizardChooseBackfillDocument, { integrationId, period: "DAYS_30" }, token);
    const started = await api.gql(WizardStartSyncDocument, { integrationId }, token);
    const backfill = await finished(started.data!.startSync.id);

    const expired = gong.log.count((r) => r.status === 400 && r.path === "/v2/calls/extensive");
    expect(expired).toBeGreaterThan(3);
    expect(backfill.status).toBe("COMPLETED");
    expect(backfill.summary.usersFailed).toBe(0);
    const imported = backfill.summary.callsImported;
    expect(imported).toBeGreaterThan(12);
    const rows = await api.prisma.call.findMany({ select: { providerCallId: true } });
    expect(new Set(rows.map((r) => r.providerCallId)).size).toBe(rows.length);
    expect(rows.length).toBe(imported);

    // Long-lived cursors again; a deep re-read of the whole window creates nothing new.
    gong.switches.cursorTtlMs = 10 * 60_000;
    await api.prisma.syncRun.updateMany({ data: { startedAt: new Date(Date.now() - 2 * HOUR) } });
    const again = await api.gql(WizardSyncNowDocument, { integrationId }, token);
    const reread = await finished(again.data!.syncNow.id);
    expect(reread.status).toBe("COMPLETED");
    expect(reread.summary.callsImported).toBe(0);
    expect(await api.prisma.call.count()).toBe(imported);
  }, 180_000);
});
