/**
 * One runner per job, and per user import.
 *
 * Every long job holds a **JobLease**: its Agenda lock, renewed on a timer while the handler
 * runs or waits, conditional on the lock time it last wrote, so a runner whose lock expired
 * (and was claimed again) learns it and stops before its next write (see JobLease).
 *
 * A user import also holds a **UserLease** on the user's status row, the fence its writes are
 * conditional on (a JobLease is lost by time; a write must be refused in the same statement):
 *
 * - a runner **claims** the user (owner = a fresh id, leaseUntil = now + lifetime) only when
 *   nobody holds it or the holder's lease ran out; a runner that cannot claim quits quietly;
 * - while it works or waits, it **renews** the lease every third of the lifetime; a renewal
 *   that finds another owner, no renewal for a whole lifetime (the database was away), or the
 *   loss of its job's lease **aborts** the runner;
 * - every write of the runner (page + checkpoint, completion, failure, reschedule) is
 *   conditional on still being the owner, in the same statement, so a runner whose lease was
 *   taken over never writes again, even in the middle of a page;
 * - handing over or rescheduling **releases** the lease (owner = null) with leaseUntil = when
 *   the next job is due plus a lifetime: recovery (engine.recover) queues the user again only
 *   when that deadline passed and no job of it is waiting.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { Db } from "../db/client.js";
import type { Logger } from "../logger.js";

/** The runner no longer holds the user (or its job): another runner took over, or it was closed. */
export class LeaseLost extends Error {
  override readonly name = "LeaseLost";
}

/** What a long job holds while it runs: checked before each provider request and write. */
export interface Lease {
  /**
   * Aborted, with the LeaseLost as its reason, once the lease is gone: provider requests take
   * it, so a runner that lost its user sends nothing more (not only writes nothing more).
   */
  readonly signal: AbortSignal;
  readonly held: boolean;
  /** Throws LeaseLost once the lease is gone. */
  assertHeld(): void;
}

/** The LeaseLost an aborted lease signal carries (or one saying `fallback`). */
function lostReason(signal: AbortSignal, fallback: string): LeaseLost {
  return signal.reason instanceof LeaseLost ? signal.reason : new LeaseLost(String(signal.reason ?? fallback));
}

/** For callers outside a job (tests, a CLI): nothing to lose. */
export const UNLEASED: Lease = {
  signal: new AbortController().signal,
  held: true,
  assertHeld() {},
};

/** The part of an Agenda job a JobLease reads and keeps current (its id and lock time). */
export interface LockedJob {
  attrs: { _id?: unknown; name: string; lockedAt?: Date | null };
}

/**
 * The lease of one Agenda job: its lock, renewed every third of the lock lifetime for as long
 * as the handler runs — while it works and while it waits (a rate limit, a slow provider, a
 * lock on a row) — so a live job is never claimed a second time.
 *
 * Agenda's lock has no owner: `touch()` writes `locked_at` whoever holds the job, so a runner
 * whose lock expired would renew (and, finishing, clear) the lock of the worker that took the
 * job over. Here the lock time the runner last wrote is its token: a renewal is conditional on
 * `locked_at` still being that time, and one that finds another time (the job was claimed
 * again, or removed) loses the lease. The lease is also lost when no renewal succeeded within
 * the lock lifetime (the database was away, the event loop stalled): from then on another
 * worker may claim the job, so `held` turns false before that can happen, by a margin, and the
 * runner stops before its next write.
 */
export class JobLease implements Lease {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private token: Date;
  private readonly margin: number;

