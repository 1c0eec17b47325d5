/**
 * Live progress fans out: an event published to many subscribers of one integration is read
 * from the database once per distinct query, not once per subscriber, and every subscriber
 * still gets exactly the answer its own rights give (src/graphql/event-loads.ts,
 * src/graphql/shared-subscription-results.ts).
 */
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";
import { type Subscription, subscribe } from "../support/ws.js";

interface Progress {
  syncProgress: {
    __typename?: string;
    at: string;
    run: { id: string; status: string; callsNotImported: { reasonCode: string }[] };
    user: { id: string; callsImported: number } | null;
  };
}

const selection = (extra = "") => `syncProgress(integrationId: $id) {
    ${extra}
    at
    run { id status callsNotImported { reasonCode } }
    user { id callsImported }
  }`;
const doc = (text: string) => parse(text) as unknown as TypedDocumentNode<Progress, { id: string }>;
/** Two documents (they differ by a __typename) that make the same Prisma queries. */
const FIRST = doc(`subscription Progress($id: ID!) { ${selection()} }`);
const SECOND = doc(`subscription Progress($id: ID!) { ${selection("__typename")} }`);

let api: TestApi;
let integrationId: string;
let runId: string;
let statusId: string;
let adminToken: string;
let memberToken: string;
const gid = () => Buffer.from(`Integration:${integrationId}`).toString("base64");

beforeAll(async () => {
  // No access re-check during the test: its statement would be counted with the event's.
  api = await startApi({ SUBSCRIPTION_RECHECK_MS: "60000" });
  const { workspace, admin, member } = await createWorkspace(api.prisma, "Fanout Co");
  adminToken = await api.tokenFor(admin);
  memberToken = await api.tokenFor(member);
  const integration = await api.prisma.integration.create({
    data: { workspaceId: workspace.id, provider: "GONG", status: "CONNECTED", wizardStep: "SYNC" },
  });
  integrationId = integration.id;
  const run = await api.prisma.syncRun.create({
    data: { workspaceId: workspace.id, integrationId, kind: "BACKFILL", windowTo: new Date() },
  });
  runId = run.id;
  const providerUser = await api.prisma.providerUser.create({
    data: { integrationId, providerUserId: "u-1", email: "seller@fanout.test" },
  });
  statusId = (
    await api.prisma.syncUserStatus.create({
      data: { runId, providerUserRef: providerUser.id, state: "IN_PROGRESS", callsTotal: 10 },
    })
  ).id;
  // Listed to admins only: the member's answer must never be the admin's.
  await api.prisma.skippedRecord.create({
    data: {
      workspaceId: workspace.id,
      integrationId,
      runId,
      kind: "CALL",
      providerRecordId: "private-1",
      reasonCode: "PRIVATE",
      reason: "Private in Gong",
    },
  });
}, 60_000);
afterAll(() => api.close());

let published = 0;
async function publish(): Promise<string> {
  await api.prisma.syncUserStatus.update({ where: { id: statusId }, data: { callsImported: { increment: 1 } } });
  const at = Date.now() + ++published; // distinct per event
  api.runtime.services.pubsub.publish("syncProgress", integrationId, { integrationId, runId, statusId, at });
  return new Date(at).toISOString();
}

/** Publishes until every subscription has received an event (graphql-ws subscribes asynchronously). */
async function untilAllListen(subs: Subscription<Progress>[]) {
  for (let attempt = 0; attempt < 100; attempt++) {
    await publish();
    await new Promise((r) => setTimeout(r, 100));
    if (subs.every((s) => s.events.length > 0)) return;
  }
  throw new Error("not every subscription received an event");
}

describe("syncProgress fan-out", () => {
  it("reads each event once per distinct query, whatever the number of subscribers, and answers each by its rights", async () => {
    const admins = [
      ...Array.from({ length: 6 }, () => subscribe(api.url, adminToken, FIRST, { id: gid() })),
      ...Array.from({ length: 2 }, () => subscribe(api.url, adminToken, SECOND, { id: gid() })),
    ];
    const members = Array.from({ length: 2 }, () => subscribe(api.url, memberToken, FIRST, { id: gid() }));
    const all = [...admins, ...members];
    try {
      await untilAllListen(all);
      api.resetQueries();
      const at = await publish();
      const received = await Promise.all(all.map((s) => s.until((e) => e.syncProgress.at === at)));
      // The status update above, then: the run as admins see it, the run as members see it
      // (a different filter on callsNotImported), and the user status (the same query for all);
      // one per subscription would be 20 (Prisma may batch some of those, never down to 3).
      expect(api.queries.length - 1).toBeLessThanOrEqual(3);

      const adminAnswers = received
        .slice(0, admins.length)
        .map(({ syncProgress: { __typename: _, ...rest } }) => JSON.stringify(rest));
      expect(new Set(adminAnswers).size).toBe(1);
      expect(received[0]!.syncProgress.run.callsNotImported).toEqual([{ reasonCode: "PRIVATE" }]);
      for (const e of received.slice(admins.length)) {
        expect(e.syncProgress.run.callsNotImported).toEqual([]);
        expect(e.syncProgress.user).toEqual(received[0]!.syncProgress.user);
      }
      expect(received[0]!.syncProgress.user?.callsImported).toBe(published);
      for (const s of all) expect(s.errors).toEqual([]);
    } finally {
      await Promise.all(all.map((s) => s.close()));
    }
  });
});
