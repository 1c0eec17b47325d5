/**
 * Issue #11: events of other processes that went by while this process's Redis subscriber was
 * away are not waited for in vain. Two event buses on one real Redis, each through its own
 * fault-injecting proxy, stand for a worker (publishes) and an API process (subscribes); only
 * the API's link is cut, so what the worker publishes meanwhile reaches Redis and nobody.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventBus, type EventBus, type SyncProgressEvent } from "../../src/events/pubsub.js";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { createIntegration } from "../support/calls.js";
import { createPrisma, createTestDatabase, type TestDatabase } from "../support/db.js";
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
let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  const port = Number(new URL(TEST_REDIS_URL).port || 6379);
  apiLink = await startFaultProxy(port);
  workerLink = await startFaultProxy(port);
  db = await createTestDatabase();
  prisma = createPrisma(db.url);
  // The API's bus finds an integration's latest run as the runtime's does: in the database.
  api = createEventBus(through(apiLink), undefined, {
    latestRun: async (integrationId) =>
      (await prisma.syncRun.findFirst({ where: { integrationId }, orderBy: { startedAt: "desc" } }))?.id ?? null,
  });
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
  await prisma?.$disconnect();
  await db?.drop();
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

  it("a subscriber that came while Redis was away gets the current run when Redis returns, with no event before", async () => {
    const workspace = await prisma.workspace.create({ data: { name: "Resync" } });
    const integration = await createIntegration(prisma, workspace.id);
    apiLink.cut();
    await pollUntil("the API bus to notice", async () => (api.connected() ? undefined : true), 10_000);
    // Connected during the outage: this topic has heard nothing yet, in this process or any.
    const progress = collect(api.pubsub.subscribe("syncProgress", integration.id));
    const events = collect(api.pubsub.subscribe("integration", integration.id));
    // And a process that started during the outage (its bus never reached Redis) has one too.
    const late = createEventBus(through(apiLink), undefined, {
      latestRun: async (id) =>
        (await prisma.syncRun.findFirst({ where: { integrationId: id }, orderBy: { startedAt: "desc" } }))?.id ?? null,
    });
    const lateProgress = collect(late.pubsub.subscribe("syncProgress", integration.id));
    // Meanwhile a worker starts a run and says so: the event reaches Redis and no subscriber.
    const run = await prisma.syncRun.create({
      data: { workspaceId: workspace.id, integrationId: integration.id, kind: "BACKFILL", windowTo: new Date() },
    });
    worker.pubsub.publish("syncProgress", integration.id, {
      integrationId: integration.id,
      runId: run.id,
      statusId: null,
      at: Date.now(),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(progress).toEqual([]);
    expect(lateProgress).toEqual([]);
    apiLink.restore();

    await pollUntil("the re-read event", async () => (progress.length > 0 ? true : undefined), 20_000, 100);
    expect(progress[0]).toMatchObject({ integrationId: integration.id, runId: run.id, statusId: null });
    await pollUntil(
      "the late process's re-read event",
      async () => (lateProgress.length > 0 ? true : undefined),
      20_000,
    );
    expect(lateProgress[0]).toMatchObject({ integrationId: integration.id, runId: run.id, statusId: null });
    await late.close();
    await pollUntil("the integration re-read", async () => (events.length > 0 ? true : undefined), 5_000);
    expect(events[0]).toMatchObject({ type: "STATUS_CHANGED", integrationId: integration.id });
  });
});
