/**
 * Events that subscriptions deliver. Workers publish, every API instance delivers: through
 * Redis when REDIS_URL is set (one channel per topic), in memory for a single process.
 * Payloads carry ids and what changed; subscribers re-read state from the database, so an
 * event never carries data across workspaces or outlives its authorisation.
 */
import { createPubSub } from "graphql-yoga";
import { createLogger, type Logger } from "../logger.js";
import { openRedis } from "../redis.js";
import { createResilientRedisTarget } from "./redis-target.js";

export const INTEGRATION_EVENT_TYPES = [
  "AUTHORIZED",
  "AUTHORIZATION_FAILED",
  "STEP_CHANGED",
  "STATUS_CHANGED",
  "SYNC_STARTED",
  "SYNC_FINISHED",
] as const;
export type IntegrationEventType = (typeof INTEGRATION_EVENT_TYPES)[number];

export interface IntegrationEvent {
  type: IntegrationEventType;
  integrationId: string;
  /** Error code for AUTHORIZATION_FAILED. */
  code?: string | null;
  message?: string | null;
  at: number;
}

export interface SyncProgressEvent {
  integrationId: string;
  runId: string;
  /** The SyncUserStatus that changed; null when only the run changed. */
  statusId: string | null;
  /** When the worker wrote the change (ms epoch), for latency measurements. */
  at: number;
}

export type Events = {
  integration: [integrationId: string, event: IntegrationEvent];
  syncProgress: [integrationId: string, event: SyncProgressEvent];
};

export type PubSub = ReturnType<typeof createPubSub<Events>>;

export interface EventBus {
  pubsub: PubSub;
  /** False while events cannot reach other processes (Redis away). */
  connected(): boolean;
  close(): Promise<void>;
}

/** The integration's latest run (its id), or null when it never ran: read from the database. */
export type LatestRunLookup = (integrationId: string) => Promise<string | null>;

/**
 * What a topic's subscribers get after this process lost Redis for a while and events of other
 * processes may have gone by: "re-read". Sync progress: a run-level event of the run last
 * heard of, or, when the topic heard of none (its subscriber came during the outage, or no
 * event came before it), of the integration's latest run (its status is read from the
 * database, so a run that started or finished meanwhile shows as it is now); nothing when the
 * integration never ran. Integration events: STATUS_CHANGED (the integration is re-read).
 */
export function resyncWith(latestRun?: LatestRunLookup) {
  return async (topic: string, last: unknown): Promise<unknown> => {
    const [routingKey, ...rest] = topic.split(":");
    const integrationId = rest.join(":");
    if (routingKey === "syncProgress") {
      const event = last as SyncProgressEvent | undefined;
      if (event) return { ...event, statusId: null } satisfies SyncProgressEvent;
      const runId = integrationId && latestRun ? await latestRun(integrationId) : null;
      return runId ? ({ integrationId, runId, statusId: null, at: Date.now() } satisfies SyncProgressEvent) : undefined;
    }
    if (routingKey === "integration" && integrationId)
      return { type: "STATUS_CHANGED", integrationId, at: Date.now() } satisfies IntegrationEvent;
    return undefined;
  };
}

export function createEventBus(
  redisUrl: string | null,
  log: Logger = createLogger("silent"),
  options: { latestRun?: LatestRunLookup } = {},
): EventBus {
  if (!redisUrl) return { pubsub: createPubSub<Events>(), connected: () => true, close: async () => {} };
  const publishClient = openRedis(redisUrl, log.child({ redis: "publish" }));
  const subscribeClient = openRedis(redisUrl, log.child({ redis: "subscribe" }), { queueWhileOffline: true });
  const eventTarget = createResilientRedisTarget<Events>({
    publishClient,
    subscribeClient,
    log,
    resync: resyncWith(options.latestRun),
  });
  return {
    pubsub: createPubSub<Events>({ eventTarget }),
    connected: () => publishClient.status === "ready" && subscribeClient.status === "ready",
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
