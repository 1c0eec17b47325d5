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
 * It reads the JobProcessor's private state (`lockedJobs`, `runningJobs`, `jobStatus`,
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
 * one macrotask later the job is in `lockedJobs`.
 */
export function gateClaims(agenda: Agenda, repository: { getNextJobToRun: GetNextJobToRun }): void {
  const claim = repository.getNextJobToRun.bind(repository);
  let tail: Promise<unknown> = Promise.resolve();
  repository.getNextJobToRun = (jobName, nextScanAt, lockDeadline, now, options) => {
    const result = tail.then(async () => {
      const p = processorOf(agenda);
      if (!p) return undefined;
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
