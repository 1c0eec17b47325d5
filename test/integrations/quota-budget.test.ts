/**
 * A provider account's request budget spent mid-backfill (issue 13 item 3). The "day" is shrunk
 * to a few seconds on both sides: callsync is configured with 10 requests per 8 s window
 * (GONG_QUOTA) and the Gong simulator enforces a budget in the same window. Every user's import shares it; when
 * it is spent, each import is rescheduled for the refill and gives its worker back (no
 * import job holds a lock while all wait), the run says "waiting for provider quota until …",
 * and the run completes in later windows with every call stored once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, gongOAuthEnv, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { QuotaRunDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { backfillThroughWizard } from "../support/backfill.js";
import { freePort } from "../support/net.js";

const DAY = 86_400_000;
const BUDGET = 10;
const WINDOW_S = 8;
let gong: GongSimulator;
let api: TestApi;
let token: string;

beforeAll(async () => {
  gong = await startGongSimulator({
    dataset: generateGongDataset(defaultScenario({ callsPerUser: 16, fromMs: Date.now() - 20 * DAY })),
    switches: { pageSize: 4 },
    // The provider's own count: its window starts when it sees the first request, callsync's
    // when it sends its first, so two of callsync's windows may overlap one of the provider's.
    quota: [{ points: 2 * BUDGET + 4, duration: WINDOW_S }],
  });
  const port = await freePort();
  api = await startApi(
    {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...gongOAuthEnv(gong),
      GONG_QUOTA: `50/1,${BUDGET}/${WINDOW_S}:budget`,
      WORKER_IN_PROCESS: "true",
      // A lease (and so the longest inline wait) shorter than the budget window: a spent
      // budget reschedules the job instead of sleeping in it.
      JOB_LOCK_LIFETIME_MS: "2000",
      JOB_PROCESS_EVERY_MS: "200",
    },
    { port },
  );
  const demo = await seedDemo(api.prisma);
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
}, 60_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await api?.close();
  await gong?.close();
});

/** Import jobs holding a worker right now. */
async function lockedImports(): Promise<number> {
  const { rows } = await api.runtime.db.pool.query(
    `SELECT count(*)::int AS n FROM agenda_jobs WHERE name = 'sync:import-user' AND locked_at IS NOT NULL`,
  );
  return rows[0].n;
}

describe("a daily budget spent mid-backfill", () => {
  it("reschedules the imports, frees the workers, says until when, and completes after the window with no duplicate", async () => {
    const waits: { code: string; until: string; message: string }[] = [];
    let freeWhileWaiting = false;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const res = await api.gql(QuotaRunDocument, { provider: "GONG" }, token);
        const run = res.data?.integration?.latestRun;
        for (const u of run?.users ?? []) if (u.waiting) waits.push(u.waiting);
        if (run?.status === "RUNNING" && run.waiting) {
          // Every open user waits for the refill: none of their jobs keeps a worker meanwhile.
          if (!freeWhileWaiting && (await lockedImports()) === 0) {
            const still = await api.gql(QuotaRunDocument, { provider: "GONG" }, token);
            if (still.data?.integration?.latestRun?.waiting) freeWhileWaiting = true;
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const { runId } = await backfillThroughWizard(api, token, "GONG");
    const runGid = Buffer.from(`SyncRun:${runId}`).toString("base64");
    watching = false;
    await watch;

    const res = await api.gql(QuotaRunDocument, { provider: "GONG" }, token);
    const run = res.data!.integration!.latestRun!;
    expect(run.id).toBe(runGid);
    expect(run.status).toBe("COMPLETED");
    expect(run.summary.usersFailed).toBe(0);

    // The import needed several windows' budget, and callsync kept to it: the provider never
    // had to refuse a request.
    const requests = gong.log.count((r) => r.path.startsWith("/v2/"));
    expect(requests).toBeGreaterThan(2 * BUDGET);
    expect(gong.log.count((r) => r.status === 429)).toBe(0);

    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((w) => w.code === "PROVIDER_QUOTA")).toBe(true);
    expect(waits[0]!.message).toBe(`Waiting for provider quota until ${new Date(waits[0]!.until).toISOString()}`);
    expect(freeWhileWaiting).toBe(true);

    const rows = await api.prisma.call.findMany({ select: { providerCallId: true } });
    expect(new Set(rows.map((r) => r.providerCallId)).size).toBe(rows.length);
    expect(rows.length).toBe(run.summary.callsImported);
    const expected = gong.dataset.calls.filter((c) =>
      ["ada@acme.test", "max@acme.test", "sam@acme.test"].includes(
        gong.dataset.users.find((u) => u.id === c.metaData.primaryUserId)?.emailAddress ?? "",
      ),
    ).length;
    expect(rows.length).toBe(expected);
  }, 180_000);
});
