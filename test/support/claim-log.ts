/**
 * A record of every claim and release of an Agenda job lock, written by PostgreSQL itself: a
 * trigger on the jobs table logs each change of `locked_at` (or of the worker that last wrote
 * the row) in commit order per row, so the log shows what every worker held at every instant,
 * including claims that lasted one round trip — a sampler polling the table misses those.
 */
import type pg from "pg";

export interface ClaimEvent {
  seq: number;
  at: Date;
  jobId: string;
  name: string;
  worker: string | null;
  oldLocked: Date | null;
  newLocked: Date | null;
  lastRunAt: Date | null;
}

/** Creates `claim_log` and its trigger on `table` (the job tables must exist). */
export async function installClaimLog(pool: pg.Pool, table = "agenda_jobs"): Promise<void> {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS claim_log (
      seq bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT clock_timestamp(),
      job_id uuid NOT NULL,
      name text NOT NULL,
      worker text,
      old_locked timestamptz,
      new_locked timestamptz,
      last_run_at timestamptz
    );
    CREATE OR REPLACE FUNCTION claim_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.locked_at IS NOT NULL THEN
          INSERT INTO claim_log (job_id, name, worker, old_locked, new_locked, last_run_at)
          VALUES (OLD.id, OLD.name, OLD.last_modified_by, OLD.locked_at, NULL, OLD.last_run_at);
        END IF;
        RETURN OLD;
      END IF;
      IF OLD.locked_at IS DISTINCT FROM NEW.locked_at
         OR OLD.last_modified_by IS DISTINCT FROM NEW.last_modified_by
         OR OLD.last_run_at IS DISTINCT FROM NEW.last_run_at THEN
        INSERT INTO claim_log (job_id, name, worker, old_locked, new_locked, last_run_at)
        VALUES (NEW.id, NEW.name, NEW.last_modified_by, OLD.locked_at, NEW.locked_at, NEW.last_run_at);
      END IF;
      RETURN NEW;
    END $$;
    DROP TRIGGER IF EXISTS claim_log ON "${table}";
    CREATE TRIGGER claim_log AFTER UPDATE OF locked_at, last_modified_by, last_run_at OR DELETE ON "${table}"
      FOR EACH ROW EXECUTE FUNCTION claim_log_write();
  `);
}

export async function readClaimLog(pool: pg.Pool): Promise<ClaimEvent[]> {
  const { rows } = await pool.query<{
    seq: string;
    at: Date;
    job_id: string;
    name: string;
    worker: string | null;
    old_locked: Date | null;
    new_locked: Date | null;
    last_run_at: Date | null;
  }>(`SELECT * FROM claim_log ORDER BY seq`);
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at,
    jobId: r.job_id,
    name: r.name,
    worker: r.worker,
    oldLocked: r.old_locked,
    newLocked: r.new_locked,
    lastRunAt: r.last_run_at,
  }));
}

export interface HoldPeak {
  /** Most jobs of `name` this worker held locked at one instant. */
  ofName: number;
  /** Most jobs in all it held at one instant. */
  all: number;
  /** The log events at which they peaked first, for the failure message. */
  ofNameAt: number;
  allAt: number;
}

export interface Replay {
  peaks: Map<string, HoldPeak>;
  /** Per claim that started on its claimer: ms from the claim to its start. */
  waits: number[];
  claims: number;
}

/**
 * Replays the log: a job is held by a worker from the update that locks it for that worker (a
 * lock from none, or one taken over from another worker) until its lock is cleared, taken over
 * or the row deleted. A renewal (a new lock time by the same worker) changes nothing. A lock
 * older than `lockLifetimeMs` without renewal counts as held until then only (another worker may
 * claim it from that moment).
 */
export function replayClaims(events: ClaimEvent[], name: string, lockLifetimeMs: number): Replay {
  const holder = new Map<
    string,
    { worker: string; name: string; lockedAt: number; claimLock: number; claimedAt: number; started: boolean }
  >();
  const peaks = new Map<string, HoldPeak>();
  const waits: number[] = [];
  let claims = 0;
  const count = (at: number) => {
    const per = new Map<string, { ofName: number; all: number }>();
    for (const h of holder.values()) {
      if (h.lockedAt + lockLifetimeMs < at) continue;
      const c = per.get(h.worker) ?? { ofName: 0, all: 0 };
      c.all++;
      if (h.name === name) c.ofName++;
      per.set(h.worker, c);
    }
    return per;
  };
  for (const e of events) {
    const at = e.at.getTime();
    const held = holder.get(e.jobId);
    if (e.newLocked === null) holder.delete(e.jobId);
    else if (!held || e.oldLocked === null || held.worker !== e.worker) {
      claims++;
      holder.set(e.jobId, {
        worker: e.worker ?? "?",
        name: e.name,
        lockedAt: e.newLocked.getTime(),
        claimLock: e.newLocked.getTime(),
        claimedAt: at,
        started: false,
      });
    } else {
      held.lockedAt = e.newLocked.getTime();
      // Agenda saves the start (last_run_at = now, the worker's clock like the lock time).
      if (!held.started && e.lastRunAt && e.lastRunAt.getTime() >= held.claimLock) {
        held.started = true;
        waits.push(at - held.claimedAt);
      }
    }
    for (const [worker, c] of count(at)) {
      const peak = peaks.get(worker) ?? { ofName: 0, all: 0, ofNameAt: 0, allAt: 0 };
      if (c.ofName > peak.ofName) Object.assign(peak, { ofName: c.ofName, ofNameAt: e.seq });
      if (c.all > peak.all) Object.assign(peak, { all: c.all, allAt: e.seq });
      peaks.set(worker, peak);
    }
  }
  return { peaks, waits, claims };
}
