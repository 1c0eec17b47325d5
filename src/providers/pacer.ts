/**
 * Pacing of requests to a provider's quota, per connected provider account, shared by every
 * job and every callsync process that serves the account (Redis when configured, memory
 * otherwise).
 *
 * A quota is a list of windows (e.g. Gong: 3 per second and 10,000 per day). They are kept in
 * two ways:
 *
 * - **Rate windows** (a minute or shorter) become one steady pace: a request takes the
 *   account's send slot when it is free and moves it `duration / points × headroom` on (a
 *   token bucket of depth 1). Fixed windows let two bursts meet at a window edge (up to
 *   2 × points in one second); evenly spaced departures never put more than `points` requests
 *   in any window of `duration`, wherever the provider's window starts. The headroom (10 %)
 *   absorbs network jitter: we space departures, the provider counts arrivals.
 *   A slot is taken when the request is about to leave, not reserved ahead: a runner whose
 *   timer fires late (a busy event loop, a loaded machine) would otherwise leave together with
 *   the runner of the next slot, and the provider sees a burst. A runner that finds the slot
 *   taken sleeps until it is free and asks again.
 * - **Budget windows** (hours to weeks) are counters that reset (rate-limiter-flexible); a
 *   budget that runs out means a wait of hours, which the engine turns into a rescheduled job.
 *
 * A 429 from the provider moves the account's next slot to its Retry-After for everybody.
 * When Redis is unreachable, pacing falls back to this process's memory until it is back.
 */
import type { Redis } from "ioredis";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

export interface QuotaWindow {
  points: number;
  /** seconds */
  duration: number;
  /**
   * A budget (counted, reset at the window's end, a spent one reschedules the job) rather than a
   * rate (paced as evenly spaced slots). Default: windows longer than a minute are budgets.
   */
  budget?: boolean;
}

export interface PacerOptions {
  redis?: Redis | null;
  /** Prefix of the shared keys, so tests and deployments don't collide. */
  prefix?: string;
  /** Longest single wait the pacer does inline before giving up with `PacerWaitTooLong`. */
  maxWaitMs?: number;
  /** Longest wait for a spent budget window done inline (default 1 s); longer ones throw `PacerWaitTooLong`. */
  maxBudgetWaitMs?: number;
  /** Slack on the rate windows' spacing (default 1.1 = 10 % slower than the quota). */
  headroom?: number;
  /** Called before each wait, so progress can say "waiting for the provider's rate limit until T". */
  onWait?: (key: string, untilMs: number) => void;
}

export interface QuotaState {
  /** Points left in the tightest long window (the one that bounds an estimate). */
  remaining: number;
  /** ms until that window resets. */
  resetsInMs: number;
  /** Size of that window: its points and its length in ms. */
  windowPoints: number;
  windowMs: number;
  /** Points per second the quota allows in the long run. */
  sustainedRate: number;
  blockedUntil: number | null;
}

export class PacerWaitTooLong extends Error {
  override readonly name = "PacerWaitTooLong";
  /**
   * `QUOTA`: a budget window (a day's or a week's requests) is spent; `RATE`: the send slot or a
   * 429's block is further away than the longest inline wait.
   */
  constructor(
    readonly untilMs: number,
    readonly reason: "QUOTA" | "RATE" = "RATE",
  ) {
    super(`${reason === "QUOTA" ? "quota exhausted" : "rate limited"} until ${new Date(untilMs).toISOString()}`);
  }
}

/** Windows up to this long are paced as a steady rate; longer ones are budgets. */
const RATE_WINDOW_MAX_S = 60;
export const isBudgetWindow = (w: QuotaWindow) => w.budget ?? w.duration > RATE_WINDOW_MAX_S;

/**
 * Takes the send slot if it is free: KEYS = [slot, block]; ARGV = [now ms, interval ms].
 * Returns 0 when taken (the slot moves `interval` on), else the ms until it is free (≥ 1).
 */
const TAKE = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local free = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(redis.call('GET', KEYS[2]) or '0'))
if free > now then return math.max(1, math.ceil(free - now)) end
redis.call('SET', KEYS[1], now + interval, 'PX', math.ceil(interval) + 1000)
return 0
`;

/** KEYS = [block]; ARGV = [now ms, until ms]: raises the account's block to `until`. */
const BLOCK = `
local now = tonumber(ARGV[1])
local untilMs = tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current and untilMs > now then
  redis.call('SET', KEYS[1], untilMs, 'PX', math.ceil(untilMs - now))
end
return 0
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The shared send slots and blocks of every account of one provider. */
class Slots {
  private readonly memory = new Map<string, { next: number; blockedUntil: number }>();
  constructor(
    private readonly prefix: string,
    private readonly redis: Redis | null,
  ) {}

  private local(key: string) {
    let entry = this.memory.get(key);
    if (!entry) {
      entry = { next: 0, blockedUntil: 0 };
      this.memory.set(key, entry);
    }
    return entry;
  }

  private usable(): Redis | null {
    return this.redis && this.redis.status === "ready" ? this.redis : null;
  }

