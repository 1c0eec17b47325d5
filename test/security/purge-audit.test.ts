/**
 * Rule 10: the purge audit cannot be reversed. The purged person's email is kept only as a
 * keyed HMAC (PURGE_AUDIT_KEY), so "was this address purged?" is answered for a given address,
 * while the table alone (a leaked backup) does not give the addresses back to a dictionary.
 * Audits written before the key existed are re-keyed at start-up.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecurityPersonPurgesDocument, SecurityPurgePersonDocument } from "../generated/graphql.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { callRecord, createWorkspace, storeTestCalls } from "../support/fixtures.js";

const KEY = randomBytes(32);
const sha256 = (v: string) => createHash("sha256").update(v).digest("hex");

let database: TestDatabase;
let api: TestApi;
let acme: Awaited<ReturnType<typeof createWorkspace>>;
let adminToken: string;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startApi({ PURGE_AUDIT_KEY: KEY.toString("base64") }, { database });
  acme = await createWorkspace(api.prisma, "Purge Co");
  adminToken = await api.tokenFor(acme.admin);
});
afterAll(async () => {
  await api.close();
  await database.drop();
});

const email = "jane.doe@customer.test";

describe("the purge audit keeps a keyed digest of the email, never the address or its bare hash", () => {
  let auditId: string;

  beforeAll(async () => {
    await storeTestCalls(api.prisma, acme.workspace.id, [
      callRecord("c-1", {
        participants: [{ name: "Jane", email, isInternal: false, speakerId: "s1", providerUserId: null }],
      }),
    ]);
    const purge = await api.gql(SecurityPurgePersonDocument, { email: "  Jane.Doe@Customer.TEST " }, adminToken);
    expect(purge.errors).toBeUndefined();
    expect(purge.data!.purgeCallData.callsPurged).toBe(1);
    auditId = purge.data!.purgeCallData.auditId;
  });

  it("stores HMAC-SHA256 under the configured key, not a hash anyone can recompute", async () => {
    const audit = await api.prisma.purgeAudit.findUniqueOrThrow({ where: { id: auditId } });
    expect(audit.emailHmac).toBe(createHmac("sha256", KEY).update(sha256(email)).digest("hex"));
    const row = JSON.stringify(audit).toLowerCase();
    // A dictionary of addresses, hashed without the key, finds nothing in the row.
    for (const guess of [email, sha256(email), createHash("sha256").update(email).digest("base64")])
      expect(row).not.toContain(guess.toLowerCase());
    expect(audit.emailSha256).toBeNull();
  });

  it("answers 'was this address purged?' for a given address, in any case", async () => {
    const found = await api.gql(SecurityPersonPurgesDocument, { email: "JANE.DOE@customer.test" }, adminToken);
    expect(found.errors).toBeUndefined();
    expect(found.data!.personPurges).toMatchObject([
      { id: auditId, scope: "PERSON", callsAffected: 1, purgedBy: { email: acme.admin.email } },
    ]);
    const never = await api.gql(SecurityPersonPurgesDocument, { email: "john@customer.test" }, adminToken);
    expect(never.data!.personPurges).toEqual([]);
  });

  it("answers only admins, and only about their own workspace", async () => {
    const member = await api.gql(SecurityPersonPurgesDocument, { email }, await api.tokenFor(acme.member));
    expect(errorCodes(member)).toEqual(["FORBIDDEN"]);
    const other = await createWorkspace(api.prisma, "Other Purge Co");
    const foreign = await api.gql(SecurityPersonPurgesDocument, { email }, await api.tokenFor(other.admin));
    expect(foreign.data!.personPurges).toEqual([]);
  });
});

describe("audits written before the key existed", () => {
  it("are re-keyed at start-up: the bare sha256 is gone and the address is still answerable", async () => {
    const legacyEmail = "old.purge@customer.test";
    const legacy = await api.prisma.purgeAudit.create({
      data: {
        workspaceId: acme.workspace.id,
        actorId: acme.admin.id,
        scope: "PERSON",
        emailSha256: sha256(legacyEmail),
        callsAffected: 3,
      },
    });
    await api.close();
    api = await startApi({ PURGE_AUDIT_KEY: KEY.toString("base64") }, { database });

    const audit = await api.prisma.purgeAudit.findUniqueOrThrow({ where: { id: legacy.id } });
    expect(audit.emailSha256).toBeNull();
    expect(audit.emailHmac).toBe(createHmac("sha256", KEY).update(sha256(legacyEmail)).digest("hex"));
    const found = await api.gql(SecurityPersonPurgesDocument, { email: legacyEmail }, adminToken);
    expect(found.data!.personPurges.map((p) => p.id)).toEqual([legacy.id]);
  });
});
