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
 *   taken queues for it (first come, first served) and sleeps until it is free: the slot goes
 *   to the longest-waiting runner still expected back. Without the queue every waiter woke at
 *   the same moment and raced for the slot, so with four runners on one account one of them
 *   could lose ten times in a row and give up its page (`PacerWaitTooLong`) after three
 *   seconds of waiting, while each should wait at most four slots. A waiter that does not
 *   come back within a grace period after its turn (its process died) loses its place.
 * - **Budget windows** (hours to weeks) are counters that reset (rate-limiter-flexible); a
 *   budget that runs out means a wait of hours, which the engine turns into a rescheduled job.
 *
 * A 429 from the provider moves the account's next slot to its Retry-After for everybody.
 * When Redis is unreachable, pacing falls back to this process's memory until it is back.
 */
import { randomUUID } from "node:crypto";
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
 * Takes the send slot if it is free and nobody waited for it longer:
 * KEYS = [slot, block, queue, due, seq]; ARGV = [now ms, interval ms, waiter id, grace ms].
 * Returns 0 when taken (the slot moves `interval` on), else the ms to sleep before asking again
 * (≥ 1); a waiter joins the queue (ordered by a ticket) on its first refusal and keeps its place
 * while it comes back within `grace` of when it was told to.
 */
const TAKE = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local me = ARGV[3]
local grace = tonumber(ARGV[4])
local free = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(redis.call('GET', KEYS[2]) or '0'))
local head = nil
while true do
  local first = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
  if not first or first == me then head = first break end
  if tonumber(redis.call('HGET', KEYS[4], first) or '0') + grace >= now then head = first break end
  redis.call('ZREM', KEYS[3], first)
  redis.call('HDEL', KEYS[4], first)
end
if free <= now and (head == nil or head == me) then
  redis.call('SET', KEYS[1], now + interval, 'PX', math.ceil(interval) + 1000)
  redis.call('ZREM', KEYS[3], me)
  redis.call('HDEL', KEYS[4], me)
  return 0
end
local wait = math.max(1, math.ceil(free - now))
if free <= now then wait = math.max(1, math.ceil(interval / 4)) end
if not redis.call('ZSCORE', KEYS[3], me) then
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[5]), me)
end
redis.call('HSET', KEYS[4], me, now + wait)
local ttl = math.ceil(wait + grace) + 60000
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('PEXPIRE', KEYS[4], ttl)
redis.call('PEXPIRE', KEYS[5], ttl)
return wait
`;

/** KEYS = [queue, due]; ARGV = [waiter id]: a waiter that gave up leaves the queue. */
const LEAVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
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

/** Sleeps `ms`; an aborted `signal` ends the sleep at once, rejecting with its reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener("abort", stop);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", stop, { once: true });
  });
}

/** How late after its turn a waiter may come back and keep its place (a busy event loop). */
const queueGraceMs = (intervalMs: number) => 1_000 + intervalMs;

interface LocalSlot {
  next: number;
  blockedUntil: number;
  /** Waiters in order of arrival, with when each was told to come back. */
  queue: Map<string, number>;
}

/** The shared send slots, their queues and blocks, of every account of one provider. */
class Slots {
  private readonly memory = new Map<string, LocalSlot>();
  constructor(
    private readonly prefix: string,
    private readonly redis: Redis | null,
  ) {}

  private local(key: string): LocalSlot {
    let entry = this.memory.get(key);
    if (!entry) {
      entry = { next: 0, blockedUntil: 0, queue: new Map() };
      this.memory.set(key, entry);
    }
    return entry;
  }

  private usable(): Redis | null {
    return this.redis && this.redis.status === "ready" ? this.redis : null;
  }

  private queueKeys(key: string): [string, string, string] {
    return [`${this.prefix}:queue:${key}`, `${this.prefix}:due:${key}`, `${this.prefix}:seq:${key}`];
  }

  /**
   * 0 when the slot was free, `waiter`'s turn, and is now taken; else ms to sleep before asking
   * again (the same `waiter` keeps its place in the queue).
   */
  async take(key: string, intervalMs: number, waiter: string): Promise<number> {
    const now = Date.now();
    const grace = queueGraceMs(intervalMs);
    const redis = this.usable();
    if (redis) {
      try {
        const [queue, due, seq] = this.queueKeys(key);
        const keys = [`${this.prefix}:slot:${key}`, `${this.prefix}:block:${key}`, queue, due, seq];
        return Number(await redis.eval(TAKE, 5, ...keys, now, intervalMs, waiter, grace));
      } catch {
        // Redis went away between the check and the call: pace in memory meanwhile.
      }
    }
    // The same rules as TAKE, for this process alone.
    const entry = this.local(key);
    const free = Math.max(entry.next, entry.blockedUntil);
    let head: string | undefined;
    for (const [id, dueAt] of entry.queue) {
      if (id === waiter || dueAt + grace >= now) {
        head = id;
        break;
      }
      entry.queue.delete(id);
    }
    if (free <= now && (head === undefined || head === waiter)) {
      entry.next = now + intervalMs;
      entry.queue.delete(waiter);
      return 0;
    }
    const wait = free > now ? Math.max(1, Math.ceil(free - now)) : Math.max(1, Math.ceil(intervalMs / 4));
    entry.queue.set(waiter, now + wait);
    return wait;
  }

  /** `waiter` gave up: it leaves the queue (else it holds the others back for a grace period). */
  async leave(key: string, waiter: string): Promise<void> {
    this.local(key).queue.delete(waiter);
    const redis = this.usable();
    if (redis) {
      const [queue, due] = this.queueKeys(key);
      await redis.eval(LEAVE, 2, queue, due, waiter).catch(() => {});
    }
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
    readonly quota: QuotaWindow[],
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

  /**
   * Waits until `cost` points are available in every window for `key`, then takes them. An
   * aborted `signal` (the runner lost its lease) ends the wait at once with its reason, and
   * the runner leaves the queue.
   */
  async take(key: string, cost = 1, signal?: AbortSignal): Promise<void> {
    const maxWait = this.options.maxWaitMs ?? 5 * 60_000;
    signal?.throwIfAborted();
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
            signal,
          );
        }
      }
    }
    // The longest wait is bounded as a whole: queued behind many runners, or blocked by a 429.
    const deadline = Date.now() + maxWait;
    const waiter = randomUUID();
    for (;;) {
      const wait = await this.slots.take(key, this.intervalMs * cost, waiter);
      if (wait === 0) return;
      if (Date.now() + wait > deadline) {
        await this.slots.leave(key, waiter);
        throw new PacerWaitTooLong(Date.now() + wait);
      }
      try {
        await this.wait(key, Date.now() + wait, maxWait, "RATE", signal);
      } catch (e) {
        await this.slots.leave(key, waiter);
        throw e;
      }
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

  private async wait(
    key: string,
    untilMs: number,
    maxWait: number,
    reason: "QUOTA" | "RATE" = "RATE",
    signal?: AbortSignal,
  ): Promise<void> {
    const ms = untilMs - Date.now();
    if (ms > maxWait) throw new PacerWaitTooLong(untilMs, reason);
    if (ms <= 0) return signal?.throwIfAborted();
    this.options.onWait?.(key, untilMs);
    await sleep(ms, signal);
  }
}
