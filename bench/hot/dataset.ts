/**
 * The data the hot queries are measured on: 550 deals and 10,100 calls with participants,
 * summaries, action items and transcripts, in two workspaces (the measured one has 500 deals ×
 * 20 calls), plus a running sync of that workspace's Gong integration for the fan-out.
 */
import type { Db } from "../../src/db/client.js";
import { storeCalls } from "../../src/sync/store.js";
import { callRecord } from "../../test/support/calls.js";

export interface HotDataset {
  userId: string;
  workspaceId: string;
  /** Global id of the deal the deal page reads (20 calls). */
  dealId: string;
  integrationId: string;
  runId: string;
  statusIds: string[];
  calls: number;
  deals: number;
}

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");

async function workspace(db: Db, name: string, deals: number, callsPerDeal: number, firstCall: number) {
  const ws = await db.workspace.create({
    data: { name, users: { create: { email: `admin@${name.toLowerCase()}.test`, name: "Admin", role: "ADMIN" } } },
    include: { users: true },
  });
  await db.crmConnection.create({ data: { workspaceId: ws.id, provider: "SALESFORCE" } });
  const integration = await db.integration.create({
    data: { workspaceId: ws.id, provider: "GONG", status: "CONNECTED", wizardStep: "COMPLETE" },
  });
  const target = {
    workspaceId: ws.id,
    integrationId: integration.id,
    provider: "GONG" as const,
    usersByEmail: new Map(),
    usersByProviderId: new Map(),
    transcriptWindowMs: 86_400_000,
  };
  let n = firstCall;
  let firstDeal = "";
  let batch: ReturnType<typeof callRecord>[] = [];
  for (let d = 0; d < deals; d++) {
    const crmId = `006${name}${String(d).padStart(10, "0")}`;
    const deal = await db.deal.create({
      data: { workspaceId: ws.id, crmProvider: "SALESFORCE", crmId, name: `${name} deal ${d}`, stage: "Discovery" },
    });
    firstDeal ||= deal.id;
    for (let c = 0; c < callsPerDeal; c++)
      batch.push(callRecord(++n, { crmRefs: [{ system: "SALESFORCE", objectType: "Opportunity", objectId: crmId }] }));
    if (batch.length >= 40 || d === deals - 1) {
      await storeCalls(db, target, batch);
      batch = [];
    }
  }
  return { ws, user: ws.users[0]!, integration, firstDeal, calls: n - firstCall };
}

export async function seedHotDataset(db: Db): Promise<HotDataset> {
  const base = await workspace(db, "Base", 50, 2, 0);
  const big = await workspace(db, "Tenfold", 500, 20, base.calls);
  const run = await db.syncRun.create({
    data: { workspaceId: big.ws.id, integrationId: big.integration.id, kind: "BACKFILL", windowTo: new Date() },
  });
  const statusIds: string[] = [];
  for (let u = 0; u < 10; u++) {
    const providerUser = await db.providerUser.create({
      data: {
        integrationId: big.integration.id,
        providerUserId: `u-${u}`,
        email: `seller${u}@tenfold.test`,
        name: `Seller ${u}`,
      },
    });
    const status = await db.syncUserStatus.create({
      data: {
        runId: run.id,
        providerUserRef: providerUser.id,
        state: "IN_PROGRESS",
        startedAt: new Date(),
        callsTotal: 1000,
      },
    });
    statusIds.push(status.id);
  }
  return {
    userId: big.user.id,
    workspaceId: big.ws.id,
    dealId: globalId("Deal", big.firstDeal),
    integrationId: globalId("Integration", big.integration.id),
    runId: run.id,
    statusIds,
    calls: base.calls + big.calls,
    deals: 550,
  };
}
