/**
 * Agenda 6 on PostgreSQL: the job names, their payloads, and the JobQueue the sync engine
 * uses. Every process can enqueue (producer); only workers process (`startWorking`).
 *
 * - sync:run-users   {runId}          list and match provider users, fan out imports
 * - sync:import-user {statusId}       one user's import, checkpointed per page
 * - sync:transcripts {integrationId}  follow-ups for transcripts that were not ready
 * - sync:webhook-calls {integrationId, providerCallIds}  calls a verified webhook announced (src/webhooks)
 * - sync:scheduled   {integrationId, dueAt}  the recurring sync (one per integration, by a unique
 *                                   index), on its integration's grid (schedule.ts)
 * - jobs:cleanup      {}               deletes finished one-off jobs and old webhook deliveries after their retention (cleanup.ts)
 * - privacy:retention {}               daily: calls older than their workspace's retention window lose their content
 *
 * A job whose worker died is unlocked after its lock lifetime and taken by another worker.
 * Every job runs under a JobLease (src/sync/lease.ts): its lock is renewed every third of the
 * lifetime while the handler runs or waits, so a live job is never claimed twice; a runner that
 * lost its lock anyway (stalled past the lifetime, claimed again) stops before its next write,
 * and its end is not saved (Agenda would clear the lock of the worker that took the job over).
 *
 * Fair distribution: a worker claims at most as many jobs of a type as it runs at once (lock
 * limit = concurrency, in all at most JOB_MAX_CONCURRENCY), so every job it holds starts at
 * once, long before its lease could expire, and a burst is shared by all workers instead of
 * being taken by the first one that polls. Agenda's own limits race (concurrent queue fills
 * over-claim for a moment) and leak a slot per job whose lock expired before it started: its
 * claims go through a gate that holds the limits, and skipped jobs leave its counts (claims.ts).
 * A finished job frees a slot: the worker is woken to claim the next one instead of waiting
 * for its next poll.
 */
import { PostgresBackend } from "@agendajs/postgres-backend";
import { Agenda, InMemoryNotificationChannel, type Job, type NotificationChannel } from "agenda";
import type pg from "pg";
import type { Logger } from "../logger.js";
import type { JobQueue, SyncEngine } from "../sync/engine.js";
import { JobLease, LeaseLost } from "../sync/lease.js";
import { gateClaims, processorOf, releaseDropped } from "./claims.js";
import { cleanupIndexSql, type RetentionSettings, removeFinishedJobs, removeOldWebhookDeliveries } from "./cleanup.js";
import { alignScheduledJobs, nextScheduledRun, repeatIntervalOf, setNextScheduledRun } from "./schedule.js";

export const JOB = {
  runUsers: "sync:run-users",
  importUser: "sync:import-user",
  transcripts: "sync:transcripts",
  webhookCalls: "sync:webhook-calls",
  scheduled: "sync:scheduled",
  cleanup: "jobs:cleanup",
  retention: "privacy:retention",
} as const;

export interface JobsOptions {
  pool: pg.Pool;
  /** Embedded PGlite: no LISTEN/NOTIFY, in-process notifications instead. */
  embedded: boolean;
  log: Logger;
  name: string;
  lockLifetimeMs: number;
  processEveryMs: number;
  /** Jobs this worker runs at once, in all, and per-user imports among them. */
  maxConcurrency: number;
  importConcurrency: number;
  retention: RetentionSettings;
  /** How often a worker looks for runs nobody works on (default: the lock lifetime). */
  recoverEveryMs?: number;
}

export interface Jobs {
  agenda: Agenda;
  queue: JobQueue;
  /** False while the LISTEN connection is down (jobs are still found by polling meanwhile). */
  listening(): boolean;
  /** Queues the import of calls a verified webhook announced. */
  webhookCalls(integrationId: string, providerCallIds: string[]): Promise<void>;
  /** Defines the handlers and starts processing (workers only). */
  startWorking(engine: SyncEngine): Promise<void>;
  stop(): Promise<void>;
}

const isUniqueViolation = (e: unknown) =>
  (e as { code?: string }).code === "23505" || /duplicate key/.test(String((e as Error).message));

/** Key of the advisory lock that serialises the job tables' set-up between processes. */
const SCHEMA_LOCK_KEY = 4_242_001;

