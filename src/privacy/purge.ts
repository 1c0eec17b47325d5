/**
 * The one purge path: removes transcripts, summaries, action items and participants of the
 * selected calls (and their title), keeps their metadata so they are never imported again, and
 * records who purged what, when and why — never the purged content. GDPR requests, exclusion
 * rules, the private-call setting and the retention window all go through it.
 */
import type { Prisma } from "../generated/prisma/client.js";
import type { PurgeScope } from "../generated/prisma/enums.js";

type Tx = Prisma.TransactionClient;

export interface PurgeRequest {
  workspaceId: string;
  /** null for the retention job and imports (no person asked). */
  actorId: string | null;
  scope: PurgeScope;
  integrationId?: string | null;
  /** Keyed digest of a purged person's email (src/integrations/purge-audit.ts), never the address. */
  emailHmac?: string | null;
  /** Why, in words; stored on the calls and in the audit. */
  reason: string;
  /** Also hide the calls from members (exclusions, private calls); retention and GDPR only purge. */
  hide?: boolean;
}

/**
 * Purges the calls matching `where` (always narrowed to the request's workspace) and writes one
 * audit row, also when nothing matched, so a rule applied to no stored call is on record too.
 */
export async function purgeCalls(
  tx: Tx,
  request: PurgeRequest,
  where: Prisma.CallWhereInput,
): Promise<{ callsPurged: number; auditId: string; callIds: string[] }> {
  const calls = await tx.call.findMany({
    where: { AND: [where, { workspaceId: request.workspaceId }] },
    select: { id: true },
  });
  const ids = calls.map((c) => c.id);
  if (ids.length > 0) {
    const now = new Date();
    await tx.transcriptSegment.deleteMany({ where: { callId: { in: ids } } });
    await tx.actionItem.deleteMany({ where: { callId: { in: ids } } });
    await tx.callSummary.deleteMany({ where: { callId: { in: ids } } });
    await tx.callParticipant.deleteMany({ where: { callId: { in: ids } } });
    await tx.call.updateMany({
      where: { id: { in: ids } },
      data: {
        title: null,
        purgedAt: now,
        purgeReason: request.reason,
        ...(request.hide ? { hiddenAt: now, hiddenReason: request.reason } : {}),
      },
    });
  }
  const audit = await tx.purgeAudit.create({
    data: {
      workspaceId: request.workspaceId,
      actorId: request.actorId,
      scope: request.scope,
      integrationId: request.integrationId ?? null,
      emailHmac: request.emailHmac ?? null,
      reason: request.reason,
      callsAffected: ids.length,
    },
  });
  return { callsPurged: ids.length, auditId: audit.id, callIds: ids };
}
