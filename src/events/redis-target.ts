/**
 * The event target behind the pubsub when Redis is configured. Unlike
 * `@graphql-yoga/redis-event-target`, an outage of Redis neither crashes the process nor silences
 * it:
 *
 * - every event reaches this process's own subscribers at once, without a Redis round trip
 *   (messages coming back from Redis carry this process's origin id and are skipped);
 * - a publish that cannot reach Redis is kept in a bounded buffer and sent when the connection
 *   is back (subscribers re-read state from the database, so a late or dropped event only
 *   delays a refresh);
 * - ioredis re-subscribes its channels on reconnect, so other processes' events resume by
 *   themselves;
 * - what other processes published while this subscriber was away is gone (Redis pub/sub keeps
 *   nothing, and a publisher that reconnects first flushes its buffer to nobody), so once the
 *   channels are subscribed again every topic gets one local `resync` event: subscribers re-read
 *   what they may have missed (a run that finished during the outage) instead of waiting for
 *   an event that already went by. A topic first subscribed while Redis was away (a client that
 *   connected during the outage, or before this process first reached Redis) gets one too when
 *   Redis is there: it may have missed the same.
 */
import { randomUUID } from "node:crypto";
import type { PubSubEventTarget } from "graphql-yoga";
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";

/** Events published while Redis is away beyond this many are dropped, oldest first. */
const BUFFER_LIMIT = 1_000;

type Callback = (event: CustomEvent) => void;
type Listener = Callback | { handleEvent: Callback };

// biome-ignore lint/suspicious/noExplicitAny: the target is generic over every event map
export type ResilientRedisTarget<E extends Record<string, any>> = PubSubEventTarget<E> & {
  /** Publishes waiting for Redis to come back. */
  readonly buffered: number;
};

// biome-ignore lint/suspicious/noExplicitAny: see ResilientRedisTarget
export function createResilientRedisTarget<E extends Record<string, any>>(args: {
  publishClient: Redis;
  subscribeClient: Redis;
  log: Logger;
  /**
   * The event a topic's subscribers get after the subscriber connection came back from an
   * outage, given the last event delivered on that topic (undefined if none was); undefined
   * sends none. Without it, no resync events.
   */
  resync?: (topic: string, last: unknown) => unknown | Promise<unknown>;
}): ResilientRedisTarget<E> {
  const { publishClient, subscribeClient, log, resync } = args;
  const origin = randomUUID();
  const callbacks = new Map<string, Set<Callback>>();
  /** The last event delivered per subscribed topic, for `resync`. */
  const last = new Map<string, unknown>();
  const pending: [topic: string, message: string][] = [];
  let flushing = false;

  const deliver = (topic: string, detail: unknown) => {
    const set = callbacks.get(topic);
    if (!set) return;
    last.set(topic, detail);
    const event = new CustomEvent(topic, { detail });
    for (const callback of [...set]) callback(event);
  };

  // "close" after "ready" is an outage; the "ready" after it is the way back. A topic first
  // subscribed while the connection was not ready (an outage, or Redis away since this process
  // started) is resynced on the next "ready" too. The resync waits for Redis to confirm the
  // subscriptions (SUBSCRIBE again is harmless), so that nothing published after the
  // subscribers re-read is missed.
  let wasReady = false;
  let lost = false;
  /** Topics first subscribed while Redis was away (when no whole outage is to resync). */
  const joinedAway = new Set<string>();
  subscribeClient.on("close", () => {
    if (wasReady) lost = true;
  });
  subscribeClient.on("ready", () => {
    wasReady = true;
    if (!resync) return;
    const topics = lost ? [...callbacks.keys()] : [...joinedAway].filter((t) => callbacks.has(t));
    lost = false;
    joinedAway.clear();
    if (topics.length === 0) return;
    subscribeClient.subscribe(...topics).then(
      async () => {
        for (const topic of topics) {
          const detail = await Promise.resolve(resync(topic, last.get(topic))).catch((err: unknown) => {
            log.warn({ topic, err }, "re-read event after the Redis outage failed");
            return undefined;
          });
          if (detail !== undefined) deliver(topic, detail);
        }
      },
      // Gone again before the confirmation: the next "ready" resyncs.
      () => {
        for (const topic of topics) joinedAway.add(topic);
      },
    );
  });

  subscribeClient.on("message", (topic: string, raw: string) => {
    let message: { o: string; d: unknown };
    try {
      message = JSON.parse(raw) as { o: string; d: unknown };
    } catch {
      return;
    }
    if (message.o !== origin) deliver(topic, message.d);
  });

  const send = async (topic: string, message: string): Promise<boolean> => {
    try {
      await publishClient.publish(topic, message);
      return true;
    } catch {
      return false;
    }
  };

  const flush = async () => {
    if (flushing) return;
    flushing = true;
    try {
      while (pending.length > 0) {
        const [topic, message] = pending[0]!;
        if (!(await send(topic, message))) return;
        pending.shift();
      }
    } finally {
      flushing = false;
    }
  };
  publishClient.on("ready", () => void flush());

  const keep = (topic: string, message: string) => {
    pending.push([topic, message]);
    if (pending.length > BUFFER_LIMIT) {
      pending.shift();
      log.warn({ limit: BUFFER_LIMIT }, "events buffered while Redis is away exceed the limit; dropping the oldest");
    }
  };

  const subscribe = (topic: string) =>
    // Rejected while Redis is away: ioredis subscribes again when it reconnects only channels it
    // already knew, so retry until this one is known.
    subscribeClient.subscribe(topic).catch((err: unknown) => {
      log.warn({ topic, err }, "subscribing to Redis failed; retrying");
      setTimeout(() => {
        if (callbacks.has(topic)) void subscribe(topic);
      }, 1_000).unref();
    });

  const callbackOf = (listener: Listener): Callback =>
    "handleEvent" in listener ? listener.handleEvent.bind(listener) : listener;
  const registered = new WeakMap<object, Callback>();

  return {
    get buffered() {
      return pending.length;
    },
    addEventListener(topic, listener) {
      if (!listener) return;
      const callback = registered.get(listener) ?? callbackOf(listener as unknown as Listener);
      registered.set(listener, callback);
      let set = callbacks.get(topic);
      if (!set) {
        set = new Set();
        callbacks.set(topic, set);
        if (subscribeClient.status !== "ready") joinedAway.add(topic);
        void subscribe(topic);
      }
      set.add(callback);
    },
    removeEventListener(topic, listener) {
      if (!listener) return;
      const callback = registered.get(listener);
      const set = callbacks.get(topic);
      if (!callback || !set) return;
      set.delete(callback);
      if (set.size > 0) return;
      callbacks.delete(topic);
      joinedAway.delete(topic);
      last.delete(topic);
      subscribeClient.unsubscribe(topic).catch(() => {});
    },
    dispatchEvent(event) {
      const topic = event.type;
      deliver(topic, (event as CustomEvent).detail);
      const message = JSON.stringify({ o: origin, d: (event as CustomEvent).detail ?? null });
      if (pending.length > 0 || publishClient.status !== "ready") {
        keep(topic, message);
        // A flush that failed half-way is taken up again by the next event once Redis is back.
        if (publishClient.status === "ready") void flush();
      } else
        void send(topic, message).then((sent) => {
          if (!sent) {
            keep(topic, message);
            void flush();
          }
        });
      return true;
    },
  };
}
