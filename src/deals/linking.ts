/**
 * Call ↔ deal and call ↔ account linking by CRM id.
 *
 * A call is on **every** deal whose CRM id one of its deal-type CRM refs (Salesforce
 * Opportunity, HubSpot Deal) names, in the same workspace, when the ref's system and the deal's
 * CRM provider both match the workspace's CRM connection: one CallDealLink row per deal.
 * A call is on an account when its context names the account (Salesforce Account, HubSpot
 * Company) or when it is on one of the account's deals: one CallAccountLink row per account.
 *
 * `Call.dealId` stays the primary deal: kept while its link holds, otherwise the most recently
 * updated linked deal. `Call.dealLinkStatus` says why a call is on no deal (no CRM connection,
 * account only, no CRM id, no matching deal yet); no deal is ever guessed from an account.
 *
 * Linking is set-based SQL — a fixed number of statements whatever the number of calls — and
 * runs the same whether a sync just wrote calls, a deal was upserted, or the CRM was connected,
 * so calls imported before their deal link as soon as the deal arrives, with no re-sync.
 * The same statements, unscoped, are the data migration that introduced the link tables.
 */
import type { Db } from "../db/client.js";

/** objectType spellings that identify a deal; compared lower-case. */
export const DEAL_OBJECT_TYPES = ["opportunity", "deal"] as const;
/** objectType spellings that identify an account; compared lower-case. */
export const ACCOUNT_OBJECT_TYPES = ["account", "company"] as const;

type Executor = Pick<Db, "$executeRaw" | "$queryRaw">;

/**
 * Brings the links of the workspace's calls in line with their CRM refs, deals, accounts and
 * CRM connection, and refreshes the unlinked reason. `callIds` narrows the work to just-written
 * calls. Returns how many calls gained a deal link.
 */
export async function refreshDealLinks(db: Executor, workspaceId: string, callIds?: string[]): Promise<number> {
  const only = callIds && callIds.length > 0 ? callIds : null;
  if (callIds && !only) return 0;

  // Links that no longer hold: the ref was rewritten, the deal changed CRM, or the CRM switched.
  await db.$executeRaw`
    DELETE FROM "CallDealLink" l
     WHERE l."workspaceId" = ${workspaceId}::uuid
       AND (${only}::uuid[] IS NULL OR l."callId" = ANY(${only}::uuid[]))
       AND NOT EXISTS (
             SELECT 1 FROM "CallCrmRef" r
               JOIN "CrmConnection" crm ON crm."workspaceId" = r."workspaceId"
               JOIN "Deal" d ON d.id = l."dealId"
              WHERE r."callId" = l."callId"
                AND r."objectId" = d."crmId"
                AND r.system::text = crm.provider::text
                AND d."crmProvider"::text = crm.provider::text
                AND lower(r."objectType") IN ('opportunity', 'deal'))`;

  // New links, and the copy of the call's start time on existing ones when it moved.
  const [gained] = await db.$queryRaw<{ calls: bigint }[]>`
    WITH written AS (
      INSERT INTO "CallDealLink" ("callId", "dealId", "workspaceId", reason, "objectType", "linkedAt", "callStartedAt")
      SELECT DISTINCT ON (r."callId", d.id) r."callId", d.id, r."workspaceId", 'CRM_ID', r."objectType", now(), c."startedAt"
        FROM "CallCrmRef" r
        JOIN "CrmConnection" crm ON crm."workspaceId" = r."workspaceId"
        JOIN "Deal" d ON d."workspaceId" = r."workspaceId"
                     AND d."crmId" = r."objectId"
                     AND d."crmProvider"::text = crm.provider::text
        JOIN "Call" c ON c.id = r."callId"
       WHERE r."workspaceId" = ${workspaceId}::uuid
         AND r.system::text = crm.provider::text
         AND lower(r."objectType") IN ('opportunity', 'deal')
         AND (${only}::uuid[] IS NULL OR r."callId" = ANY(${only}::uuid[]))
       ORDER BY r."callId", d.id, r."objectType"
      ON CONFLICT ("callId", "dealId") DO UPDATE SET "callStartedAt" = EXCLUDED."callStartedAt"
       WHERE "CallDealLink"."callStartedAt" IS DISTINCT FROM EXCLUDED."callStartedAt"
      RETURNING "callId", (xmax = 0) AS inserted)
    SELECT count(DISTINCT "callId") FILTER (WHERE inserted) AS calls FROM written`;

  // The primary deal and the unlinked reason, only where they change.
  await db.$executeRaw`
    UPDATE "Call" AS c
       SET "dealId" = n.deal_id,
           "dealLinkStatus" = n.status::"DealLinkStatus",
           "linkedAt" = CASE WHEN n.deal_id IS NULL THEN NULL
                             WHEN c."dealId" IS NOT DISTINCT FROM n.deal_id THEN c."linkedAt"
                             ELSE now() END
      FROM (
        SELECT c2.id,
               primary_link.deal_id,
               CASE
                 WHEN primary_link.deal_id IS NOT NULL THEN 'LINKED'
                 WHEN crm."workspaceId" IS NULL THEN 'NO_CRM_CONNECTION'
                 WHEN EXISTS (SELECT 1 FROM "CallCrmRef" r WHERE r."callId" = c2.id
                                AND lower(r."objectType") IN ('opportunity', 'deal')) THEN 'NO_MATCHING_DEAL'
                 WHEN EXISTS (SELECT 1 FROM "CallCrmRef" r WHERE r."callId" = c2.id
                                AND lower(r."objectType") IN ('account', 'company')) THEN 'ACCOUNT_ONLY'
                 ELSE 'NO_CRM_ID'
               END AS status
          FROM "Call" c2
          LEFT JOIN "CrmConnection" crm ON crm."workspaceId" = c2."workspaceId"
          LEFT JOIN LATERAL (
            SELECT l."dealId" AS deal_id
              FROM "CallDealLink" l JOIN "Deal" d ON d.id = l."dealId"
             WHERE l."callId" = c2.id
             ORDER BY (l."dealId" = c2."dealId") DESC NULLS LAST, d."updatedAt" DESC, d.id
             LIMIT 1) AS primary_link ON true
         WHERE c2."workspaceId" = ${workspaceId}::uuid
           AND (${only}::uuid[] IS NULL OR c2.id = ANY(${only}::uuid[]))
      ) AS n
     WHERE c.id = n.id
       AND (c."dealId" IS DISTINCT FROM n.deal_id OR c."dealLinkStatus"::text <> n.status)`;

  await refreshAccountLinks(db, workspaceId, only);
  return Number(gained?.calls ?? 0);
}

