/**
 * Issue #11: events of other processes that went by while this process's Redis subscriber was
 * away are not waited for in vain. Two event buses on one real Redis, each through its own
 * fault-injecting proxy, stand for a worker (publishes) and an API process (subscribes); only
 * the API's link is cut, so what the worker publishes meanwhile reaches Redis and nobody.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventBus, type EventBus, type SyncProgressEvent } from "../../src/events/pubsub.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { pollUntil, TEST_REDIS_URL } from "../support/processes.js";

const through = (proxy: FaultProxy) => {
  const url = new URL(TEST_REDIS_URL);
  url.port = String(proxy.port);
  return url.toString();
};

let apiLink: FaultProxy;
let workerLink: FaultProxy;
let api: EventBus;
let worker: EventBus;

beforeAll(async () => {
  const port = Number(new URL(TEST_REDIS_URL).port || 6379);
  apiLink = await startFaultProxy(port);
  workerLink = await startFaultProxy(port);
  api = createEventBus(through(apiLink));
  worker = createEventBus(through(workerLink));
  await pollUntil(
    "both buses connected",
    async () => (api.connected() && worker.connected() ? true : undefined),
    10_000,
  );
});

afterAll(async () => {
  await api?.close();
  await worker?.close();
  await apiLink?.close();
  await workerLink?.close();
});

/** Collects what a subscription yields, in the background. */
function collect<T>(iterator: AsyncIterable<T>) {
  const seen: T[] = [];
  void (async () => {
    for await (const e of iterator) seen.push(e);
  })();
  return seen;
}

describe("event bus after the subscriber's Redis outage", () => {
  it("gives each topic's subscribers one re-read event for what they may have missed, then live events again", async () => {
    const integrationId = `int-${Date.now()}`;
    const progress = collect(api.pubsub.subscribe("syncProgress", integrationId));
    const integration = collect(api.pubsub.subscribe("integration", integrationId));
    const event = (statusId: string | null, at = Date.now()): SyncProgressEvent => ({
      integrationId,
      runId: "run-1",
      statusId,
      at,
    });

    // Subscribed once a worker's event arrives (the SUBSCRIBE is asynchronous).
    await pollUntil(
      "a live event before the outage",
      async () => {
        worker.pubsub.publish("syncProgress", integrationId, event("user-a"));
        return progress.length > 0 ? true : undefined;
      },
      10_000,
      200,
    );
    const before = progress.length;

    apiLink.cut();
    await pollUntil("the API bus to notice", async () => (api.connected() ? undefined : true), 10_000);
    // The run finishes while the API cannot hear it: this event reaches Redis and no subscriber.
    worker.pubsub.publish("syncProgress", integrationId, event("user-b"));
    worker.pubsub.publish("integration", integrationId, { type: "SYNC_FINISHED", integrationId, at: Date.now() });
    await new Promise((r) => setTimeout(r, 300));
    expect(progress.length).toBe(before);
    apiLink.restore();

    await pollUntil("the re-read events", async () => (progress.length > before ? true : undefined), 20_000, 100);
    // A run-level event of the run last heard of: subscribers re-read the run (and see it finished).
    expect(progress[before]).toMatchObject({ integrationId, runId: "run-1", statusId: null });
    await pollUntil("the integration re-read", async () => (integration.length > 0 ? true : undefined), 5_000);
    expect(integration[0]).toMatchObject({ type: "STATUS_CHANGED", integrationId });
    expect(progress.map((e) => e.statusId)).not.toContain("user-b");

    // And the worker's events arrive live again.
    const marker = Date.now();
    await pollUntil(
      "live events after the outage",
      async () => {
        worker.pubsub.publish("syncProgress", integrationId, event("user-c", marker));
        return progress.some((e) => e.statusId === "user-c") ? true : undefined;
      },
      10_000,
      200,
    );
  });
});
