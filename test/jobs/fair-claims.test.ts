/**
 * Fair work distribution: a worker claims no more jobs than it can start at once (per type
 * IMPORT_CONCURRENCY for per-user imports, JOB_MAX_CONCURRENCY in all), so a burst of imports is
 * shared by every worker instead of being locked by the first one that polls, and no claimed job
 * waits in a worker's memory while its lease runs out. Two real worker runtimes (Agenda) on one
 * database, a real sync against the Gong simulator made slow by its latency switch so the burst
 * lasts; PostgreSQL logs every claim and release of a lock (test/support/claim-log.ts) and the
 * replayed log must never show a worker holding more than its limits, not even for the one
 * round trip Agenda takes to give back a claim it should not have made; a burst of webhook imports (another job type, with
 * its own per-type limit) comes at the same time, so the per-type limits together exceed what a
 * worker runs at once and only the overall lock limit keeps its claims startable.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB } from "../../src/jobs/queue.js";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, gongOAuthEnv, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { ProcStartSyncDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { installClaimLog, readClaimLog, replayClaims } from "../support/claim-log.js";
import { freePort } from "../support/net.js";
import { connectGong, gql, localId, pollUntil } from "../support/processes.js";

const USERS = 12;
const IMPORT_CONCURRENCY = 2;
const MAX_CONCURRENCY = 3;
/** The default JOB_LOCK_LIFETIME_MS: no lock here lives that long unrenewed. */
const LOCK_LIFETIME_MS = 60_000;

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
    ...gongOAuthEnv(gong),
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
    // Every claim and release, logged by PostgreSQL as it commits (test/support/claim-log.ts).
    await installClaimLog(pool);

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
    gong.behaviours.latencyMs = 0;

    expect(run.status).toBe("COMPLETED");
    expect(run.users.filter((u) => u.state === "COMPLETED")).toHaveLength(USERS);
    // Never more claimed than startable, at any instant: per type its concurrency, in all
    // JOB_MAX_CONCURRENCY — not even for the round trip it takes to give a surplus claim back.
    const events = await readClaimLog(pool);
    const replay = replayClaims(events, JOB.importUser, LOCK_LIFETIME_MS);
    expect(replay.claims).toBeGreaterThanOrEqual(USERS + announced.length);
    expect([...replay.peaks.keys()].sort()).toEqual(["fair-a", "fair-b"]);
    const peaks = [...replay.peaks].map(
      ([w, p]) => `${w}: ${p.ofName} imports (seq ${p.ofNameAt}), ${p.all} in all (seq ${p.allAt})`,
    );
    for (const [worker, peak] of replay.peaks) {
      expect(peak.ofName, `${worker}: imports claimed at once; ${peaks.join("; ")}`).toBeLessThanOrEqual(
        IMPORT_CONCURRENCY,
      );
      expect(peak.all, `${worker}: jobs claimed at once; ${peaks.join("; ")}`).toBeLessThanOrEqual(MAX_CONCURRENCY);
    }
    // A claimed job starts at once, far inside its 60 s lease (a round trip; seconds only on a
    // loaded machine; a worker that claimed the whole burst kept the last imports waiting).
    expect(replay.waits.length).toBeGreaterThanOrEqual(USERS + announced.length);
    expect(Math.max(...replay.waits)).toBeLessThan(10_000);
    // The burst of 12 imports was shared: each worker ran some of them.
    const { rows } = await pool.query<{ worker: string; n: number }>(
      `SELECT last_modified_by AS worker, count(*)::int AS n FROM agenda_jobs WHERE name = $1 GROUP BY 1 ORDER BY 1`,
      [JOB.importUser],
    );
    expect(rows.map((r) => r.worker)).toEqual(["fair-a", "fair-b"]);
    for (const r of rows) expect(r.n, `imports run by ${r.worker}`).toBeGreaterThanOrEqual(2);
  }, 150_000);
});