async function refreshAccountLinks(db: Executor, workspaceId: string, only: string[] | null): Promise<void> {
  await db.$executeRaw`
    DELETE FROM "CallAccountLink" l
     WHERE l."workspaceId" = ${workspaceId}::uuid
       AND (${only}::uuid[] IS NULL OR l."callId" = ANY(${only}::uuid[]))
       AND NOT EXISTS (
             SELECT 1 FROM "CallCrmRef" r
               JOIN "CrmConnection" crm ON crm."workspaceId" = r."workspaceId"
               JOIN "Account" a ON a.id = l."accountId"
              WHERE r."callId" = l."callId"
                AND r."objectId" = a."crmId"
                AND r.system::text = crm.provider::text
                AND a."crmProvider"::text = crm.provider::text
                AND lower(r."objectType") IN ('account', 'company'))
       AND NOT EXISTS (
             SELECT 1 FROM "CallDealLink" dl JOIN "Deal" d ON d.id = dl."dealId"
              WHERE dl."callId" = l."callId" AND d."accountId" = l."accountId")`;
  await db.$executeRaw`
    INSERT INTO "CallAccountLink" ("callId", "accountId", "workspaceId", reason, "linkedAt", "callStartedAt")
    SELECT DISTINCT ON (m.call_id, m.account_id) m.call_id, m.account_id, ${workspaceId}::uuid,
           m.reason::"CallLinkReason", now(), c."startedAt"
      FROM (
        SELECT r."callId" AS call_id, a.id AS account_id, 'CRM_ID' AS reason
          FROM "CallCrmRef" r
          JOIN "CrmConnection" crm ON crm."workspaceId" = r."workspaceId"
          JOIN "Account" a ON a."workspaceId" = r."workspaceId"
                          AND a."crmId" = r."objectId"
                          AND a."crmProvider"::text = crm.provider::text
         WHERE r."workspaceId" = ${workspaceId}::uuid
           AND r.system::text = crm.provider::text
           AND lower(r."objectType") IN ('account', 'company')
           AND (${only}::uuid[] IS NULL OR r."callId" = ANY(${only}::uuid[]))
        UNION ALL
        SELECT dl."callId", d."accountId", 'VIA_DEAL'
          FROM "CallDealLink" dl JOIN "Deal" d ON d.id = dl."dealId"
         WHERE dl."workspaceId" = ${workspaceId}::uuid
           AND d."accountId" IS NOT NULL
           AND (${only}::uuid[] IS NULL OR dl."callId" = ANY(${only}::uuid[]))
      ) AS m
      JOIN "Call" c ON c.id = m.call_id
     ORDER BY m.call_id, m.account_id, (m.reason = 'CRM_ID') DESC
    ON CONFLICT ("callId", "accountId") DO UPDATE
       SET reason = EXCLUDED.reason, "callStartedAt" = EXCLUDED."callStartedAt"
     WHERE "CallAccountLink".reason IS DISTINCT FROM EXCLUDED.reason
        OR "CallAccountLink"."callStartedAt" IS DISTINCT FROM EXCLUDED."callStartedAt"`;
}
