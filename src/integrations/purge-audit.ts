/**
 * The purge audit keeps who purged which person's calls and when, but never the person's email:
 * only a keyed digest of it, HMAC-SHA256(PURGE_AUDIT_KEY, sha256(normalised email)). With the
 * key the service can answer "was this address purged?" for an address it is given; without it
 * (a leaked backup or log of the table) the digest cannot be reversed with a list of likely
 * addresses, as a bare sha256 could.
 *
 * The HMAC is taken over the sha256 of the email (not the email) so audits written before the
 * key existed, which stored that bare sha256, can be re-keyed without the address:
 * `rekeyLegacyPurgeAudits` runs at every start and empties the legacy column.
 */
import { createHash, createHmac } from "node:crypto";
import type { Db } from "../db/client.js";

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

const sha256Hex = (value: string) => createHash("sha256").update(value).digest("hex");
const keyed = (key: Buffer, emailSha256: string) => createHmac("sha256", key).update(emailSha256).digest("hex");

/** The audit's digest of an email address. */
export function purgedEmailDigest(key: Buffer, email: string): string {
  return keyed(key, sha256Hex(normaliseEmail(email)));
}

/** Re-keys audits that still hold the bare sha256 of an email; returns how many it converted. */
export async function rekeyLegacyPurgeAudits(prisma: Db, key: Buffer): Promise<number> {
  const legacy = await prisma.purgeAudit.findMany({
    where: { emailSha256: { not: null } },
    select: { id: true, emailSha256: true },
  });
  // Conditional on the old value: two processes starting at once write the same digest once.
  for (const row of legacy)
    await prisma.purgeAudit.updateMany({
      where: { id: row.id, emailSha256: row.emailSha256 },
      data: { emailHmac: keyed(key, row.emailSha256!), emailSha256: null },
    });
  return legacy.length;
}
