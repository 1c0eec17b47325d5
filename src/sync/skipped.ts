/**
 * Records a sync did not store, and why. One odd record never fails the others: a provider
 * client leaves out what it cannot map (UNREADABLE, MISSING_FIELD), the store may leave out what
 * must not be stored (PRIVATE, EXCLUDED); either way the record is counted with its provider id
 * and reason — per user and in the run summary — and the rest of the page is stored.
 *
 * Recording is idempotent per run and provider record: a page read again after a resume, or a
 * call listed under two users, is counted once.
 */
import type { Prisma } from "../db/client.js";
import type { SkippedRecord } from "../providers/types.js";

export const SKIP_REASON_CODES = [
  /** The provider's record does not have the shape the contract needs (wrong type, bad value). */
  "UNREADABLE",
  /** A field the contract needs is missing and the provider has no next-best field for it. */
  "MISSING_FIELD",
  /** The provider marks the call private and the integration does not import private calls. */
  "PRIVATE",
  /** An exclusion rule of the integration matches the call. */
  "EXCLUDED",
  /** The call started before the workspace's retention window. */
  "RETENTION",
] as const;
export type SkipReasonCode = (typeof SKIP_REASON_CODES)[number];

export interface SkipScope {
  workspaceId: string;
  integrationId: string;
  runId: string;
  /** The provider user whose listing carried the records; null for the user listing itself. */
  userStatusId: string | null;
}

/**
 * Stores the records (in the caller's transaction) and returns how many calls (kind CALL) were
 * new to this run: what the user's `callsSkipped` counts. Users and transcripts are counted by
 * their rows (a call stored without its transcript was imported).
 */
export async function recordSkipped(
  tx: Prisma.TransactionClient,
  scope: SkipScope,
  skipped: readonly SkippedRecord[],
): Promise<number> {
  if (skipped.length === 0) return 0;
  const write = async (records: readonly SkippedRecord[]) =>
    records.length === 0 ? 0 : (await tx.skippedRecord.createMany({ data: rows(records), skipDuplicates: true })).count;
  const calls = skipped.filter((s) => s.kind === "CALL");
  await write(skipped.filter((s) => s.kind !== "CALL"));
  return write(calls);

  function rows(records: readonly SkippedRecord[]) {
    return records.map((s) => ({
      ...scope,
      kind: s.kind,
      providerRecordId: s.providerRecordId.slice(0, 200),
      reasonCode: s.reasonCode,
      reason: s.reason.slice(0, 1000),
    }));
  }
}
