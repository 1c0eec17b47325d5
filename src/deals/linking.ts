/**
 * Call ↔ deal linking by CRM id. A call is linked when one of its CRM refs of a deal type
 * (Salesforce Opportunity, HubSpot Deal) equals the CRM id of a deal in the same workspace,
 * and the ref's system and the deal's CRM provider both match the workspace's CRM connection.
 *
 * Linking is set-based SQL, so it runs the same whether a sync just imported calls, a deal
 * was upserted, or the CRM was connected: calls imported before their deal link as soon as the
 * deal arrives, with no re-sync. Unlinked calls always carry the reason.
 */
import type { Db } from "../db/client.js";

/** objectType spellings that identify a deal; compared lower-case. */
export const DEAL_OBJECT_TYPES = ["opportunity", "deal"] as const;

type Executor = Pick<Db, "$executeRaw">;

/**
 * Links every unlinked call of the workspace that now has a matching deal, then refreshes the
 * reason on the calls that remain unlinked. `callIds` narrows the work to just-imported calls.
 */
export async function refreshDealLinks(db: Executor, workspaceId: string, callIds?: string[]): Promise<number> {
  const only = callIds && callIds.length > 0 ? callIds : null;
  const linked = await db.$executeRaw`
    UPDATE "Call" AS c
       SET "dealId" = m.deal_id, "dealLinkStatus" = 'LINKED', "linkedAt" = now()
      FROM (
        SELECT DISTINCT ON (r."callId") r."callId" AS call_id, d.id AS deal_id
          FROM "CallCrmRef" r
          JOIN "CrmConnection" crm ON crm."workspaceId" = r."workspaceId"
          JOIN "Deal" d ON d."workspaceId" = r."workspaceId"
                       AND d."crmId" = r."objectId"
                       AND d."crmProvider"::text = crm.provider::text
         WHERE r."workspaceId" = ${workspaceId}::uuid
           AND r.system::text = crm.provider::text
           AND lower(r."objectType") IN ('opportunity', 'deal')
           AND (${only}::uuid[] IS NULL OR r."callId" = ANY(${only}::uuid[]))
         ORDER BY r."callId", d."updatedAt" DESC
      ) AS m
     WHERE c.id = m.call_id AND c."dealId" IS NULL`;
  await db.$executeRaw`
    UPDATE "Call" AS c
       SET "dealLinkStatus" = (CASE
             WHEN NOT EXISTS (SELECT 1 FROM "CrmConnection" crm WHERE crm."workspaceId" = c."workspaceId")
               THEN 'NO_CRM_CONNECTION'
             WHEN NOT EXISTS (SELECT 1 FROM "CallCrmRef" r WHERE r."callId" = c.id
                                AND lower(r."objectType") IN ('opportunity', 'deal'))
               THEN 'NO_CRM_ID'
             ELSE 'NO_MATCHING_DEAL' END)::"DealLinkStatus"
     WHERE c."workspaceId" = ${workspaceId}::uuid
       AND c."dealId" IS NULL
       AND (${only}::uuid[] IS NULL OR c.id = ANY(${only}::uuid[]))`;
  return linked;
}

/** When a deal is deleted or the CRM changes, links that no longer hold are dropped first. */
export async function unlinkStaleDeals(db: Executor, workspaceId: string): Promise<number> {
  return db.$executeRaw`
    UPDATE "Call" AS c SET "dealId" = NULL, "linkedAt" = NULL, "dealLinkStatus" = 'NO_MATCHING_DEAL'
      FROM "Deal" d
     WHERE c."dealId" = d.id AND c."workspaceId" = ${workspaceId}::uuid
       AND NOT EXISTS (SELECT 1 FROM "CrmConnection" crm
                        WHERE crm."workspaceId" = c."workspaceId" AND crm.provider = d."crmProvider")`;
}
