/**
 * Long-lived subscriptions keep being authorized (SECURITY.md rule 7). A subscription is
 * authorized when it starts; after that its stream ends within seconds when
 * - its bearer token expires (a timer at `exp`),
 * - its user is removed, moves to another workspace, or changes role (the client subscribes
 *   again under its new rights).
 * One AccessMonitor per process re-reads the users of all open subscriptions in one statement
 * every `recheckMs` (nothing while none is open), so the cost is one indexed query per interval,
 * not one per event or per subscriber.
 *
 * How a stream ends: over graphql-ws the socket closes with 4401 (token expired, user removed)
 * or 4403 (access changed) — the connection's token is what lapsed, so every operation on it
 * ends; over SSE the stream sends one UNAUTHENTICATED error and completes.
 */

import type { ExecutionResult } from "graphql";
import { CloseCode } from "graphql-ws";
import type { Plugin } from "graphql-yoga";
import type { Db } from "../db/client.js";
import type { Logger } from "../logger.js";
import type { Context, Viewer } from "./context.js";
import { appError } from "./errors.js";

export interface Lapse {
  /** graphql-ws close code. */
  closeCode: CloseCode.Unauthorized | CloseCode.Forbidden;
  message: string;
}

const TOKEN_EXPIRED: Lapse = { closeCode: CloseCode.Unauthorized, message: "The token expired. Sign in again." };
const USER_REMOVED: Lapse = { closeCode: CloseCode.Unauthorized, message: "This user no longer exists." };
const ACCESS_CHANGED: Lapse = {
  closeCode: CloseCode.Forbidden,
  message: "This user's role or workspace changed. Subscribe again.",
};

interface Watch {
  viewer: Viewer;
  tokenExpiresAt: number;
  onLapse: (lapse: Lapse) => void;
  expiry: NodeJS.Timeout | null;
}

/** setTimeout's longest delay; a later expiry is caught by the periodic re-check. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const IDS_PER_STATEMENT = 1000;

export class AccessMonitor {
  private readonly watches = new Set<Watch>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    private readonly prisma: Db,
    private readonly recheckMs: number,
    private readonly log: Logger,
  ) {}

  /** Calls `onLapse` once when the viewer's access lapses; returns the function that stops watching. */
  watch(viewer: Viewer, tokenExpiresAt: number, onLapse: (lapse: Lapse) => void): () => void {
    const watch: Watch = { viewer, tokenExpiresAt, onLapse, expiry: null };
    const untilExpiry = tokenExpiresAt - Date.now();
    if (untilExpiry <= MAX_TIMER_MS)
      watch.expiry = setTimeout(() => this.lapse(watch, TOKEN_EXPIRED), Math.max(0, untilExpiry));
    this.watches.add(watch);
    if (!this.timer) {
      this.timer = setInterval(() => void this.recheck(), this.recheckMs);
      this.timer.unref();
    }
    return () => this.unwatch(watch);
  }

  close(): void {
    for (const watch of this.watches) this.unwatch(watch);
  }

  private unwatch(watch: Watch) {
    if (watch.expiry) clearTimeout(watch.expiry);
    this.watches.delete(watch);
    if (this.watches.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private lapse(watch: Watch, lapse: Lapse) {
    if (!this.watches.has(watch)) return;
    this.unwatch(watch);
    watch.onLapse(lapse);
  }

  /** One statement per interval (per thousand users) for every open subscription of the process. */
  private async recheck() {
    if (this.checking || this.watches.size === 0) return;
    this.checking = true;
    try {
      const ids = [...new Set([...this.watches].map((w) => w.viewer.userId))];
      const users = new Map<string, { workspaceId: string; role: string }>();
      for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
        const rows = await this.prisma.user.findMany({
          where: { id: { in: ids.slice(i, i + IDS_PER_STATEMENT) } },
          select: { id: true, workspaceId: true, role: true },
        });
        for (const row of rows) users.set(row.id, row);
      }
      const now = Date.now();
      for (const watch of [...this.watches]) {
        const { userId, workspaceId, role } = watch.viewer;
        const user = users.get(userId);
        if (watch.tokenExpiresAt <= now) this.lapse(watch, TOKEN_EXPIRED);
        else if (!user) this.lapse(watch, USER_REMOVED);
        else if (user.workspaceId !== workspaceId || user.role !== role) this.lapse(watch, ACCESS_CHANGED);
      }
    } catch (err) {
      // A failed re-check keeps the streams open until the next one; it never ends them at random.
      this.log.warn({ err }, "subscription access re-check failed");
    } finally {
      this.checking = false;
    }
  }
}

interface ClosableSocket {
  close(code: number, reason: string): void;
}

/** The stream, ended with `end(lapse)` (which may add a last result) when access lapses. */
function untilLapse(
  source: AsyncIterable<ExecutionResult>,
  watch: (onLapse: (lapse: Lapse) => void) => () => void,
  end: (lapse: Lapse) => ExecutionResult | null,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let lapsed!: (lapse: Lapse) => void;
  const lapse = new Promise<{ lapse: Lapse }>((resolve) => {
    lapsed = (l) => resolve({ lapse: l });
  });
  const unwatch = watch(lapsed);
  let finished = false;
  const finish = async (): Promise<IteratorResult<ExecutionResult>> => {
    if (!finished) {
      finished = true;
      unwatch();
      await iterator.return?.();
    }
    return { done: true, value: undefined };
  };
  // A hand-written iterator rather than an async generator: a generator's return() waits for its
  // pending await, so an unsubscribe would hang until the next event.
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return { done: true, value: undefined };
      const next = await Promise.race([iterator.next(), lapse]);
      if ("lapse" in next) {
        const last = end(next.lapse);
        await finish();
        return last ? { done: false, value: last } : { done: true, value: undefined };
      }
      if (next.done) await finish();
      return next;
    },
    return: finish,
    async throw(error) {
      await finish();
      throw error;
    },
  };
}

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return typeof (value as AsyncIterable<T>)?.[Symbol.asyncIterator] === "function";
}

/** The envelop plugin: every subscription stream (SSE and graphql-ws) is watched by the monitor. */
export function useSubscriptionAuthorization(monitor: AccessMonitor): Plugin {
  return {
    onSubscribe({ args }) {
      const ctx = args.contextValue as unknown as Context & { socket?: ClosableSocket };
      const { viewer, tokenExpiresAt } = ctx;
      if (!viewer || tokenExpiresAt === null) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable<ExecutionResult>(result)) return;
          setResult(
            untilLapse(
              result,
              (onLapse) => monitor.watch(viewer, tokenExpiresAt, onLapse),
              (lapse) => {
                ctx.log.info({ reason: lapse.message }, "subscription ended: access lapsed");
                if (ctx.socket) {
                  ctx.socket.close(lapse.closeCode, lapse.message);
                  return null;
                }
                return { errors: [appError("UNAUTHENTICATED", lapse.message)] };
              },
            ),
          );
        },
      };
    },
  };
}
