/**
 * Existing links migrate: a database written before the link tables keeps every call on its
 * deal (with its time), gains the links to the other deals its calls name, puts account-only
 * calls on their account and says so.
 */
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { applyMigrations } from "../../src/db/migrate.js";
import { createEmptyDatabase, type TestDatabase } from "../support/db.js";

const migrationsDir = path.resolve("prisma/migrations");
const FIRST_WITH_LINKS = "20261201210646_call_links_and_skipped_records";

let db: TestDatabase;
let before: string;
let client: pg.Client;

const ids = {
  ws: "0190a000-0000-7000-8000-000000000001",
  integration: "0190a000-0000-7000-8000-000000000002",
  account: "0190a000-0000-7000-8000-000000000003",
  dealA: "0190a000-0000-7000-8000-000000000004",
  dealB: "0190a000-0000-7000-8000-000000000005",
  linked: "0190a000-0000-7000-8000-000000000006",
  accountOnly: "0190a000-0000-7000-8000-000000000007",
};

beforeAll(async () => {
  db = await createEmptyDatabase();
  before = await mkdtemp(path.join(tmpdir(), "callsync-migrations-"));
  for (const name of await readdir(migrationsDir))
    if (name < FIRST_WITH_LINKS) await cp(path.join(migrationsDir, name), path.join(before, name), { recursive: true });
  await applyMigrations(db.url, { migrationsDir: before });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`
    INSERT INTO "Workspace" (id, name) VALUES ('${ids.ws}', 'Before links');
    INSERT INTO "CrmConnection" (id, "workspaceId", provider) VALUES (gen_random_uuid(), '${ids.ws}', 'SALESFORCE');
    INSERT INTO "Integration" (id, "workspaceId", provider, "updatedAt") VALUES ('${ids.integration}', '${ids.ws}', 'GONG', now());
    INSERT INTO "Account" (id, "workspaceId", "crmProvider", "crmId", name, "updatedAt")
      VALUES ('${ids.account}', '${ids.ws}', 'SALESFORCE', '001OLD', 'Old account', now());
    INSERT INTO "Deal" (id, "workspaceId", "crmProvider", "crmId", name, "accountId", "updatedAt") VALUES
      ('${ids.dealA}', '${ids.ws}', 'SALESFORCE', '006OLD-A', 'Deal A', '${ids.account}', now() - interval '1 day'),
      ('${ids.dealB}', '${ids.ws}', 'SALESFORCE', '006OLD-B', 'Deal B', NULL, now());
    INSERT INTO "Call" (id, "workspaceId", "integrationId", provider, "providerCallId", "startedAt", "contentHash",
                        "dealId", "dealLinkStatus", "linkedAt", "updatedAt") VALUES
      ('${ids.linked}', '${ids.ws}', '${ids.integration}', 'GONG', 'linked', '2026-01-02T10:00:00Z', 'h',
       '${ids.dealA}', 'LINKED', '2026-01-03T00:00:00Z', now()),
      ('${ids.accountOnly}', '${ids.ws}', '${ids.integration}', 'GONG', 'account-only', '2026-01-01T10:00:00Z', 'h',
       NULL, 'NO_CRM_ID', NULL, now());
    INSERT INTO "CallCrmRef" (id, "callId", "workspaceId", system, "objectType", "objectId") VALUES
      (gen_random_uuid(), '${ids.linked}', '${ids.ws}', 'SALESFORCE', 'Opportunity', '006OLD-A'),
      (gen_random_uuid(), '${ids.linked}', '${ids.ws}', 'SALESFORCE', 'Opportunity', '006OLD-B'),
      (gen_random_uuid(), '${ids.accountOnly}', '${ids.ws}', 'SALESFORCE', 'Account', '001OLD');
  `);
  await applyMigrations(db.url, { migrationsDir });
}, 60_000);

afterAll(async () => {
  await client?.end();
  await rm(before, { recursive: true, force: true });
  await db?.drop();
});

it("keeps the existing link with its time and adds the other deal the call names", async () => {
  const { rows } = await client.query(
    `SELECT "dealId", reason, "objectType", "linkedAt", "callStartedAt" FROM "CallDealLink"
      WHERE "callId" = $1 ORDER BY "dealId"`,
    [ids.linked],
  );
  expect(rows).toEqual([
    expect.objectContaining({ dealId: ids.dealA, reason: "CRM_ID", objectType: "Opportunity" }),
    expect.objectContaining({ dealId: ids.dealB, reason: "CRM_ID", objectType: "Opportunity" }),
  ]);
  expect(rows[0].linkedAt.toISOString()).toBe("2026-01-03T00:00:00.000Z");
  expect(rows[0].callStartedAt.toISOString()).toBe("2026-01-02T10:00:00.000Z");
  const { rows: call } = await client.query(`SELECT "dealId" FROM "Call" WHERE id = $1`, [ids.linked]);
  expect(call[0].dealId).toBe(ids.dealA);
});

it("puts account-only calls on their account with the ACCOUNT_ONLY reason, and deal calls on the deal's account", async () => {
  const { rows } = await client.query(
    `SELECT "callId", reason FROM "CallAccountLink" WHERE "accountId" = $1 ORDER BY "callStartedAt" DESC`,
    [ids.account],
  );
  expect(rows).toEqual([
    { callId: ids.linked, reason: "VIA_DEAL" },
    { callId: ids.accountOnly, reason: "CRM_ID" },
  ]);
  const { rows: call } = await client.query(`SELECT "dealLinkStatus" FROM "Call" WHERE id = $1`, [ids.accountOnly]);
  expect(call[0].dealLinkStatus).toBe("ACCOUNT_ONLY");
});
