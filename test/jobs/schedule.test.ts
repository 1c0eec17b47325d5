/**
 * Spread, drift-free recurring syncs: integrations connected at the same moment get phases
 * spread across the interval, and the k-th scheduled run is due at phase + k × interval however
 * late the runs before it started. Real Agenda jobs on a real database; the integrations are
 * written directly (connected, backfill chosen) and started through the wizard, as startSync does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB } from "../../src/jobs/queue.js";
import { alignScheduledJobs, phaseMs } from "../../src/jobs/schedule.js";
import { startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";
import { pollUntil } from "../support/processes.js";

const N = 40;
const INTERVAL_MS = 120 * 60_000;

let api: TestApi;
const integrations: { id: string; adminId: string }[] = [];

beforeAll(async () => {
  api = await startApi({ JOB_PROCESS_EVERY_MS: "200" });
  for (let i = 0; i < N; i++) {
    const { workspace, admin } = await createWorkspace(api.prisma, `Spread ${i}`, null);
    const integration = await api.prisma.integration.create({
      data: {
        workspaceId: workspace.id,
        provider: "GONG",
        status: "CONNECTED",
        wizardStep: "SYNC",
        backfillPeriod: "DAYS_30",
        backfillFrom: new Date(Date.now() - 30 * 86_400_000),
      },
    });
    integrations.push({ id: integration.id, adminId: admin.id });
  }
}, 60_000);

afterAll(async () => {
  await api?.close();
});

const jobOf = async (integrationId: string) => {
  const { rows } = await api.runtime.db.pool.query<{
    next_run_at: Date;
    last_run_at: Date | null;
    finished: boolean;
  }>(
    `SELECT next_run_at, last_run_at,
            locked_at IS NULL AND last_finished_at IS NOT NULL AND last_finished_at >= last_run_at AS finished
       FROM agenda_jobs WHERE name = $1 AND data->>'integrationId' = $2`,
    [JOB.scheduled, integrationId],
  );
  return rows[0];
};

/** Gaps between consecutive phases around the interval (the last one wraps to the first). */
function circularGaps(times: number[], intervalMs: number): number[] {
  const phases = times.map((t) => ((t % intervalMs) + intervalMs) % intervalMs).sort((a, b) => a - b);
  return phases.map((p, i) => (i + 1 < phases.length ? phases[i + 1]! : phases[0]! + intervalMs) - p);
}

describe("recurring syncs", () => {
  it("of integrations connected at the same moment are spread evenly across the interval", async () => {
    const before = Date.now();
    await Promise.all(integrations.map((i) => api.runtime.services.wizard.startSync(i.id, i.adminId)));
    const rows = await api.prisma.integration.findMany({
      where: { id: { in: integrations.map((i) => i.id) } },
      select: { id: true, nextSyncAt: true, scheduleSlot: true },
    });
    const next = rows.map((r) => r.nextSyncAt!.getTime());
    // Each one's first scheduled run comes within one interval, on its phase, and the job agrees.
    for (const r of rows) {
      const at = r.nextSyncAt!.getTime();
      expect(at).toBeGreaterThan(before);
      expect(at).toBeLessThanOrEqual(Date.now() + INTERVAL_MS + 60_000);
      expect(((at % INTERVAL_MS) + INTERVAL_MS) % INTERVAL_MS).toBe(phaseMs(r.scheduleSlot, INTERVAL_MS));
      expect((await jobOf(r.id))!.next_run_at.getTime()).toBe(at);
    }
    // No two closer than interval / N × 1/3, and no hole wider than 3 × interval / N.
    const gaps = circularGaps(next, INTERVAL_MS);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(INTERVAL_MS / N / 3);
    expect(Math.max(...gaps)).toBeLessThanOrEqual((3 * INTERVAL_MS) / N);
    // Phases are stable: scheduling again (another process, a repeated startSync) changes nothing.
    const again = await api.runtime.jobs.queue.schedule({
      id: rows[0]!.id,
      scheduleSlot: rows[0]!.scheduleSlot,
      syncIntervalMinutes: 120,
    });
    expect(again.getTime()).toBe(rows[0]!.nextSyncAt!.getTime());
  });

  it("are due at phase + k × interval for the k-th run, whatever each run's start lag", async () => {
    // Only the recurring jobs are left; the backfills stay RUNNING, so each scheduled run only
    // reschedules (SYNC_IN_PROGRESS) — the grid is what is under test.
    await api.runtime.db.pool.query(`DELETE FROM agenda_jobs WHERE name <> $1`, [JOB.scheduled]);
    await api.runtime.jobs.startWorking(api.runtime.engine);
    const { id } = integrations[7]!;
    const first = (await jobOf(id))!.next_run_at.getTime();
    for (let k = 1; k <= 3; k++) {
      // The slot "arrives", and the run starts k × 7 seconds late.
      const due = (await jobOf(id))!.next_run_at.getTime();
      const forcedAt = Date.now();
      await api.runtime.db.pool.query(
        `UPDATE agenda_jobs SET next_run_at = now() - make_interval(secs => $2) WHERE name = $1 AND data->>'integrationId' = $3`,
        [JOB.scheduled, 7 * k, id],
      );
      const ran = await pollUntil("the scheduled run", async () => {
        const job = await jobOf(id);
        return job?.finished && job.last_run_at!.getTime() >= forcedAt ? job : undefined;
      });
      expect(ran.next_run_at.getTime()).toBe(first + k * INTERVAL_MS);
      expect(ran.next_run_at.getTime()).toBe(due + INTERVAL_MS);
      const integration = await api.prisma.integration.findUniqueOrThrow({ where: { id } });
      expect(integration.nextSyncAt!.getTime()).toBe(first + k * INTERVAL_MS);
    }
    // The other integrations' slots did not move.
    const other = integrations[8]!.id;
    const otherNext = (await api.prisma.integration.findUniqueOrThrow({ where: { id: other } })).nextSyncAt!;
    expect((await jobOf(other))!.next_run_at.getTime()).toBe(otherNext.getTime());
  }, 60_000);

  it("scheduled before phases existed move to their phase at start-up: the next slot ahead, at most half an interval early", async () => {
    const { id } = integrations[20]!;
    const integration = await api.prisma.integration.findUniqueOrThrow({ where: { id } });
    // The old schedule: start + interval, whatever minute that was, no slot in the data.
    const old = Date.now() + 37 * 60_000 + 12_345;
    await api.runtime.db.pool.query(
      `UPDATE agenda_jobs SET next_run_at = $3, data = jsonb_build_object('integrationId', $2::text)
        WHERE name = $1 AND data->>'integrationId' = $2`,
      [JOB.scheduled, id, new Date(old)],
    );
    expect(await alignScheduledJobs(api.runtime.db.pool, JOB.scheduled)).toBe(1);
    const moved = (await jobOf(id))!.next_run_at.getTime();
    expect(((moved % INTERVAL_MS) + INTERVAL_MS) % INTERVAL_MS).toBe(phaseMs(integration.scheduleSlot, INTERVAL_MS));
    // The first slot still ahead that is at most half an interval earlier than the old run.
    const from = Math.max(Date.now(), old - INTERVAL_MS / 2);
    expect(moved).toBeGreaterThanOrEqual(from);
    expect(moved).toBeLessThan(from + 60_000 + INTERVAL_MS);
    // Idempotent: on the grid, nothing moves again.
    expect(await alignScheduledJobs(api.runtime.db.pool, JOB.scheduled)).toBe(0);
  });
});
