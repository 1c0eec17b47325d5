/**
 * Queue health on /metrics: due, running and overdue jobs per type, the oldest due job's wait,
 * the jobs table's size. An API process without a worker, jobs placed in the table directly,
 * so each number is known.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB } from "../../src/jobs/queue.js";
import { startApi, type TestApi } from "../support/api.js";

let api: TestApi;
let base: string;

beforeAll(async () => {
  api = await startApi({ JOB_OVERDUE_AFTER_MS: "60000", JOB_LOCK_LIFETIME_MS: "30000" });
  base = api.url.replace(/\/graphql$/, "");
});

afterAll(async () => {
  await api?.close();
});

/** The value of one sample, e.g. sample(text, "callsync_jobs_due", { name: "sync:run-users" }). */
function sample(text: string, metric: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== metric) continue;
    const have = (m[2] ?? "").split(",").filter(Boolean);
    if (want.every((l) => have.includes(l)) && have.length === want.length) return Number(m[3]);
  }
  return undefined;
}

describe("queue metrics", () => {
  it("reports due, running and overdue jobs per type, the scheduling lag and the table size", async () => {
    const { agenda } = api.runtime.jobs;
    const pool = api.runtime.db.pool;
    // Two imports due now, one due for 5 minutes (overdue), one in the future.
    await agenda.now(JOB.importUser, { statusId: "a" });
    await agenda.now(JOB.importUser, { statusId: "b" });
    await agenda.schedule(new Date(Date.now() - 5 * 60_000), JOB.importUser, { statusId: "late" });
    await agenda.schedule(new Date(Date.now() + 3_600_000), JOB.importUser, { statusId: "later" });
    // One run-users job claimed by a live worker, one by a worker that died 2 minutes ago.
    await agenda.now(JOB.runUsers, { runId: "live" });
    await agenda.now(JOB.runUsers, { runId: "dead" });
    await pool.query(`UPDATE agenda_jobs SET locked_at = now() WHERE data->>'runId' = 'live'`);
    await pool.query(`UPDATE agenda_jobs SET locked_at = now() - interval '2 minutes', next_run_at = now() - interval '2 minutes'
                       WHERE data->>'runId' = 'dead'`);

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const imports = { name: JOB.importUser };
    const runs = { name: JOB.runUsers };
    expect(sample(text, "callsync_jobs_due", imports)).toBe(3);
    expect(sample(text, "callsync_jobs_overdue", imports)).toBe(1);
    expect(sample(text, "callsync_jobs_running", imports)).toBe(0);
    expect(sample(text, "callsync_jobs_lag_seconds", imports)).toBeGreaterThanOrEqual(299);
    expect(sample(text, "callsync_jobs_lag_seconds", imports)).toBeLessThan(400);
    expect(sample(text, "callsync_jobs_rows", imports)).toBe(4);
    // The dead worker's job is due again (and overdue); the live one is running.
    expect(sample(text, "callsync_jobs_running", runs)).toBe(1);
    expect(sample(text, "callsync_jobs_due", runs)).toBe(1);
    expect(sample(text, "callsync_jobs_overdue", runs)).toBe(1);
    // Types without rows report zeros; the whole table is counted.
    expect(sample(text, "callsync_jobs_due", { name: JOB.transcripts })).toBe(0);
    expect(sample(text, "callsync_jobs_lag_seconds", { name: JOB.transcripts })).toBe(0);
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM agenda_jobs`);
    expect(sample(text, "callsync_jobs_table_rows")).toBe(rows[0]!.n);
  });

  it("keeps /ready about the database: a backlog of overdue jobs does not make the API unready", async () => {
    const { agenda } = api.runtime.jobs;
    for (let i = 0; i < 20; i++)
      await agenda.schedule(new Date(Date.now() - 3_600_000), JOB.transcripts, { integrationId: `i${i}` });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(sample(metrics, "callsync_jobs_overdue", { name: JOB.transcripts })).toBe(20);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
  });
});
