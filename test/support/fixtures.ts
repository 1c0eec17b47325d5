/** Workspaces, users and deals written straight to the database, for tests that read them back. */
import type { Db } from "../../src/db/client.js";
import type { CallRecord } from "../../src/providers/types.js";
import { storeCalls } from "../../src/sync/store.js";

export async function createWorkspace(db: Db, name: string, crm: "SALESFORCE" | "HUBSPOT" | null = "SALESFORCE") {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "");
  const workspace = await db.workspace.create({
    data: {
      name,
      users: {
        create: [
          { email: `admin@${slug}.test`, name: `${name} Admin`, role: "ADMIN" },
          { email: `member@${slug}.test`, name: `${name} Member`, role: "MEMBER" },
        ],
      },
    },
    include: { users: { orderBy: { email: "asc" } } },
  });
  if (crm) await db.crmConnection.create({ data: { workspaceId: workspace.id, provider: crm } });
  const [admin, member] = workspace.users;
  return { workspace, admin: admin!, member: member! };
}

// --- Calls, written the way a sync writes them (src/sync/store.ts) ---------------------------

type CallProviderName = "GONG" | "SALESLOFT" | "CLARI_COPILOT";

/** A complete, READY call record; override what a test is about. */
export function callRecord(providerCallId: string, overrides: Partial<CallRecord> = {}): CallRecord {
  const startedAt = overrides.startedAt ?? Date.UTC(2026, 0, 15, 10, 0, 0);
  return {
    providerCallId,
    title: `Call ${providerCallId}`,
    startedAt,
    endedAt: startedAt + 30 * 60_000,
    durationMs: 30 * 60_000,
    direction: "CONFERENCE",
    ownerProviderUserId: null,
    ownerEmail: null,
    url: `https://app.example.test/calls/${providerCallId}`,
    participants: [],
    transcript: [],
    summary: null,
    actionItems: [],
    crmRefs: [],
    readiness: "READY",
    providerUpdatedAt: null,
    ...overrides,
  };
}

/** A Salesforce Opportunity (or HubSpot Deal) reference as a provider attaches it to a call. */
export function dealRef(objectId: string, system: "SALESFORCE" | "HUBSPOT" = "SALESFORCE") {
  return { system, objectType: system === "SALESFORCE" ? "Opportunity" : "Deal", objectId } as const;
}

/**
 * Stores call records for a workspace as a sync of `provider` would (integration created on first use,
 * internal participants matched to workspace users by email). Returns the call ids by provider call id.
 */
export async function storeTestCalls(
  db: Db,
  workspaceId: string,
  records: CallRecord[],
  provider: CallProviderName = "GONG",
): Promise<Record<string, string>> {
  const integration = await db.integration.upsert({
    where: { workspaceId_provider: { workspaceId, provider } },
    create: { workspaceId, provider, status: "CONNECTED", wizardStep: "COMPLETE", connectedAt: new Date() },
    update: {},
  });
  const users = await db.user.findMany({ where: { workspaceId }, select: { id: true, email: true } });
  await storeCalls(
    db,
    {
      workspaceId,
      integrationId: integration.id,
      provider,
      usersByEmail: new Map(users.map((u) => [u.email.toLowerCase(), u.id])),
      usersByProviderId: new Map(),
      transcriptWindowMs: 3 * 86_400_000,
    },
    records,
  );
  const calls = await db.call.findMany({
    where: { integrationId: integration.id, providerCallId: { in: records.map((r) => r.providerCallId) } },
    select: { id: true, providerCallId: true },
  });
  return Object.fromEntries(calls.map((c) => [c.providerCallId, c.id]));
}

/** A deal (and optionally its account) written straight to the database. */
export async function createDeal(
  db: Db,
  workspaceId: string,
  deal: {
    crmId: string;
    name: string;
    crmProvider?: "SALESFORCE" | "HUBSPOT";
    stage?: string | null;
    amount?: string | null;
    closeDate?: Date | null;
    ownerEmail?: string | null;
    accountName?: string;
    updatedAt?: Date;
  },
) {
  const crmProvider = deal.crmProvider ?? "SALESFORCE";
  const account = deal.accountName
    ? await db.account.create({
        data: { workspaceId, crmProvider, crmId: `acc-${deal.crmId}`, name: deal.accountName },
      })
    : null;
  return db.deal.create({
    data: {
      workspaceId,
      crmProvider,
      crmId: deal.crmId,
      name: deal.name,
      stage: deal.stage ?? null,
      amount: deal.amount ?? null,
      closeDate: deal.closeDate ?? null,
      ownerEmail: deal.ownerEmail ?? null,
      accountId: account?.id ?? null,
      ...(deal.updatedAt ? { updatedAt: deal.updatedAt } : {}),
    },
  });
}

/** The global id a Relay client sees for a row (`base64("Type:id")`). */
export const globalId = (typename: string, id: string) => Buffer.from(`${typename}:${id}`).toString("base64");
