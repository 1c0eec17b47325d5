/**
 * Queue health as Prometheus gauges, read from the jobs table when /metrics is scraped, so any
 * API process reports the whole fleet's queue (workers need no listener of their own):
 *
 *   callsync_jobs_due{name}          claimable now (due and unclaimed, or claimed by a dead worker)
 *   callsync_jobs_running{name}      claimed within their lease
 *   callsync_jobs_overdue{name}      due for longer than JOB_OVERDUE_AFTER_MS and still not started
 *   callsync_jobs_lag_seconds{name}  how long the oldest due job has been waiting (0 when none)
 *   callsync_jobs_rows{name}         rows per job type; callsync_jobs_table_rows: the whole table
 *
 * One query per scrape feeds every gauge. /ready does not look at any of this: a backlog is an
 * alert, not a reason to take the API out of the load balancer.
 */
import type pg from "pg";
import { Gauge, type Registry } from "prom-client";

export interface QueueMetricsOptions {
  pool: pg.Pool;
  registry: Registry;
  /** Job names always reported, with zeros when they have no rows. */
  names: readonly string[];
  lockLifetimeMs: number;
  overdueAfterMs: number;
  table?: string;
}

interface Row {
  name: string;
  due: number;
  running: number;
  overdue: number;
  lag: number;
  rows: number;
}

export interface QueueSnapshot {
  byName: Map<string, Omit<Row, "name">>;
  tableRows: number;
}

/** The queue's state now, per job name. */
export async function queueSnapshot(
  pool: pg.Pool,
  options: Pick<QueueMetricsOptions, "lockLifetimeMs" | "overdueAfterMs" | "table">,
): Promise<QueueSnapshot> {
  const table = options.table ?? "agenda_jobs";
  const { rows } = await pool.query<Row>(
    `WITH s AS (
       SELECT name, locked_at, next_run_at,
              NOT disabled AND ((locked_at IS NULL AND next_run_at <= now())
                                OR locked_at <= now() - make_interval(secs => $1 / 1000.0)) AS due
         FROM ${table})
     SELECT name,
            count(*) FILTER (WHERE due)::int AS due,
            count(*) FILTER (WHERE locked_at > now() - make_interval(secs => $1 / 1000.0))::int AS running,
            count(*) FILTER (WHERE due AND COALESCE(next_run_at, locked_at) <= now() - make_interval(secs => $2 / 1000.0))::int AS overdue,
            COALESCE(EXTRACT(EPOCH FROM now() - min(COALESCE(next_run_at, locked_at)) FILTER (WHERE due)), 0)::float8 AS lag,
            count(*)::int AS rows
       FROM s GROUP BY name`,
    [options.lockLifetimeMs, options.overdueAfterMs],
  );
  const byName = new Map(rows.map(({ name, ...rest }) => [name, { ...rest, lag: Math.max(0, rest.lag) }]));
  return { byName, tableRows: rows.reduce((n, r) => n + r.rows, 0) };
}

export function registerQueueMetrics(options: QueueMetricsOptions): void {
  const { registry } = options;
  // Every gauge's collect() runs on each scrape; they share one snapshot per scrape.
  let pending: Promise<QueueSnapshot> | null = null;
  const snapshot = () => {
    pending ??= queueSnapshot(options.pool, options).finally(() => {
      setImmediate(() => {
        pending = null;
      });
    });
    return pending;
  };
  const perName = (name: string, help: string, field: keyof Omit<Row, "name">) =>
    new Gauge({
      name,
      help,
      labelNames: ["name"],
      registers: [registry],
      async collect() {
        const { byName } = await snapshot();
        this.reset();
        for (const job of new Set([...options.names, ...byName.keys()]))
          this.set({ name: job }, byName.get(job)?.[field] ?? 0);
      },
    });
  perName("callsync_jobs_due", "Jobs that are due and not started (or whose worker died), per job type", "due");
  perName("callsync_jobs_running", "Jobs claimed by a live worker, per job type", "running");
  perName("callsync_jobs_overdue", "Due jobs not started within JOB_OVERDUE_AFTER_MS, per job type", "overdue");
  perName("callsync_jobs_lag_seconds", "How long the oldest due job has been waiting to start, per job type", "lag");
  perName("callsync_jobs_rows", "Rows in the jobs table, per job type", "rows");
  new Gauge({
    name: "callsync_jobs_table_rows",
    help: "Rows in the jobs table",
    registers: [registry],
    async collect() {
      this.set((await snapshot()).tableRows);
    },
  });
}
