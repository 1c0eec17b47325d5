/**
 * Writes normalised call records. Idempotent by (integration, provider call id): a record
 * whose content hash is unchanged is not touched, a changed one is rewritten, a new one is
 * inserted, all in set-based statements (a page costs a handful of SQL statements whatever its
 * size). Calls purged for privacy keep their row and are never refilled. Deal links are
 * refreshed for the written calls at the end.
 *
 * The integration's privacy policy (src/privacy/policy.ts) is read in the same transaction:
 * a record it rules out is not stored and comes back in `skipped` with the reason; a stored
 * call that a re-read shows now falls under a rule (turned private upstream, retitled into an
 * exclusion) is purged through the purge path, with audit.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Db, Prisma } from "../db/client.js";
import { refreshDealLinks } from "../deals/linking.js";
import { loadImportPolicy, type SkipDecision, skipDecision } from "../privacy/policy.js";
import { purgeCalls } from "../privacy/purge.js";
import type { CallRecord, SkippedRecord } from "../providers/types.js";

export interface StoreTarget {
  workspaceId: string;
  integrationId: string;
  provider: "GONG" | "SALESLOFT" | "CLARI_COPILOT";
  /** Workspace users by lower-case email. */
  usersByEmail: ReadonlyMap<string, string>;
  /** Workspace users by provider user id (matched provider users). */
  usersByProviderId: ReadonlyMap<string, string>;
  /** How long after a call starts we keep asking for its transcript. */
  transcriptWindowMs: number;
  now?: number;
}

export interface StoreResult {
  created: number;
  updated: number;
  unchanged: number;
  /** Ids of calls that are still waiting for a transcript. */
  pending: number;
  callIds: string[];
  /** Records the store chose not to keep (for example private calls), to be counted as skipped. */
  skipped: SkippedRecord[];
}

/** Hash over what we store, so re-reading an unchanged call writes nothing. */
export function contentHash(record: CallRecord): string {
  const { providerUpdatedAt: _ignored, ...content } = record;
  return createHash("sha256").update(JSON.stringify(content)).digest("base64url");
}

const lower = (email: string | null | undefined) => email?.trim().toLowerCase() || null;

type Tx = Prisma.TransactionClient;

/**
 * Stores a page of calls in one transaction. `andThen` runs in the same transaction with the
 * result, so a caller's checkpoint commits together with the calls it accounts for.
 */
export async function storeCalls(
  db: Db,
  target: StoreTarget,
  records: CallRecord[],
  andThen?: (tx: Tx, result: StoreResult) => Promise<unknown>,
): Promise<StoreResult> {
  const now = target.now ?? Date.now();
  const unique = new Map<string, CallRecord>();
  for (const r of records) unique.set(r.providerCallId, r); // a call listed under two users is one call
  const incoming = [...unique.values()];

  // Two users' imports may store the same call at once (Clari lists a call under every Copilot
  // user on it): the slower insert hits the unique (integration, provider call id) and rolls
  // back; written again, it finds the other's row and compares hashes like any re-read.
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.$transaction(async (tx) => {
        const result =
          incoming.length === 0
            ? { created: 0, updated: 0, unchanged: 0, pending: 0, callIds: [], skipped: [] }
            : await writeCalls(tx, target, incoming, now);
        await andThen?.(tx, result);
        return result;
      });
    } catch (e) {
      if ((e as { code?: string }).code !== "P2002" || attempt >= 3) throw e;
    }
  }
}

