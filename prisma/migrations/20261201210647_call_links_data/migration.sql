-- Data migration for the call link tables (a separate migration: PostgreSQL cannot use the enum
-- value ACCOUNT_ONLY in the transaction that added it). The same rules as src/deals/linking.ts,
-- over every workspace at once.

-- Existing links keep their time.
INSERT INTO "CallDealLink" ("callId", "dealId", "workspaceId", "reason", "objectType", "linkedAt", "callStartedAt")
SELECT c."id", c."dealId", c."workspaceId", 'CRM_ID', d."crmProvider"::text, COALESCE(c."linkedAt", now()), c."startedAt"
  FROM "Call" c JOIN "Deal" d ON d."id" = c."dealId"
 WHERE c."dealId" IS NOT NULL;

UPDATE "CallDealLink" l
   SET "objectType" = r."objectType"
  FROM "CallCrmRef" r, "Deal" d
 WHERE d."id" = l."dealId" AND r."callId" = l."callId" AND r."objectId" = d."crmId"
   AND lower(r."objectType") IN ('opportunity', 'deal');

-- Calls naming several deals are now on each of them.
INSERT INTO "CallDealLink" ("callId", "dealId", "workspaceId", "reason", "objectType", "linkedAt", "callStartedAt")
SELECT DISTINCT ON (r."callId", d."id") r."callId", d."id", r."workspaceId", 'CRM_ID', r."objectType", now(), c."startedAt"
  FROM "CallCrmRef" r
  JOIN "CrmConnection" crm ON crm."workspaceId" = r."workspaceId"
  JOIN "Deal" d ON d."workspaceId" = r."workspaceId" AND d."crmId" = r."objectId"
               AND d."crmProvider"::text = crm."provider"::text
  JOIN "Call" c ON c."id" = r."callId"
 WHERE r."system"::text = crm."provider"::text
   AND lower(r."objectType") IN ('opportunity', 'deal')
 ORDER BY r."callId", d."id", r."objectType"
ON CONFLICT ("callId", "dealId") DO NOTHING;

-- Calls on accounts: named by their CRM context, or through one of the account's deals.
INSERT INTO "CallAccountLink" ("callId", "accountId", "workspaceId", "reason", "linkedAt", "callStartedAt")
SELECT DISTINCT ON (m.call_id, m.account_id) m.call_id, m.account_id, c."workspaceId", m.reason::"CallLinkReason", now(), c."startedAt"
  FROM (
    SELECT r."callId" AS call_id, a."id" AS account_id, 'CRM_ID' AS reason
      FROM "CallCrmRef" r
      JOIN "CrmConnection" crm ON crm."workspaceId" = r."workspaceId"
      JOIN "Account" a ON a."workspaceId" = r."workspaceId" AND a."crmId" = r."objectId"
                      AND a."crmProvider"::text = crm."provider"::text
     WHERE r."system"::text = crm."provider"::text
       AND lower(r."objectType") IN ('account', 'company')
    UNION ALL
    SELECT dl."callId", d."accountId", 'VIA_DEAL'
      FROM "CallDealLink" dl JOIN "Deal" d ON d."id" = dl."dealId"
     WHERE d."accountId" IS NOT NULL
  ) AS m
  JOIN "Call" c ON c."id" = m.call_id
 ORDER BY m.call_id, m.account_id, (m.reason = 'CRM_ID') DESC;

-- Calls whose only CRM context is an account now say so.
UPDATE "Call" c
   SET "dealLinkStatus" = 'ACCOUNT_ONLY'
 WHERE c."dealId" IS NULL
   AND c."dealLinkStatus" = 'NO_CRM_ID'
   AND EXISTS (SELECT 1 FROM "CallCrmRef" r WHERE r."callId" = c."id" AND lower(r."objectType") IN ('account', 'company'));
