/**
 * The demo workspace: Acme Software with an admin and members whose emails match the
 * simulated providers' users, a Salesforce connection, accounts and deals whose CRM ids match
 * the simulated calls (defaultScenario), and optionally calls already imported.
 */
import type { Db } from "../db/client.js";
import type { CallRecord } from "../providers/types.js";
import { conversation, defaultScenario, prng, type Scenario } from "../simulators/scenario.js";
import { storeCalls } from "../sync/store.js";

export interface DemoOptions {
  scenario?: Scenario;
  /** Also store a few calls per deal, as if a provider had been synced (for `db:seed`). */
  withCalls?: boolean;
  workspaceName?: string;
}

export interface DemoWorkspace {
  workspaceId: string;
  adminId: string;
  memberIds: string[];
}

const STAGES = ["Discovery", "Evaluation", "Proposal", "Negotiation", "Closed Won"];

export async function seedDemo(db: Db, options: DemoOptions = {}): Promise<DemoWorkspace> {
  const scenario = options.scenario ?? defaultScenario();
  const rand = prng(scenario.seed);
  const name = options.workspaceName ?? scenario.companyName;
  const existing = await db.workspace.findFirst({ where: { name }, include: { users: true } });
  if (existing) {
    const admin = existing.users.find((u) => u.role === "ADMIN");
    if (admin)
      return {
        workspaceId: existing.id,
        adminId: admin.id,
        memberIds: existing.users.filter((u) => u.role === "MEMBER").map((u) => u.id),
      };
  }
  // The last scenario user deliberately has no workspace account (skipped on sync).
  const people = scenario.users.slice(0, -1);
  const workspace = await db.workspace.create({
    data: {
      name,
      users: {
        create: people.map((u, i) => ({
          email: u.email.toLowerCase(),
          name: `${u.firstName} ${u.lastName}`,
          role: i === 0 ? "ADMIN" : "MEMBER",
        })),
      },
    },
    include: { users: { orderBy: { email: "asc" } } },
  });
  const admin = workspace.users.find((u) => u.role === "ADMIN")!;
  await db.crmConnection.create({
    data: { workspaceId: workspace.id, provider: "SALESFORCE", connectedById: admin.id },
  });
  // The last deal of the scenario is left out: its calls show "no matching deal" until it arrives.
  for (const [i, d] of scenario.deals.slice(0, -1).entries()) {
    const account = await db.account.create({
      data: { workspaceId: workspace.id, crmProvider: d.crm, crmId: d.accountId, name: d.accountName },
    });
    const owner = people[i % people.length]!;
    await db.deal.create({
      data: {
        workspaceId: workspace.id,
        crmProvider: d.crm,
        crmId: d.dealId,
        name: `${d.accountName} — ${40 + i * 10} seats`,
        stage: STAGES[i % STAGES.length]!,
        amount: (24_000 + Math.round(rand() * 90) * 1000).toFixed(2),
        currency: "USD",
        closeDate: new Date(Date.UTC(2027, i % 12, 15)),
        ownerEmail: owner.email,
        ownerName: `${owner.firstName} ${owner.lastName}`,
        accountId: account.id,
      },
    });
  }

  if (options.withCalls) {
    const integration = await db.integration.create({
      data: {
        workspaceId: workspace.id,
        provider: "GONG",
        status: "DISCONNECTED",
        wizardStep: "COMPLETE",
        connectedAccountName: "Demo data (seed)",
        connectedAt: new Date(),
        connectedById: admin.id,
        disconnectedAt: new Date(),
      },
    });
    const usersByEmail = new Map(workspace.users.map((u) => [u.email, u.id]));
    await storeCalls(
      db,
      {
        workspaceId: workspace.id,
        integrationId: integration.id,
        provider: "GONG",
        usersByEmail,
        usersByProviderId: new Map(),
        transcriptWindowMs: 3 * 86_400_000,
      },
      demoCalls(scenario, people, rand),
    );
  }
  return {
    workspaceId: workspace.id,
    adminId: admin.id,
    memberIds: workspace.users.filter((u) => u.role === "MEMBER").map((u) => u.id),
  };
}

function demoCalls(scenario: Scenario, people: Scenario["users"], rand: () => number): CallRecord[] {
  const calls: CallRecord[] = [];
  let n = 0;
  for (const host of people) {
    for (let i = 0; i < scenario.callsPerUser; i++) {
      const deal = scenario.deals[Math.floor(rand() * scenario.deals.length)]!;
      const noCrm = rand() < scenario.noCrmRatio;
      const convo = conversation(rand, deal.accountName, scenario.segmentsPerCall);
      const startedAt = Math.floor(scenario.fromMs + rand() * (scenario.toMs - scenario.fromMs));
      const hostName = `${host.firstName} ${host.lastName}`;
      n++;
      calls.push({
        providerCallId: `seed-${n}`,
        title: convo.title,
        startedAt,
        endedAt: startedAt + convo.durationMs,
        durationMs: convo.durationMs,
        direction: "CONFERENCE",
        ownerProviderUserId: null,
        ownerEmail: host.email,
        url: null,
        participants: [
          { name: hostName, email: host.email, isInternal: true, speakerId: "0", providerUserId: null },
          ...convo.externalPeople.map((p, k) => ({
            name: p.name,
            email: p.email,
            isInternal: false,
            speakerId: String(k + 1),
            providerUserId: null,
          })),
        ],
        transcript: convo.lines.map((l) => ({
          speakerId: String(l.speaker),
          startMs: l.startMs,
          endMs: l.endMs,
          text: l.text,
        })),
        summary: { brief: convo.brief, keyPoints: convo.keyPoints },
        actionItems: convo.actionItems.map((a) => ({
          text: a.text,
          ownerSpeakerId: String(a.speaker),
          ownerName: null,
        })),
        crmRefs: noCrm
          ? []
          : [
              { system: deal.crm, objectType: "Opportunity", objectId: deal.dealId },
              { system: deal.crm, objectType: "Account", objectId: deal.accountId },
            ],
        readiness: "READY",
        providerUpdatedAt: null,
      });
    }
  }
  return calls;
}
