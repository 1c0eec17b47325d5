/** Synthetic call records in callsync's normalised shape, for tests that need stored calls. */
import type { Db } from "../../src/db/client.js";
import type { CallRecord } from "../../src/providers/types.js";
import { storeCalls } from "../../src/sync/store.js";

export function callRecord(n: number, overrides: Partial<CallRecord> = {}): CallRecord {
  const startedAt = Date.UTC(2026, 9, 1) + n * 3_600_000;
  return {
    providerCallId: `call-${n}`,
    title: `Call ${n}`,
    startedAt,
    endedAt: startedAt + 1_800_000,
    durationMs: 1_800_000,
    direction: "OUTBOUND",
    ownerProviderUserId: "u-host",
    ownerEmail: "host@example.test",
    url: `https://app.example.test/call?id=${n}`,
    participants: [
      { name: "Hana Host", email: "host@example.test", isInternal: true, speakerId: "s1", providerUserId: "u-host" },
      { name: "Bo Buyer", email: "bo@buyer.test", isInternal: false, speakerId: "s2", providerUserId: null },
      { name: "Cy Champion", email: "cy@buyer.test", isInternal: false, speakerId: "s3", providerUserId: null },
    ],
    transcript: [
      { speakerId: "s1", startMs: 0, endMs: 4000, text: "Thanks for joining, let's review pricing." },
      { speakerId: "s2", startMs: 4000, endMs: 9000, text: "Security review is our main blocker." },
      { speakerId: "s3", startMs: 9000, endMs: 12000, text: "Legal needs the data processing terms." },
      { speakerId: "s1", startMs: 12000, endMs: 15000, text: "I'll send the SOC 2 report today." },
    ],
    summary: { brief: `Summary of call ${n}`, keyPoints: ["Pricing", "Security"] },
    actionItems: [
      { text: "Send SOC 2 report", ownerSpeakerId: "s1", ownerName: null },
      { text: "Review terms", ownerSpeakerId: null, ownerName: "Cy Champion" },
    ],
    crmRefs: [],
    readiness: "READY",
    providerUpdatedAt: null,
    ...overrides,
  };
}

/** An integration to hang calls on (calls always belong to one). */
export async function createIntegration(
  db: Db,
  workspaceId: string,
  provider: "GONG" | "SALESLOFT" | "CLARI_COPILOT" = "GONG",
) {
  return db.integration.create({ data: { workspaceId, provider, status: "CONNECTED", wizardStep: "COMPLETE" } });
}

export async function storeTestCalls(
  db: Db,
  workspaceId: string,
  integrationId: string,
  records: CallRecord[],
  provider: "GONG" | "SALESLOFT" | "CLARI_COPILOT" = "GONG",
) {
  return storeCalls(
    db,
    {
      workspaceId,
      integrationId,
      provider,
      usersByEmail: new Map(),
      usersByProviderId: new Map(),
      transcriptWindowMs: 3 * 86_400_000,
    },
    records,
  );
}
