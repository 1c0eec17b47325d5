/**
 * Redis connections that survive Redis going away: they reconnect with capped exponential
 * backoff forever, log the outage once (not every retry), and by default fail commands at once
 * while disconnected instead of queueing them (callers have a fallback: in-memory pacing, the
 * event buffer). A subscriber queues its (un)subscribe commands instead, and ioredis subscribes
 * again to its channels when it reconnects.
 */
import { Redis } from "ioredis";
import type { Logger } from "./logger.js";

/** Backoff between reconnect attempts: 100 ms doubling up to 5 s, with jitter. */
export function reconnectDelay(attempt: number): number {
  const base = Math.min(5_000, 100 * 2 ** Math.min(attempt, 10));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

export function openRedis(url: string, log: Logger, options: { queueWhileOffline?: boolean } = {}): Redis {
  const queue = options.queueWhileOffline ?? false;
  const redis = new Redis(url, {
    retryStrategy: reconnectDelay,
    enableOfflineQueue: queue,
    // Queued commands wait for the reconnect instead of failing after 20 retries.
    maxRetriesPerRequest: queue ? null : 1,
  });
  let down = false;
  redis.on("error", (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: err.message }, "Redis unreachable; reconnecting");
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    log.info("Redis reconnected");
  });
  return redis;
}
