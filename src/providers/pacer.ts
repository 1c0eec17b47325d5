/**
 * Pacing of requests to a provider's quota, per connected provider account, shared by every
 * callsync process that serves the same integration (Redis when configured, memory otherwise).
 *
 * A quota is a list of windows (e.g. Gong: 3 per second and 10,000 per day); a request takes
 * `cost` points from each window and waits while any window is exhausted. A 429 from the
 * provider blocks the key for everybody until its Retry-After.
 */
import type { Redis } from "ioredis";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

export interface QuotaWindow {
  points: number;
  /** seconds */
  duration: number;
}

export interface PacerOptions {
  redis?: Redis | null;
  /** Prefix of the shared keys, so tests and deployments don't collide. */
  prefix?: string;
  /** Longest single wait the pacer does inline before giving up with `PacerWaitTooLong`. */
  maxWaitMs?: number;
  /** Called before each wait, so progress can say "waiting for the provider's rate limit until T". */
  onWait?: (key: string, untilMs: number) => void;
}

export interface QuotaState {
  /** Points left in the tightest long window (the one that bounds an estimate). */
  remaining: number;
  /** ms until that window resets. */
  resetsInMs: number;
  /** Points per second the quota allows in the long run. */
  sustainedRate: number;
  blockedUntil: number | null;
}

export class PacerWaitTooLong extends Error {
  override readonly name = "PacerWaitTooLong";
  constructor(readonly untilMs: number) {
    super(`quota exhausted until ${new Date(untilMs).toISOString()}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Pacer {
  private readonly windows: RateLimiterAbstract[];
  private readonly blocker: RateLimiterAbstract;

  constructor(
    readonly name: string,
    private readonly quota: QuotaWindow[],
    private readonly options: PacerOptions = {},
  ) {
    const prefix = `${options.prefix ?? "callsync"}:pace:${name}`;
    const make = (points: number, duration: number, keyPrefix: string) =>
      options.redis
        ? new RateLimiterRedis({ storeClient: options.redis, points, duration, keyPrefix })
        : new RateLimiterMemory({ points, duration, keyPrefix });
    this.windows = quota.map((w, i) => make(w.points, w.duration, `${prefix}:${i}`));
    this.blocker = make(1, 1, `${prefix}:block`);
  }

  /** Waits until `cost` points are available in every window for `key`, then takes them. */
  async take(key: string, cost = 1): Promise<void> {
    const maxWait = this.options.maxWaitMs ?? 5 * 60_000;
    for (;;) {
      const blocked = await this.blockedUntil(key);
      if (blocked !== null) {
        await this.wait(key, blocked, maxWait);
        continue;
      }
      let waitUntil: number | null = null;
      for (const limiter of this.windows) {
        try {
          await limiter.consume(key, cost);
        } catch (e) {
          if (!(e instanceof RateLimiterRes)) throw e;
          waitUntil = Date.now() + e.msBeforeNext;
          break;
        }
      }
      if (waitUntil === null) return;
      await this.wait(key, waitUntil, maxWait);
    }
  }

  /** Everyone using `key` waits until `untilMs` (a 429's Retry-After). */
  async block(key: string, untilMs: number): Promise<void> {
    const seconds = Math.ceil((untilMs - Date.now()) / 1000);
    if (seconds > 0) await this.blocker.block(key, seconds);
  }

  async blockedUntil(key: string): Promise<number | null> {
    const res = await this.blocker.get(key);
    // An expired block can still be in memory until its cleanup timer runs; treating it as a
    // block of 0 ms made `take` spin on microtasks and starve that very timer (a hang).
    if (!res || res.consumedPoints <= 1 || res.msBeforeNext <= 0) return null;
    return Date.now() + res.msBeforeNext;
  }

  async state(key: string): Promise<QuotaState> {
    const longest = this.quota.reduce((a, b) => (b.duration > a.duration ? b : a));
    const index = this.quota.indexOf(longest);
    const res = await this.windows[index]?.get(key);
    const sustainedRate = Math.min(...this.quota.map((w) => w.points / w.duration));
    return {
      remaining: res ? Math.max(0, longest.points - res.consumedPoints) : longest.points,
      resetsInMs: res ? res.msBeforeNext : 0,
      sustainedRate,
      blockedUntil: await this.blockedUntil(key),
    };
  }

  private async wait(key: string, untilMs: number, maxWait: number): Promise<void> {
    const ms = untilMs - Date.now();
    if (ms > maxWait) throw new PacerWaitTooLong(untilMs);
    if (ms <= 0) return;
    this.options.onWait?.(key, untilMs);
    await sleep(ms);
  }
}
