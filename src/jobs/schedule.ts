/**
 * Spread, drift-free recurring syncs.
 *
 * Each integration's syncs fall on a fixed grid: phase + k × interval (from the Unix epoch). The
 * phase comes from the integration's `scheduleSlot` (an ordinal assigned once, at creation) by the
 * golden-ratio sequence frac(slot × 0.618…) × interval: any n consecutive slots cut the interval
 * into gaps of at most three sizes, the smallest above interval / (φ² n) ≈ 0.38 × interval / n
 * (the three-gap theorem), so integrations connected together are spread evenly and later ones
 * fill the largest gaps — no coordination, no rebalancing, and a phase never changes.
 *
 * A run consumes one slot: the next is due one interval after the slot it ran for, whatever its
 * start lag (no drift). A run started so late that the following slot is (almost) gone waits for
 * the one after, so an outage never ends in a burst of catch-up syncs. Sync now and retries are
 * separate one-off jobs and never move the grid.
 */
import type pg from "pg";

/** 1/φ: the golden-ratio sequence's step. */
const INVERSE_GOLDEN_RATIO = (Math.sqrt(5) - 1) / 2;

/** The least time between a scheduled run being planned and its start (at most this much). */
const MAX_LEAD_MS = 60_000;

export interface SyncSchedule {
  scheduleSlot: number;
  syncIntervalMinutes: number;
}

export const intervalMsOf = (s: Pick<SyncSchedule, "syncIntervalMinutes">) => s.syncIntervalMinutes * 60_000;

/** Where within the interval an integration's syncs fall, in ms from the start of an interval. */
export function phaseMs(slot: number, intervalMs: number): number {
  const fraction = (slot * INVERSE_GOLDEN_RATIO) % 1;
  return Math.floor(fraction * intervalMs);
}

/** The first grid time (phase + k × interval) at or after `fromMs`. */
export function gridTimeAtOrAfter(phase: number, intervalMs: number, fromMs: number): number {
  return phase + Math.ceil((fromMs - phase) / intervalMs) * intervalMs;
}

const leadMs = (intervalMs: number) => Math.min(intervalMs / 2, MAX_LEAD_MS);

/**
 * When the next scheduled sync is due. `dueAt` is the slot the run now starting was scheduled
 * for (null for the first one): the next is one interval after it, or the first slot at least a
 * short lead from now when that has passed.
 */
export function nextScheduledRun(schedule: SyncSchedule, dueAt: Date | null, now = new Date()): Date {
  const intervalMs = intervalMsOf(schedule);
  const phase = phaseMs(schedule.scheduleSlot, intervalMs);
  const from = Math.max(dueAt ? dueAt.getTime() + intervalMs : 0, now.getTime() + leadMs(intervalMs));
  return new Date(gridTimeAtOrAfter(phase, intervalMs, from));
}

/** Agenda's repeat interval of a schedule (a fallback only: every run sets its next run itself). */
export const repeatIntervalOf = (s: Pick<SyncSchedule, "syncIntervalMinutes">) => `${s.syncIntervalMinutes} minutes`;

/**
 * Moves recurring-sync jobs that are not on their integration's grid (scheduled before phases
 * existed, or whose interval changed) to the grid slot nearest their current next run that is
 * still ahead. Idempotent: jobs already on the grid are left alone. Runs at start-up.
 */
export async function alignScheduledJobs(pool: pg.Pool, jobName: string, now = new Date()): Promise<number> {
  const { rows } = await pool.query<{
    id: string;
    next_run_at: Date | null;
    repeat_interval: string | null;
    due_at: string | null;
    scheduleSlot: number;
    syncIntervalMinutes: number;
  }>(
    `SELECT j.id, j.next_run_at, j.repeat_interval, j.data->>'dueAt' AS due_at,
            i."scheduleSlot", i."syncIntervalMinutes"
       FROM agenda_jobs j JOIN "Integration" i ON i.id::text = j.data->>'integrationId'
      WHERE j.name = $1 AND j.locked_at IS NULL`,
    [jobName],
  );
  let moved = 0;
  for (const row of rows) {
    const intervalMs = intervalMsOf(row);
    const phase = phaseMs(row.scheduleSlot, intervalMs);
    const current = row.next_run_at?.getTime() ?? now.getTime();
    const onGrid =
      row.next_run_at !== null &&
      gridTimeAtOrAfter(phase, intervalMs, current) === current &&
      row.due_at !== null &&
      Date.parse(row.due_at) === current &&
      row.repeat_interval === repeatIntervalOf(row);
    if (onGrid) continue;
    const next = gridTimeAtOrAfter(
      phase,
      intervalMs,
      Math.max(now.getTime() + leadMs(intervalMs), current - intervalMs / 2),
    );
    const updated = await pool.query(
      `UPDATE agenda_jobs
          SET next_run_at = $2, repeat_interval = $3, data = data || jsonb_build_object('dueAt', $4::text)
        WHERE id = $1 AND locked_at IS NULL`,
      [row.id, new Date(next), repeatIntervalOf(row), new Date(next).toISOString()],
    );
    moved += updated.rowCount ?? 0;
  }
  return moved;
}

/** Sets a recurring-sync job's next run and the slot it is for (kept in its data as `dueAt`). */
export async function setNextScheduledRun(pool: pg.Pool, jobId: string, next: Date): Promise<void> {
  await pool.query(
    `UPDATE agenda_jobs SET next_run_at = $2, data = data || jsonb_build_object('dueAt', $3::text) WHERE id = $1`,
    [jobId, next, next.toISOString()],
  );
}