async function writeCalls(tx: Tx, target: StoreTarget, incoming: CallRecord[], now: number): Promise<StoreResult> {
  const policy = await loadImportPolicy(tx, target.integrationId, now);
  const existing = await tx.call.findMany({
    where: { integrationId: target.integrationId, providerCallId: { in: incoming.map((r) => r.providerCallId) } },
    select: {
      id: true,
      providerCallId: true,
      contentHash: true,
      purgedAt: true,
      transcriptDeadline: true,
      deletedUpstreamAt: true,
    },
  });
  // The provider returned them again: not deleted upstream after all (or restored there).
  const restored = existing.filter((c) => c.deletedUpstreamAt !== null).map((c) => c.id);
  if (restored.length > 0)
    await tx.call.updateMany({ where: { id: { in: restored } }, data: { deletedUpstreamAt: null } });
  const byProviderId = new Map(existing.map((c) => [c.providerCallId, c]));
  const result: StoreResult = { created: 0, updated: 0, unchanged: 0, pending: 0, callIds: [], skipped: [] };
  const toWrite: { id: string; record: CallRecord; hash: string; isNew: boolean; deadline: Date | null }[] = [];
  const toPurge = new Map<string, { decision: SkipDecision; ids: string[] }>();

  for (const record of incoming) {
    const found = byProviderId.get(record.providerCallId);
    const skip = skipDecision(policy, record);
    if (skip) {
      result.skipped.push({
        kind: "CALL",
        providerRecordId: record.providerCallId,
        reasonCode: skip.reasonCode,
        reason: skip.reason,
      });
      if (found && !found.purgedAt) {
        const group = toPurge.get(skip.reason) ?? { decision: skip, ids: [] };
        group.ids.push(found.id);
        toPurge.set(skip.reason, group);
      }
      continue;
    }
    const hash = contentHash(record);
    const waiting = record.readiness === "TRANSCRIPT_PENDING" || record.readiness === "PROCESSING";
    if (waiting) result.pending++;
    if (found && (found.contentHash === hash || found.purgedAt)) {
      result.unchanged++;
      continue;
    }
    const id = found?.id ?? randomUUID();
    const deadline = waiting
      ? (found?.transcriptDeadline ?? new Date(record.startedAt + target.transcriptWindowMs))
      : null;
    toWrite.push({ id, record, hash, isNew: !found, deadline });
    result.callIds.push(id);
    if (found) result.updated++;
    else result.created++;
  }
  for (const { decision, ids } of toPurge.values())
    await purgeCalls(
      tx,
      {
        workspaceId: target.workspaceId,
        actorId: null,
        scope: decision.scope,
        integrationId: target.integrationId,
        reason: decision.reason,
        hide: decision.scope !== "RETENTION",
      },
      { id: { in: ids } },
    );
  if (toWrite.length === 0) return result;

  const changedIds = toWrite.filter((w) => !w.isNew).map((w) => w.id);
  if (changedIds.length > 0) {
    // Children are rewritten whole: a provider's transcript or participants can change shape.
    await tx.callParticipant.deleteMany({ where: { callId: { in: changedIds } } });
    await tx.transcriptSegment.deleteMany({ where: { callId: { in: changedIds } } });
    await tx.callSummary.deleteMany({ where: { callId: { in: changedIds } } });
    await tx.actionItem.deleteMany({ where: { callId: { in: changedIds } } });
    await tx.callCrmRef.deleteMany({ where: { callId: { in: changedIds } } });
  }

  const rows = toWrite.map(({ id, record: r, hash, deadline }) => {
    const givenUp = deadline !== null && deadline.getTime() < now;
    return {
      id,
      workspaceId: target.workspaceId,
      integrationId: target.integrationId,
      provider: target.provider,
      providerCallId: r.providerCallId,
      title: r.title,
      startedAt: new Date(r.startedAt),
      endedAt: r.endedAt === null ? null : new Date(r.endedAt),
      durationMs: r.durationMs,
      direction: r.direction,
      ownerProviderUserId: r.ownerProviderUserId,
      ownerUserId:
        (r.ownerProviderUserId ? target.usersByProviderId.get(r.ownerProviderUserId) : undefined) ??
        target.usersByEmail.get(lower(r.ownerEmail) ?? "") ??
        null,
      providerUrl: r.url,
      isPrivate: r.isPrivate === true,
      readiness: givenUp && r.readiness === "TRANSCRIPT_PENDING" ? ("TRANSCRIPT_GAVE_UP" as const) : r.readiness,
      transcriptDeadline: deadline,
      transcriptCheckedAt: new Date(now),
      providerUpdatedAt: r.providerUpdatedAt === null ? null : new Date(r.providerUpdatedAt),
      contentHash: hash,
      dealLinkStatus: "NO_CRM_ID" as const,
    };
  });
  const fresh = rows.filter((_, i) => toWrite[i]!.isNew);
  if (fresh.length > 0) await tx.call.createMany({ data: fresh });
  for (const row of rows.filter((_, i) => !toWrite[i]!.isNew)) {
    const {
      id,
      workspaceId: _w,
      integrationId: _i,
      provider: _p,
      providerCallId: _c,
      dealLinkStatus: _d,
      ...data
    } = row;
    await tx.call.update({ where: { id }, data });
  }

  const participants: {
    id: string;
    callId: string;
    position: number;
    name: string | null;
    email: string | null;
    isInternal: boolean;
    speakerId: string | null;
    providerUserId: string | null;
    userId: string | null;
  }[] = [];
  const segments: {
    callId: string;
    position: number;
    participantId: string | null;
    speakerId: string | null;
    startMs: number;
    endMs: number;
    text: string;
  }[] = [];
  const summaries: { callId: string; brief: string | null; keyPoints: string[] }[] = [];
  const actionItems: {
    callId: string;
    position: number;
    text: string;
    ownerName: string | null;
    ownerParticipantId: string | null;
  }[] = [];
  const crmRefs: {
    callId: string;
    workspaceId: string;
    system: "SALESFORCE" | "HUBSPOT" | "OTHER";
    objectType: string;
    objectId: string;
  }[] = [];

  for (const { id: callId, record } of toWrite) {
    const bySpeaker = new Map<string, string>();
    const byName = new Map<string, string>();
    record.participants.forEach((p, position) => {
      const id = randomUUID();
      const email = lower(p.email);
      participants.push({
        id,
        callId,
        position,
        name: p.name,
        email,
        isInternal: p.isInternal,
        speakerId: p.speakerId,
        providerUserId: p.providerUserId,
        userId: p.isInternal
          ? ((p.providerUserId ? target.usersByProviderId.get(p.providerUserId) : undefined) ??
            (email ? target.usersByEmail.get(email) : undefined) ??
            null)
          : null,
      });
      if (p.speakerId !== null) bySpeaker.set(p.speakerId, id);
      if (p.name) byName.set(p.name.toLowerCase(), id);
    });
    for (const [position, s] of (record.transcript ?? []).entries())
      segments.push({
        callId,
        position,
        participantId: s.speakerId === null ? null : (bySpeaker.get(s.speakerId) ?? null),
        speakerId: s.speakerId,
        startMs: s.startMs,
        endMs: s.endMs,
        text: s.text,
      });
    if (record.summary) summaries.push({ callId, brief: record.summary.brief, keyPoints: record.summary.keyPoints });
    for (const [position, a] of (record.actionItems ?? []).entries())
      actionItems.push({
        callId,
        position,
        text: a.text,
        ownerName: a.ownerName,
        ownerParticipantId:
          (a.ownerSpeakerId !== null ? bySpeaker.get(a.ownerSpeakerId) : undefined) ??
          (a.ownerName ? byName.get(a.ownerName.toLowerCase()) : undefined) ??
          null,
      });
    const seen = new Set<string>();
    for (const ref of record.crmRefs) {
      const key = `${ref.system}|${ref.objectType}|${ref.objectId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      crmRefs.push({ callId, workspaceId: target.workspaceId, ...ref });
    }
  }
  if (participants.length > 0) await tx.callParticipant.createMany({ data: participants });
  if (segments.length > 0) await tx.transcriptSegment.createMany({ data: segments });
  if (summaries.length > 0) await tx.callSummary.createMany({ data: summaries });
  if (actionItems.length > 0) await tx.actionItem.createMany({ data: actionItems });
  if (crmRefs.length > 0) await tx.callCrmRef.createMany({ data: crmRefs });
  await refreshDealLinks(tx, target.workspaceId, result.callIds);
  return result;
}
