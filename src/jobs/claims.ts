/**
 * What a worker claims, and when, on top of Agenda's own lock limits — which do not hold.
 *
 * Agenda 6 (checked against 6.2.6, `AGENDA_CHECKED`) fills its local queue per job type on
 * every poll and on every notification, concurrently (`JobProcessor.jobQueueFilling` sets
 * `isJobQueueFilling` and never reads it): two fills of a type that both pass `shouldLock`
 * both claim, and the one over the limit is given back un-awaited afterwards. For that moment
 * the worker holds more jobs than it can start — the surplus is locked in the database, where
 * no other worker may take it (a claim log showed 4 jobs held by a worker limited to 3).
 * `gateClaims` serialises a worker's claims and checks both limits before each one, so the
 * check and the count cannot race.
 *
 * Agenda also loses a slot for good when a job's lock expired before it started (the worker
 * stalled, or the job waited behind a full concurrency): `jobProcessing` takes the job off its
 * queue and skips it (`this.jobQueue.remove(job); if (!(await job.isExpired())) { … }`, no else),
 * but leaves it in `lockedJobs` and in the type's `locked` count. A few such events and the
 * worker never claims that type again (nor any job, once `lockedJobs` reaches the overall lock
 * limit). `releaseDropped` removes such jobs from the counts, before every claim and on every
 * poll (queue.ts).
 *
 * Both read the JobProcessor's private state (`lockedJobs`, `runningJobs`, `jobStatus`,
 * `jobQueue`); `processorOf` checks its shape and throws when it changed, and a test pins the
 * version (test/jobs/claim-gate.test.ts) so an upgrade is re-read against this file.
 */
import type { Agenda, JobParameters } from "agenda";

/** The Agenda version whose JobProcessor this module was written against. */
export const AGENDA_CHECKED = "6.2.6";

interface HeldJob {
  attrs: { _id?: unknown; name: string; lockedAt?: Date | null };
}

/** The JobProcessor's private fields read here (agenda/dist/JobProcessor.js, 6.2.6). */
export interface ProcessorState {
  lockedJobs: HeldJob[];
  runningJobs: HeldJob[];
  jobStatus: Record<string, { locked: number; running: number } | undefined>;
  jobQueue: { getQueue(): HeldJob[] };
}

export class AgendaInternalsChanged extends Error {
  override readonly name = "AgendaInternalsChanged";
}

/**
 * The running processor's state; undefined while none runs (before `start`, after `stop`).
 * Throws when a processor exists without the fields this module reads.
 */
export function processorOf(agenda: Agenda): ProcessorState | undefined {
  const p = (agenda as unknown as { jobProcessor?: Partial<ProcessorState> }).jobProcessor;
  if (!p) return undefined;
  if (
    !Array.isArray(p.lockedJobs) ||
    !Array.isArray(p.runningJobs) ||
    typeof p.jobStatus !== "object" ||
    p.jobStatus === null ||
    typeof p.jobQueue?.getQueue !== "function"
  )
    throw new AgendaInternalsChanged(
      `Agenda's JobProcessor no longer has lockedJobs/runningJobs/jobStatus/jobQueue (checked against agenda ${AGENDA_CHECKED}): re-read src/jobs/claims.ts`,
    );
  return p as ProcessorState;
}

const idOf = (job: HeldJob) => String(job.attrs._id);

/**
 * Drops from the processor's counts the jobs it holds that are neither queued nor running and
 * whose lock expired: Agenda skipped them (their lock may be another worker's by now) and will
 * never release their slot. A job between queue and start is never touched: Agenda moves it
 * within one turn of the event loop, and only one whose lock already expired is dropped.
 * Returns the jobs dropped.
 */
export function releaseDropped(agenda: Agenda, now = Date.now()): HeldJob[] {
  const p = processorOf(agenda);
  if (!p || p.lockedJobs.length === 0) return [];
  const live = new Set([...p.jobQueue.getQueue(), ...p.runningJobs].map(idOf));
  const dropped = p.lockedJobs.filter((job) => {
    if (live.has(idOf(job))) return false;
    const lifetime = agenda.definitions[job.attrs.name]?.lockLifetime ?? agenda.attrs.defaultLockLifetime;
    const lockedAt = job.attrs.lockedAt?.getTime();
    return lockedAt === undefined || lockedAt < now - lifetime;
  });
  for (const job of dropped) {
    p.lockedJobs.splice(p.lockedJobs.indexOf(job), 1);
    const status = p.jobStatus[job.attrs.name];
    if (status) status.locked = Math.max(0, status.locked - 1);
  }
  return dropped;
}

type GetNextJobToRun = (
  jobName: string,
  nextScanAt: Date,
  lockDeadline: Date,
  now: Date | undefined,
  options: { lastModifiedBy?: string } | undefined,
) => Promise<JobParameters | undefined>;

/**
 * Wraps the repository's claim so this worker claims one job at a time, and only when both its
 * overall lock limit and the type's lock limit leave room for it. The next claim waits until
 * Agenda has counted this one: it does so in the continuation of the claim, before any I/O, so
 * one macrotask later the job is in `lockedJobs`. `onDropped` hears of slots released by
 * `releaseDropped` (run before each claim).
 */
export function gateClaims(
  agenda: Agenda,
  repository: { getNextJobToRun: GetNextJobToRun },
  onDropped: (jobs: HeldJob[]) => void = () => {},
): void {
  const claim = repository.getNextJobToRun.bind(repository);
  let tail: Promise<unknown> = Promise.resolve();
  repository.getNextJobToRun = (jobName, nextScanAt, lockDeadline, now, options) => {
    const result = tail.then(async () => {
      const p = processorOf(agenda);
      if (!p) return undefined;
      const dropped = releaseDropped(agenda);
      if (dropped.length > 0) onDropped(dropped);
      const total = agenda.attrs.lockLimit;
      if (total > 0 && p.lockedJobs.length >= total) return undefined;
      const perType = agenda.definitions[jobName]?.lockLimit ?? 0;
      if (perType > 0 && (p.jobStatus[jobName]?.locked ?? 0) >= perType) return undefined;
      return claim(jobName, nextScanAt, lockDeadline, now, options);
    });
    tail = result.then(
      () => new Promise<void>((resolve) => setImmediate(resolve)),
      () => undefined,
    );
    return result;
  };
}