  /** 0 when the slot was free and is now taken; else ms until it is free (ask again then). */
  async take(key: string, intervalMs: number): Promise<number> {
    const now = Date.now();
    const redis = this.usable();
    if (redis) {
      try {
        const keys = [`${this.prefix}:slot:${key}`, `${this.prefix}:block:${key}`];
        return Number(await redis.eval(TAKE, 2, ...keys, now, intervalMs));
      } catch {
        // Redis went away between the check and the call: pace in memory meanwhile.
      }
    }
    const entry = this.local(key);
    const free = Math.max(entry.next, entry.blockedUntil);
    if (free > now) return Math.max(1, Math.ceil(free - now));
    entry.next = now + intervalMs;
    return 0;
  }

  async block(key: string, untilMs: number): Promise<void> {
    const entry = this.local(key);
    entry.blockedUntil = Math.max(entry.blockedUntil, untilMs);
    const redis = this.usable();
    if (redis) await redis.eval(BLOCK, 1, `${this.prefix}:block:${key}`, Date.now(), untilMs).catch(() => {});
  }

  async blockedUntil(key: string): Promise<number | null> {
    let until = this.local(key).blockedUntil;
    const redis = this.usable();
    if (redis) {
      const shared = await redis.get(`${this.prefix}:block:${key}`).catch(() => null);
      if (shared) until = Math.max(until, Number(shared));
    }
    return until > Date.now() ? until : null;
  }
}

/** Spacing of one rate window's slots: its duration over its points, slowed by the headroom. */
export function slotIntervalMs(quota: QuotaWindow[], headroom = 1.1): number {
  const rates = quota.filter((w) => !isBudgetWindow(w));
  return Math.max(0, ...rates.map((w) => ((w.duration * 1000) / w.points) * headroom));
}

export class Pacer {
  private readonly budgets: RateLimiterAbstract[];
  private readonly slots: Slots;
  /** ms between two send slots of one account (per point of cost). */
  readonly intervalMs: number;

  constructor(
    readonly name: string,
    private readonly quota: QuotaWindow[],
    private readonly options: PacerOptions = {},
  ) {
    const prefix = `${options.prefix ?? "callsync"}:pace:${name}`;
    const make = (points: number, duration: number, keyPrefix: string) => {
      const memory = new RateLimiterMemory({ points, duration, keyPrefix });
      // The memory limiter stands in while Redis is unreachable (insurance), so an outage
      // neither stops the import nor lets it run unpaced.
      return options.redis
        ? new RateLimiterRedis({
            storeClient: options.redis,
            points,
            duration,
            keyPrefix,
            insuranceLimiter: memory,
            rejectIfRedisNotReady: true,
          })
        : memory;
    };
    this.budgets = quota
      .map((w, i) => ({ w, i }))
      .filter(({ w }) => isBudgetWindow(w))
      .map(({ w, i }) => make(w.points, w.duration, `${prefix}:${i}`));
    this.slots = new Slots(prefix, options.redis ?? null);
    this.intervalMs = slotIntervalMs(quota, options.headroom);
  }

  /** Waits until `cost` points are available in every window for `key`, then takes them. */
  async take(key: string, cost = 1): Promise<void> {
    const maxWait = this.options.maxWaitMs ?? 5 * 60_000;
    for (const limiter of this.budgets) {
      for (;;) {
        try {
          await limiter.consume(key, cost);
          break;
        } catch (e) {
          if (!(e instanceof RateLimiterRes)) throw e;
          // A spent budget is not slept through: the job is rescheduled for the refill and gives
          // its worker back (only the last moments of a window are waited for in place).
          await this.wait(
            key,
            Date.now() + e.msBeforeNext,
            Math.min(maxWait, this.options.maxBudgetWaitMs ?? 1_000),
            "QUOTA",
          );
        }
      }
    }
    // The longest wait is bounded as a whole, however often other runners take the slot first.
    const deadline = Date.now() + maxWait;
    for (;;) {
      const wait = await this.slots.take(key, this.intervalMs * cost);
      if (wait === 0) return;
      if (Date.now() + wait > deadline) throw new PacerWaitTooLong(Date.now() + wait);
      await this.wait(key, Date.now() + wait, maxWait);
    }
  }

  /** Everyone using `key` waits until `untilMs` (a 429's Retry-After). */
  async block(key: string, untilMs: number): Promise<void> {
    if (untilMs > Date.now()) await this.slots.block(key, untilMs);
  }

  async blockedUntil(key: string): Promise<number | null> {
    return this.slots.blockedUntil(key);
  }

  async state(key: string): Promise<QuotaState> {
    const budgets = this.quota.filter(isBudgetWindow);
    const longest = (budgets.length > 0 ? budgets : this.quota).reduce((a, b) => (b.duration > a.duration ? b : a));
    const budget = budgets.indexOf(longest);
    const res = budget >= 0 ? await this.budgets[budget]?.get(key) : null;
    const sustainedRate = Math.min(...this.quota.map((w) => w.points / w.duration));
    return {
      remaining: res ? Math.max(0, longest.points - res.consumedPoints) : longest.points,
      resetsInMs: res ? res.msBeforeNext : 0,
      windowPoints: longest.points,
      windowMs: longest.duration * 1000,
      sustainedRate,
      blockedUntil: await this.blockedUntil(key),
    };
  }

  private async wait(key: string, untilMs: number, maxWait: number, reason: "QUOTA" | "RATE" = "RATE"): Promise<void> {
    const ms = untilMs - Date.now();
    if (ms > maxWait) throw new PacerWaitTooLong(untilMs, reason);
    if (ms <= 0) return;
    this.options.onWait?.(key, untilMs);
    await sleep(ms);
  }
}
