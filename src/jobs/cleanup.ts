/**
 * Bounded job storage. Agenda keeps the row of every one-off job after it finished (a sync
 * leaves four: run-users, the per-user imports, the transcript follow-up), in the table every
 * worker polls. A recurring job deletes those finished longer ago than the retention, failed ones
 * after a longer one (kept for diagnosis), in batches so no statement holds many row locks.
 *
 * What users see of a sync (runs, per-user results, errors) lives in callsync's own tables
 * (SyncRun, SyncUserStatus); the job rows are only the queue's bookkeeping.
 *
 * The same job removes webhook deliveries (WebhookDelivery: one row per accepted body, how a
 * replay is told from a new event) older than their retention. A signed Gong delivery expires
 * long before that (its JWT `exp`); a replay older than the retention that still got through
 * would only import the same call again, which is idempotent.
 */
import type pg from "pg";

export interface RetentionSettings {
  /** Successful one-off jobs are deleted this long after they finished. */
  finishedMs: number;
  /** Failed one-off jobs are deleted this long after they failed. */
  failedMs: number;
  /** How often the clean-up job runs. */
  everyMs: number;
  /** Rows one DELETE removes at most. */
  batchSize: number;
  /** Accepted webhook deliveries are forgotten this long after they arrived. */
  webhookDeliveriesMs: number;
}

/** Batches one clean-up run deletes at most; the rest waits for the next run. */
const MAX_BATCHES_PER_RUN = 100;

/**
 * A finished one-off job: not recurring, no next run, not claimed. Agenda marks a failure by
 * `failed_at = last_finished_at`; a later success moves `last_finished_at` past it.
 */
const FINISHED = `next_run_at IS NULL AND locked_at IS NULL AND repeat_interval IS NULL AND repeat_at IS NULL
  AND last_finished_at IS NOT NULL`;

/** The index the clean-up reads by (finished one-off jobs, oldest first). */
export const cleanupIndexSql = (table: string) =>
  `CREATE INDEX IF NOT EXISTS callsync_finished_jobs_idx ON ${table} (last_finished_at)
     WHERE next_run_at IS NULL AND repeat_interval IS NULL AND repeat_at IS NULL`;

/**
 * Deletes finished one-off jobs beyond their retention, `batchSize` rows per statement, until
 * none is left (or MAX_BATCHES_PER_RUN). `afterBatch` runs between batches (the job's lock touch).
 */
export async function removeFinishedJobs(
  pool: pg.Pool,
  settings: Pick<RetentionSettings, "finishedMs" | "failedMs" | "batchSize">,
  options: { table?: string; now?: Date; afterBatch?: () => Promise<void> } = {},
): Promise<{ removed: number }> {
  const table = options.table ?? "agenda_jobs";
  const now = (options.now ?? new Date()).getTime();
  const finishedBefore = new Date(now - settings.finishedMs);
  const failedBefore = new Date(now - settings.failedMs);
  let removed = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
    // SKIP LOCKED: a second worker's clean-up (or a row being touched) never waits on this one.
    const result = await pool.query(
      `DELETE FROM ${table} WHERE id IN (
         SELECT id FROM ${table}
          WHERE ${FINISHED}
            AND last_finished_at < GREATEST($1::timestamptz, $2::timestamptz)
            AND CASE WHEN failed_at IS NOT NULL AND failed_at >= last_finished_at
                     THEN last_finished_at < $2 ELSE last_finished_at < $1 END
          ORDER BY last_finished_at
          LIMIT $3
          FOR UPDATE SKIP LOCKED)`,
      [finishedBefore, failedBefore, settings.batchSize],
    );
    const n = result.rowCount ?? 0;
    removed += n;
    if (n < settings.batchSize) break;
    await options.afterBatch?.();
  }
  return { removed };
}

/**
 * Deletes webhook deliveries received more than `webhookDeliveriesMs` ago, oldest first,
 * `batchSize` rows per statement (by the receivedAt index), until none is left or MAX_BATCHES_PER_RUN.
 */
export async function removeOldWebhookDeliveries(
  pool: pg.Pool,
  settings: Pick<RetentionSettings, "webhookDeliveriesMs" | "batchSize">,
  options: { now?: Date; afterBatch?: () => Promise<void> } = {},
): Promise<{ removed: number }> {
  const before = new Date((options.now ?? new Date()).getTime() - settings.webhookDeliveriesMs);
  let removed = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
    const result = await pool.query(
      `DELETE FROM "WebhookDelivery" WHERE id IN (
         SELECT id FROM "WebhookDelivery" WHERE "receivedAt" < $1
          ORDER BY "receivedAt" LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, settings.batchSize],
    );
    const n = result.rowCount ?? 0;
    removed += n;
    if (n < settings.batchSize) break;
    await options.afterBatch?.();
  }
  return { removed };
}