/** Concurrency (and lock limit) per worker of the job types without their own setting. */
const DEFAULT_CONCURRENCY = 4;

export async function createJobs(options: JobsOptions): Promise<Jobs> {
  // The backend creates its tables and indexes with CREATE … IF NOT EXISTS, which is not safe
  // when processes start at once on a fresh database (23505 on pg_class / pg_type: one of them
  // crashes). An advisory lock lets one process at a time do it. Embedded PGlite has a single
  // connection and a single process: no lock there.
  const setupLock = options.embedded ? null : await options.pool.connect();
  try {
    await setupLock?.query("SELECT pg_advisory_lock($1)", [SCHEMA_LOCK_KEY]);
    return await createJobsLocked(options);
  } finally {
    if (setupLock) {
      await setupLock.query("SELECT pg_advisory_unlock($1)", [SCHEMA_LOCK_KEY]).catch(() => {});
      setupLock.release();
    }
  }
}

async function createJobsLocked(options: JobsOptions): Promise<Jobs> {
  const backend = new PostgresBackend({ pool: options.pool, disableNotifications: options.embedded });
  const channel = options.embedded ? new InMemoryNotificationChannel() : backend.notificationChannel;
  const agenda = new Agenda({
    backend,
    name: options.name,
    processEvery: options.processEveryMs,
    defaultLockLifetime: options.lockLifetimeMs,
    defaultConcurrency: DEFAULT_CONCURRENCY,
    maxConcurrency: options.maxConcurrency,
    // Never claim more than can run: claimed jobs wait for nothing but a free slot.
    lockLimit: options.maxConcurrency,
    ...(channel ? { notificationChannel: channel } : {}),
  });
  await agenda.ready;
  // Agenda saves a job's end (and touches) without asking whose lock it is: the end of a runner
  // that lost its lease would unlock, or mark finished, the job another worker now runs.
  const superseded = new WeakSet<object>();
  const repository = backend.repository;
  const droppedSlots = (jobs: { attrs: { _id?: unknown; name: string } }[]) =>
    options.log.warn(
      { jobs: jobs.map((j) => ({ id: String(j.attrs._id), name: j.attrs.name })) },
      "claimed jobs whose lock expired before they started; their slots are free again",
    );
  gateClaims(agenda, repository, droppedSlots);
  const saveJobState = repository.saveJobState.bind(repository);
  repository.saveJobState = async (attrs, saveOptions) => {
    if (superseded.has(attrs)) return;
    await saveJobState(attrs, saveOptions);
  };
  // The LISTEN connection reconnects by itself, but reports every loss as an `error` event:
  // without a listener that event kills the process (a PostgreSQL restart took every worker down).
  let channelDown = false;
  channel?.on("error", (err: Error) => {
    if (!channelDown) options.log.warn({ err: err.message }, "jobs LISTEN connection lost; reconnecting");
    channelDown = true;
  });
  channel?.on("stateChange", (state: string) => {
    if (state === "connected" && channelDown) {
      channelDown = false;
      options.log.info("jobs LISTEN connection restored");
    }
    // Its own retries are bounded; a channel that gave up is started again here, with backoff.
    if (state === "error") setTimeout(() => void channel.connect().catch(() => {}), 5_000).unref();
  });
  // agenda.every() is unique per job name; one recurring sync per integration is enforced here.
  await options.pool.query(
    `CREATE UNIQUE INDEX IF NOT EXISTS callsync_scheduled_sync_unique
       ON agenda_jobs ((data->>'integrationId')) WHERE name = '${JOB.scheduled}'`,
  );
  await options.pool.query(cleanupIndexSql("agenda_jobs"));
  const aligned = await alignScheduledJobs(options.pool, JOB.scheduled);
  if (aligned > 0) options.log.info({ aligned }, "recurring syncs moved to their phase");
  let working = false;
  let recovery: NodeJS.Timeout | null = null;
  let slotSweep: NodeJS.Timeout | null = null;

  /**
   * Of the jobs named `name` whose `data[key]` is one of `values`, the values with a job waiting
   * (due now or later) or locked (running, or to be taken over once its lock has expired).
   */
  const waitingOrLocked = async (name: string, key: string, values: string[]): Promise<Set<string>> => {
    if (values.length === 0) return new Set();
    const { rows } = await options.pool.query<{ value: string }>(
      `SELECT DISTINCT data->>$3 AS value FROM agenda_jobs
        WHERE name = $1 AND data->>$3 = ANY($2::text[]) AND NOT disabled
          AND (next_run_at IS NOT NULL OR locked_at IS NOT NULL)`,
      [name, values, key],
    );
    return new Set(rows.map((r) => r.value));
  };

  const queue: JobQueue = {
    async runUsers(runId, at) {
      if (at && at.getTime() > Date.now()) await agenda.schedule(at, JOB.runUsers, { runId });
      else await agenda.now(JOB.runUsers, { runId });
    },
    async importUser(statusId, at) {
      if (at && at.getTime() > Date.now()) await agenda.schedule(at, JOB.importUser, { statusId });
      else await agenda.now(JOB.importUser, { statusId });
    },
    async followUpTranscripts(integrationId) {
      await agenda.now(JOB.transcripts, { integrationId });
    },
    async schedule(integration) {
      const first = nextScheduledRun(integration, null);
      const job = agenda.create(JOB.scheduled, { integrationId: integration.id, dueAt: first.toISOString() });
      job.repeatEvery(repeatIntervalOf(integration));
      job.schedule(first);
      job.unique({ "data.integrationId": integration.id }, { insertOnly: true });
      try {
        await job.save();
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
      }
      // Already scheduled (another process, a repeated startSync): its next run stands.
      const { rows } = await options.pool.query<{ next_run_at: Date | null }>(
        `SELECT next_run_at FROM agenda_jobs WHERE name = $1 AND data->>'integrationId' = $2`,
        [JOB.scheduled, integration.id],
      );
      return rows[0]?.next_run_at ?? first;
    },
    async unschedule(integrationId) {
      await agenda.cancel({ name: JOB.scheduled, data: { integrationId } });
    },
    queuedImports: (statusIds) => waitingOrLocked(JOB.importUser, "statusId", statusIds),
    queuedRunUsers: (runIds) => waitingOrLocked(JOB.runUsers, "runId", runIds),
  };

  /** Runs a handler under its job's lease (renewed until it returns); a lost lease ends it quietly. */
  const guarded =
    <T>(name: string, fn: (job: Job<T>, lease: JobLease) => Promise<void>) =>
    async (job: Job<T>) => {
      const lease = new JobLease(options.pool, job, options.lockLifetimeMs, options.log).start();
      try {
        await fn(job, lease);
      } catch (e) {
        if (e instanceof LeaseLost) return;
        options.log.error({ job: name, data: job.attrs.data, err: e }, "job failed");
        throw e;
      } finally {
        lease.stop();
        // Still ours (whatever the time)? Then Agenda records its end; otherwise the job belongs
        // to whoever claimed it since, or to the next claim once the lock has expired.
        if (!(await lease.release().catch(() => false))) superseded.add(job.attrs);
      }
    };

  return {
    agenda,
    queue,
    listening: () => !channel || channel.state === "connected",
    async webhookCalls(integrationId, providerCallIds) {
      await agenda.now(JOB.webhookCalls, { integrationId, providerCallIds });
    },
    async startWorking(engine) {
      const limits = { concurrency: DEFAULT_CONCURRENCY, lockLimit: DEFAULT_CONCURRENCY };
      agenda.define<{ runId: string }>(
        JOB.runUsers,
        guarded(JOB.runUsers, (job, lease) => engine.runUsers(job.attrs.data.runId, lease)),
        limits,
      );
      agenda.define<{ statusId: string }>(
        JOB.importUser,
        guarded(JOB.importUser, (job, lease) => engine.importUser(job.attrs.data.statusId, lease)),
        { concurrency: options.importConcurrency, lockLimit: options.importConcurrency },
      );
      agenda.define<{ integrationId: string }>(
        JOB.transcripts,
        guarded(JOB.transcripts, (job, lease) => engine.followUpTranscripts(job.attrs.data.integrationId, lease)),
        limits,
      );
      agenda.define<{ integrationId: string; providerCallIds: string[] }>(
        JOB.webhookCalls,
        guarded(JOB.webhookCalls, (job, lease) =>
          engine.importAnnouncedCalls(job.attrs.data.integrationId, job.attrs.data.providerCallIds, lease),
        ),
        limits,
      );
      agenda.define<{ integrationId: string; dueAt?: string }>(
        JOB.scheduled,
        guarded(JOB.scheduled, (job) => {
          const { integrationId, dueAt } = job.attrs.data;
          // Agenda set the next run to this start + the interval; the grid's next slot replaces it.
          return engine.scheduledSync(integrationId, dueAt ? new Date(dueAt) : null, async (next) => {
            await setNextScheduledRun(options.pool, String(job.attrs._id), next);
            job.attrs.nextRunAt = next;
            job.attrs.data.dueAt = next.toISOString();
          });
        }),
        limits,
      );
      agenda.define(
        JOB.cleanup,
        guarded(JOB.cleanup, async (_job, lease) => {
          const { removed } = await removeFinishedJobs(options.pool, options.retention, {
            afterBatch: async () => lease.assertHeld(),
          });
          if (removed > 0) options.log.info({ removed }, "finished jobs removed");
          const deliveries = await removeOldWebhookDeliveries(options.pool, options.retention, {
            afterBatch: async () => lease.assertHeld(),
          });
          if (deliveries.removed > 0)
            options.log.info({ removed: deliveries.removed }, "webhook deliveries past their retention removed");
        }),
        { concurrency: 1, lockLimit: 1 },
      );
      agenda.define(
        JOB.retention,
        guarded(JOB.retention, async () => {
          const purged = await engine.applyRetention();
          if (purged > 0) options.log.info({ purged }, "calls past their retention window purged");
        }),
        { concurrency: 1, lockLimit: 1 },
      );
      wakeOnComplete(agenda, channel);
      await agenda.start();
      // Fails the start when Agenda's internals the gate reads are gone (claims.ts).
      processorOf(agenda);
      // A type whose every slot leaked is never filled again, so its claims never reach the
      // gate's own check: every poll frees such slots too.
      slotSweep = setInterval(() => {
        const dropped = releaseDropped(agenda);
        if (dropped.length > 0) droppedSlots(dropped);
      }, options.processEveryMs);
      slotSweep.unref();
      // One clean-up job for all workers (a single job, upserted by name); a first start runs it
      // at once, later starts keep its next run.
      await agenda.every(options.retention.everyMs, JOB.cleanup);
      // One retention job for all workers, daily (a first start runs it at once).
      await agenda.every("1 day", JOB.retention);
      working = true;
      // Any live worker finishes what dead ones left: users without a runner, runs never listed.
      recovery = setInterval(() => {
        engine.recover().catch((err: unknown) => options.log.warn({ err }, "recovery sweep failed; next one retries"));
      }, options.recoverEveryMs ?? options.lockLifetimeMs);
      recovery.unref();
    },
    async stop() {
      // A worker lets running jobs finish (bounded), then releases the rest for other workers;
      // stop() only acts on a started instance, so a producer-only one just disconnects.
      if (recovery) clearInterval(recovery);
      if (slotSweep) clearInterval(slotSweep);
      if (working) {
        await agenda.drain({ timeout: 15_000, closeConnection: false });
        await agenda.stop(false);
      } else await backend.disconnect();
    },
  };
}

/**
 * Agenda claims jobs on its poll and when a job is created, not when a slot frees up; with lock
 * limits a backlog would then drain by one lock limit per poll. A finished job announces its type
 * again, so this worker (and any idle one) claims the next due job of it at once.
 */
function wakeOnComplete(agenda: Agenda, channel: NotificationChannel | undefined): void {
  if (!channel) return;
  // Agenda re-emits other workers' completions as `complete` too, with a notification instead of
  // a Job (and `remote` = true): those are not ours to announce, and reading `attrs` crashed.
  agenda.on("complete", (job: Job | { jobId: unknown }, remote?: boolean) => {
    if (remote || !("attrs" in job) || channel.state !== "connected") return;
    void channel
      .publish({
        jobId: job.attrs._id!,
        jobName: job.attrs.name,
        nextRunAt: null,
        priority: job.attrs.priority,
        timestamp: new Date(),
      })
      .catch(() => {});
  });
}
