/**
 * The floor: each hot query as ONE hand-written SQL statement that checks the viewer and builds
 * the exact JSON callsync answers (same fields, order, ids, date format), nothing else.
 * $1 user id, $2 workspace id (the token's claims); the deal page also takes $3, the deal id.
 * A deal's calls are its CallDealLink rows, newest first (their copy of the call's start time).
 */
const globalId = (type: string, column: string) => `encode(convert_to('${type}:' || ${column}, 'UTF8'), 'base64')`;
const isoTime = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const viewer = `EXISTS (SELECT 1 FROM "User" WHERE id = $1 AND "workspaceId" = $2) AS viewer`;

export const DEAL_PAGE_SQL = `
SELECT ${viewer}, (
  SELECT json_build_object(
    'id', ${globalId("Deal", "d.id")},
    'name', d.name,
    'stage', d.stage,
    'amount', d.amount::text,
    'account', (SELECT json_build_object('name', a.name) FROM "Account" a WHERE a.id = d."accountId"),
    'calls', json_build_object(
      'totalCount', (SELECT count(*) FROM "CallDealLink" l WHERE l."dealId" = d.id),
      'edges', coalesce((
        SELECT json_agg(json_build_object('node', json_build_object(
          'id', ${globalId("Call", "c.id")},
          'title', c.title,
          'startedAt', ${isoTime('c."startedAt"')},
          'durationMs', c."durationMs",
          'providerUrl', c."providerUrl",
          'participants', coalesce((
            SELECT json_agg(json_build_object('name', p.name, 'email', p.email, 'isInternal', p."isInternal")
                            ORDER BY p.position)
              FROM "CallParticipant" p WHERE p."callId" = c.id), '[]'),
          'summary', (SELECT json_build_object('brief', s.brief, 'keyPoints', to_json(s."keyPoints"))
                        FROM "CallSummary" s WHERE s."callId" = c.id),
          'actionItems', coalesce((
            SELECT json_agg(json_build_object('text', ai.text, 'owner',
                     (SELECT json_build_object('name', o.name) FROM "CallParticipant" o WHERE o.id = ai."ownerParticipantId"))
                            ORDER BY ai.position)
              FROM "ActionItem" ai WHERE ai."callId" = c.id), '[]'),
          'dealLink', json_build_object('status', c."dealLinkStatus")
        )) ORDER BY c."startedAt" DESC, c.id DESC)
        FROM (SELECT c.* FROM (
                SELECT "callId" FROM "CallDealLink" WHERE "dealId" = d.id
                 ORDER BY "callStartedAt" DESC, "callId" DESC LIMIT 20) l
                JOIN "Call" c ON c.id = l."callId") c
      ), '[]')
    )
  )
  FROM "Deal" d
  WHERE d.id = $3 AND d."workspaceId" = $2 AND EXISTS (SELECT 1 FROM "User" WHERE id = $1 AND "workspaceId" = $2)
) AS deal`;

export const DEAL_LIST_SQL = `
SELECT ${viewer}, (
  SELECT coalesce(json_agg(json_build_object('node', json_build_object(
    'id', ${globalId("Deal", "d.id")},
    'name', d.name,
    'stage', d.stage,
    'calls', json_build_object('edges', coalesce((
      SELECT json_agg(json_build_object('node', json_build_object(
        'id', ${globalId("Call", "c.id")},
        'title', c.title,
        'startedAt', ${isoTime('c."startedAt"')},
        'participants', coalesce((
          SELECT json_agg(json_build_object('name', p.name, 'isInternal', p."isInternal") ORDER BY p.position)
            FROM "CallParticipant" p WHERE p."callId" = c.id), '[]')
      )) ORDER BY c."startedAt" DESC, c.id DESC)
      FROM (SELECT c.* FROM (
              SELECT "callId" FROM "CallDealLink" WHERE "dealId" = d.id
               ORDER BY "callStartedAt" DESC, "callId" DESC LIMIT 5) l
              JOIN "Call" c ON c.id = l."callId") c
    ), '[]'))
  )) ORDER BY d."updatedAt" DESC, d.id DESC), '[]')
  FROM (SELECT * FROM "Deal"
         WHERE "workspaceId" = $2 AND EXISTS (SELECT 1 FROM "User" WHERE id = $1 AND "workspaceId" = $2)
         ORDER BY "updatedAt" DESC, id DESC LIMIT 50) d
) AS edges`;
