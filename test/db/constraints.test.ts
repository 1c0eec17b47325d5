/** SQL that lives only in the migrations (prisma/sql/*.sql): the tsv trigger and the lower-case email checks. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { createPrisma, createTestDatabase, type TestDatabase } from "../support/db.js";

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

async function fixture() {
  const workspace = await prisma.workspace.create({ data: { name: "Acme" } });
  const integration = await prisma.integration.create({ data: { workspaceId: workspace.id, provider: "GONG" } });
  const call = await prisma.call.create({
    data: {
      workspaceId: workspace.id,
      integrationId: integration.id,
      provider: "GONG",
      providerCallId: `c-${Math.random()}`,
      startedAt: new Date(),
      contentHash: "h",
      dealLinkStatus: "NO_CRM_ID",
    },
  });
  return { workspace, call };
}

describe("TranscriptSegment.tsv trigger", () => {
  it("fills tsv on insert and refreshes it when the text changes", async () => {
    const { call } = await fixture();
    const seg = await prisma.transcriptSegment.create({
      data: { callId: call.id, position: 0, startMs: 0, endMs: 1000, text: "We discussed the pricing proposals" },
    });
    const search = (q: string) =>
      prisma.$queryRaw<{ id: string }[]>`
        SELECT id FROM "TranscriptSegment" WHERE tsv @@ websearch_to_tsquery('english', ${q}) AND "callId" = ${call.id}::uuid`;
    // english stemming: "proposal" matches "proposals"
    expect(await search("proposal pricing")).toEqual([{ id: seg.id }]);
    const [row] = await prisma.$queryRaw<{ tsv: string }[]>`
      SELECT tsv::text AS tsv FROM "TranscriptSegment" WHERE id = ${seg.id}::uuid`;
    expect(row?.tsv).toContain("'price'");

    await prisma.transcriptSegment.update({ where: { id: seg.id }, data: { text: "Renewal timeline" } });
    expect(await search("pricing")).toEqual([]);
    expect(await search("renewals")).toEqual([{ id: seg.id }]);

    // Other updates keep tsv; an empty text gives an empty vector, not NULL.
    await prisma.transcriptSegment.update({ where: { id: seg.id }, data: { endMs: 2000 } });
    expect(await search("renewal")).toEqual([{ id: seg.id }]);
    await prisma.transcriptSegment.update({ where: { id: seg.id }, data: { text: "" } });
    const [empty] = await prisma.$queryRaw<{ tsv: string | null }[]>`
      SELECT tsv::text AS tsv FROM "TranscriptSegment" WHERE id = ${seg.id}::uuid`;
    expect(empty?.tsv).toBe("");
  });
});

describe("lower-case email checks", () => {
  it("User.email rejects upper case and accepts lower case", async () => {
    const { workspace } = await fixture();
    await expect(
      prisma.user.create({ data: { workspaceId: workspace.id, email: "Ann@Example.com", name: "Ann" } }),
    ).rejects.toThrow(/User_email_lowercase|check constraint/i);
    const ok = await prisma.user.create({ data: { workspaceId: workspace.id, email: "ann@example.com", name: "Ann" } });
    expect(ok.email).toBe("ann@example.com");
    await expect(prisma.user.update({ where: { id: ok.id }, data: { email: "ANN@example.com" } })).rejects.toThrow();
  });

  it("CallParticipant.email rejects upper case, accepts lower case and NULL", async () => {
    const { call } = await fixture();
    await expect(
      prisma.callParticipant.create({ data: { callId: call.id, position: 0, email: "Bob@X.io", isInternal: false } }),
    ).rejects.toThrow(/CallParticipant_email_lowercase|check constraint/i);
    await prisma.callParticipant.create({
      data: { callId: call.id, position: 0, email: "bob@x.io", isInternal: false },
    });
    await prisma.callParticipant.create({ data: { callId: call.id, position: 1, email: null, isInternal: true } });
    expect(await prisma.callParticipant.count({ where: { callId: call.id } })).toBe(2);
  });
});