  constructor(
    private readonly pool: Pick<pg.Pool, "query">,
    private readonly job: LockedJob,
    readonly lifetimeMs: number,
    private readonly log: Logger,
    private readonly table = "agenda_jobs",
  ) {
    this.token = job.attrs.lockedAt ?? new Date(0);
    // A write checked just inside the lease commits a moment later: keep that moment clear.
    this.margin = Math.min(5_000, Math.floor(lifetimeMs / 10));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get held(): boolean {
    if (this.controller.signal.aborted) return false;
    if (Date.now() >= this.token.getTime() + this.lifetimeMs - this.margin) {
      this.lose("not renewed within its lock lifetime");
      return false;
    }
    return true;
  }

  assertHeld(): void {
    if (!this.held) throw lostReason(this.controller.signal, "job lease lost");
  }

  /** Renews the lock now; false (and the lease lost) when another runner holds the job. */
  async renew(): Promise<boolean> {
    if (!this.held) return false;
    const next = new Date();
    // Within a millisecond of the token: the lock time may be stored with microseconds.
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.table} SET locked_at = $3
        WHERE id = $1 AND locked_at BETWEEN $2::timestamptz - interval '1 millisecond'
                                        AND $2::timestamptz + interval '1 millisecond'`,
      [String(this.job.attrs._id), this.token, next],
    );
    if ((rowCount ?? 0) === 0) {
      this.lose("the job was claimed again or removed");
      return false;
    }
    this.token = next;
    // Agenda expires a running job by its in-memory lock time: keep it current too.
    this.job.attrs.lockedAt = next;
    return true;
  }

  /**
   * At the end of the handler: whether the job is still this runner's (its lock time is the
   * token, however late it is), refreshing the lock so nobody claims it before Agenda records
   * the end. False when another runner claimed it meanwhile or it was removed.
   */
  async release(): Promise<boolean> {
    this.stop();
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.table} SET locked_at = $3
        WHERE id = $1 AND locked_at BETWEEN $2::timestamptz - interval '1 millisecond'
                                        AND $2::timestamptz + interval '1 millisecond'`,
      [String(this.job.attrs._id), this.token, new Date()],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Renews every lifetime / 3 until `stop()` or the lease is lost. */
  start(): this {
    const every = Math.max(50, Math.floor(this.lifetimeMs / 3));
    const loop = () => {
      this.timer = setTimeout(() => {
        void this.renew()
          .catch((err: unknown) => {
            // Retried on the next tick; `held` turns false once the lifetime is used up.
            this.log.warn({ job: this.job.attrs.name, err }, "job lock renewal failed; retrying");
          })
          .then(() => {
            if (this.timer && this.held) loop();
          });
      }, every);
    };
    loop();
    return this;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private lose(reason: string): void {
    if (this.controller.signal.aborted) return;
    this.log.warn(
      { job: this.job.attrs.name, id: String(this.job.attrs._id), reason },
      "job lease lost; this runner stops",
    );
    this.stop();
    this.controller.abort(new LeaseLost(reason));
  }
}

export class UserLease implements Lease {
  readonly owner = randomUUID();
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private renewedAt = 0;

  constructor(
    private readonly prisma: Db,
    readonly statusId: string,
    readonly lifetimeMs: number,
    private readonly log: Logger,
    /** The job's own lease: when it is lost, so is the user's. */
    private readonly parent: Lease = UNLEASED,
  ) {
    // At once, not at the next check: a provider request in flight or waiting stops with it.
    if (parent.signal.aborted) this.lose("its job's lease was lost");
    else if (parent !== UNLEASED)
      parent.signal.addEventListener("abort", () => this.lose("its job's lease was lost"), { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get held(): boolean {
    if (!this.controller.signal.aborted && !this.parent.held) this.lose("its job's lease was lost");
    return !this.controller.signal.aborted;
  }

  /** The lease's "until" for a write made now. */
  until(): Date {
    return new Date(Date.now() + this.lifetimeMs);
  }

  /** Takes the user if it is open and nobody holds it. */
  async claim(): Promise<boolean> {
    const now = new Date();
    const claimed = await this.prisma.syncUserStatus.updateMany({
      where: {
        id: this.statusId,
        state: { in: ["PENDING", "IN_PROGRESS"] },
        OR: [{ leaseOwner: null }, { leaseUntil: null }, { leaseUntil: { lt: now } }],
      },
      data: { leaseOwner: this.owner, leaseUntil: this.until() },
    });
    if (claimed.count === 0) return false;
    this.renewedAt = Date.now();
    return true;
  }

  /**
   * Renews every lifetime / 3 and calls `heartbeat` until `stop()` (the job's own lock is kept
   * by its JobLease, the parent, on its own timer).
   */
  keepAlive(heartbeat: () => Promise<void> = async () => {}): void {
    const every = Math.max(50, Math.floor(this.lifetimeMs / 3));
    const tick = async () => {
      try {
        const renewed = await this.prisma.syncUserStatus.updateMany({
          where: { id: this.statusId, leaseOwner: this.owner },
          data: { leaseUntil: this.until() },
        });
        if (renewed.count === 0) return this.lose("taken over or closed");
        this.renewedAt = Date.now();
      } catch (err) {
        if (Date.now() - this.renewedAt >= this.lifetimeMs) return this.lose("could not renew within its lifetime");
        this.log.warn({ statusId: this.statusId, err }, "lease renewal failed; retrying");
      }
      await heartbeat().catch(() => {});
    };
    const loop = () => {
      this.timer = setTimeout(() => {
        void tick().then(() => {
          if (this.held && this.timer) loop();
        });
      }, every);
    };
    loop();
  }

  /** Throws LeaseLost once the lease is gone (checked before each provider request and write). */
  assertHeld(): void {
    if (!this.held) throw lostReason(this.controller.signal, "lease lost");
  }

  /** A conditional write touched no row: somebody else owns the user now. */
  lost(count: number): void {
    if (count === 0) {
      this.lose("a write found another owner");
      this.assertHeld();
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private lose(reason: string): void {
    if (this.controller.signal.aborted) return;
    this.log.info({ statusId: this.statusId, reason }, "import lease lost; this runner stops");
    this.stop();
    this.controller.abort(new LeaseLost(reason));
  }
}
