/**
 * One runner per user import. A job's Agenda lock is not a fence: when a handler outlives its
 * lock lifetime (a long rate-limit wait, a database outage that stopped its touches) Agenda
 * starts the job again elsewhere while the first one keeps going. So the user's status row
 * carries its own lease:
 *
 * - a runner **claims** the user (owner = a fresh id, leaseUntil = now + lifetime) only when
 *   nobody holds it or the holder's lease ran out; a runner that cannot claim quits quietly;
 * - while it works or waits, it **renews** the lease every third of the lifetime (and touches
 *   its Agenda job); a renewal that finds another owner, or no renewal for a whole lifetime
 *   (the database was away), **aborts** the runner;
 * - every write of the runner (page + checkpoint, completion, failure, reschedule) is
 *   conditional on still being the owner, in the same statement, so a runner whose lease was
 *   taken over never writes again, even in the middle of a page;
 * - handing over or rescheduling **releases** the lease (owner = null) with leaseUntil = when
 *   the next job is due plus a lifetime: recovery (engine.recover) queues the user again only
 *   when that deadline passed and no job of it is waiting.
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client.js";
import type { Logger } from "../logger.js";

/** The runner no longer holds the user: another runner took over, or the user/run was closed. */
export class LeaseLost extends Error {
  override readonly name = "LeaseLost";
}

export class UserLease {
  readonly owner = randomUUID();
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private renewedAt = 0;

  constructor(
    private readonly prisma: Db,
    readonly statusId: string,
    readonly lifetimeMs: number,
    private readonly log: Logger,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get held(): boolean {
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

  /** Renews every lifetime / 3 and calls `heartbeat` (the job's lock) until `stop()`. */
  keepAlive(heartbeat: () => Promise<void>): void {
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
    if (!this.held) throw new LeaseLost(String(this.controller.signal.reason ?? "lease lost"));
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
    if (!this.held) return;
    this.log.info({ statusId: this.statusId, reason }, "import lease lost; this runner stops");
    this.stop();
    this.controller.abort(reason);
  }
}
