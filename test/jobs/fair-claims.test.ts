/**
 * Fair work distribution: a worker claims no more jobs than it can start at once (per type
 * IMPORT_CONCURRENCY for per-user imports, JOB_MAX_CONCURRENCY in all), so a burst of imports is
 * shared by every worker instead of being locked by the first one that polls, and no claimed job
 * waits in a worker's memory while its lease runs out. Two real worker runtimes (Agenda) on one
 * database, a real sync against the Gong simulator made slow by its latency switch so the burst
 * is still there while we watch the locks; a burst of webhook imports (another job type, with
 * its own per-type limit) comes at the same time, so the per-type limits together exceed what a
 * worker runs at once and only the overall lock limit keeps its claims startable.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB } from "../../src/jobs/queue.js";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { ProcStartSyncDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { freePort } from "../support/net.js";
import { connectGong, gql, localId, pollUntil } from "../support/processes.js";

const USERS = 12;
const IMPORT_CONCURRENCY = 2;
const MAX_CONCURRENCY = 3;

let gong: GongSimulator;
let a: TestApi;
let b: TestApi;
let token: string;
let integrationId: string;

beforeAll(async () => {
  // 12 matched users (the scenario's last user has no workspace account and is skipped).
  const users = Array.from({ length: USERS }, (_, i) => ({
    email: `rep${i}@acme.test`,
    firstName: `Rep${i}`,
    lastName: "Seller",
  }));
  const scenario = defaultScenario({
    callsPerUser: 2,
    fromMs: Date.now() - 30 * 86_400_000,
    users: [...users, { email: "outsider@contractor.test", firstName: "Otto", lastName: "Outsider" }],
  });
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario), switches: { visibleAfterMs: 0 } });
  const port = await freePort();
  const worker = (name: string) => ({
    GONG_CLIENT_ID: gong.clientId,
    GONG_CLIENT_SECRET: gong.clientSecret,
    GONG_AUTHORIZE_URL: `${gong.url}/oauth2/authorize`,
    GONG_TOKEN_URL: `${gong.url}/oauth2/generate-customer-token`,
    WORKER_IN_PROCESS: "true",
    WORKER_NAME: name,
    JOB_PROCESS_EVERY_MS: "200",
    IMPORT_CONCURRENCY: String(IMPORT_CONCURRENCY),
    JOB_MAX_CONCURRENCY: String(MAX_CONCURRENCY),
  });
  a = await startApi({ ...worker("fair-a"), PUBLIC_URL: `http://127.0.0.1:${port}` }, { port });
  b = await startApi(worker("fair-b"), { database: a.database });
  const demo = await seedDemo(a.prisma, { scenario });
  token = await a.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  integrationId = (await connectGong(a.url, token)).integrationId;
}, 90_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
  await gong?.close();
});

describe("workers", () => {
  it("claim no more jobs than they can start, and share a burst of imports", async () => {
    // Every provider request takes a while: each import holds its slot for seconds.
    gong.behaviours.latencyMs = 400;
    const pool = a.runtime.db.pool;
    // Per worker, the most jobs (imports / all) it held claimed through STABLE consecutive samples:
    // Agenda's queue fills can race and lock one job too many, which it releases at once (one
    // round trip); a claim that lasts is what would make a job wait on this worker.
    const STABLE = 3;
    const peaks = new Map<string, { imports: number; all: number }>();
    const history: Map<string, { name: string; worker: string }>[] = [];
    // How long each claimed one-off job waited on its worker before it started (claimed, never
    // run: its touches move locked_at later, so "run before the lock" would misread a running job).
    const waiting = new Map<string, { first: number; last: number }>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const { rows } = await pool.query<{ id: string; name: string; worker: string; started: boolean }>(
          `SELECT id, name, last_modified_by AS worker,
                  last_run_at IS NOT NULL OR repeat_interval IS NOT NULL AS started
             FROM agenda_jobs WHERE locked_at IS NOT NULL`,
        );
        const now = Date.now();
        for (const r of rows.filter((r) => !r.started)) {
          const w = waiting.get(r.id) ?? { first: now, last: now };
          waiting.set(r.id, { first: w.first, last: now });
        }
        history.push(new Map(rows.map((r) => [r.id, { name: r.name, worker: r.worker }])));
        if (history.length >= STABLE) {
          const recent = history.slice(-STABLE);
          const stable = [...recent[0]!].filter(([id, j]) => recent.every((h) => h.get(id)?.worker === j.worker));
          for (const worker of new Set(stable.map(([, j]) => j.worker))) {
            const mine = stable.filter(([, j]) => j.worker === worker);
            const peak = peaks.get(worker) ?? { imports: 0, all: 0 };
            peaks.set(worker, {
              imports: Math.max(peak.imports, mine.filter(([, j]) => j.name === JOB.importUser).length),
              all: Math.max(peak.all, mine.length),
            });
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const started = await gql(a.url, ProcStartSyncDocument, { integrationId }, token);
    expect(started.errors).toBeUndefined();
    // Webhook imports of announced calls at the same moment: 10 jobs of a third type (listing,
    // imports, webhooks), each a slow provider request.
    const announced = gong.dataset.calls.slice(0, 10).map((c) => String(c.metaData.id));
    for (const id of announced) await a.runtime.jobs.webhookCalls(localId(integrationId), [id]);
    const runId = localId(started.data!.startSync.id);
    const run = await pollUntil(
      "the backfill to finish",
      async () => {
        const r = await a.prisma.syncRun.findUniqueOrThrow({ where: { id: runId }, include: { users: true } });
        return r.status === "RUNNING" ? undefined : r;
      },
      90_000,
    );
    watching = false;
    await watch;
    gong.behaviours.latencyMs = 0;

    expect(run.status).toBe("COMPLETED");
    expect(run.users.filter((u) => u.state === "COMPLETED")).toHaveLength(USERS);
    // Never more claimed than startable: per type its concurrency, in all JOB_MAX_CONCURRENCY.
    expect([...peaks.keys()].sort()).toEqual(["fair-a", "fair-b"]);
    for (const [worker, peak] of peaks) {
      expect(peak.imports, `${worker}: imports claimed at once`).toBeLessThanOrEqual(IMPORT_CONCURRENCY);
      expect(peak.all, `${worker}: jobs claimed at once`).toBeLessThanOrEqual(MAX_CONCURRENCY);
    }
    // A claimed job starts at once, far inside its 60 s lease (a round trip; seconds only on a
    // loaded machine; a worker that claimed the whole burst kept the last imports waiting).
    const longestWait = Math.max(0, ...[...waiting.values()].map((w) => w.last - w.first));
    expect(longestWait).toBeLessThan(10_000);
    // The burst of 12 imports was shared: each worker ran some of them.
    const { rows } = await pool.query<{ worker: string; n: number }>(
      `SELECT last_modified_by AS worker, count(*)::int AS n FROM agenda_jobs WHERE name = $1 GROUP BY 1 ORDER BY 1`,
      [JOB.importUser],
    );
    expect(rows.map((r) => r.worker)).toEqual(["fair-a", "fair-b"]);
    for (const r of rows) expect(r.n, `imports run by ${r.worker}`).toBeGreaterThanOrEqual(2);
  }, 150_000);
});
