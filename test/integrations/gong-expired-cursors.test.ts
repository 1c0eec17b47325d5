/**
 * Gong's signed cursors expire. When every cursor has expired by the time the engine asks for the
 * next page (a lifetime shorter than the pacing between requests), each user's listing restarts
 * from the last processed call's start (src/providers/gong/client.ts), so the backfill completes
 * with no FAILED user, no duplicate and nothing missed: a later full re-read with long-lived
 * cursors finds no call the backfill did not import.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { WizardSyncNowDocument } from "../generated/graphql.js";
import { type ApiEnv, backfillThroughWizard, gongEnv, runFinished } from "../support/backfill.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let gong: GongSimulator;
let env: ApiEnv;

beforeAll(async () => {
  gong = await startGongSimulator({
    dataset: generateGongDataset(defaultScenario({ callsPerUser: 12, fromMs: Date.now() - 10 * DAY })),
    // Pages of 4; a cursor lives 1 ms, so every follow-up page request meets "cursor has expired".
    switches: { pageSize: 4, cursorTtlMs: 1 },
  });
  env = await gongEnv(gong, { engine: { deepRereadMs: 14 * DAY, deepEveryMs: HOUR } });
}, 60_000);

afterAll(async () => {
  if (env) await env.api.settleJobs();
  await env?.close();
});

describe("expired Gong cursors mid-listing", () => {
  it("the backfill completes without a FAILED user or a duplicate, and a full re-read finds nothing it missed", async () => {
    const { api, token } = env;
    const { integrationGid: integrationId, run: backfill } = await backfillThroughWizard(
      api,
      token,
      "GONG",
      undefined,
      {
        period: "DAYS_30",
      },
    );

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
    const reread = await runFinished(api, token, "GONG", again.data!.syncNow.id);
    expect(reread.status).toBe("COMPLETED");
    expect(reread.summary.callsImported).toBe(0);
    expect(await api.prisma.call.count()).toBe(imported);
  }, 180_000);
});
