import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ViewerCacheAdminOnlyDocument, ViewerCacheDealsDocument } from "../generated/graphql.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";

/**
 * Each API process caches who a token speaks for, and must never serve that from its cache
 * once a change to the user has committed — whichever process (or psql) made the change.
 * `reader` caches; the changes are committed on another connection, as another process would.
 */
let writer: TestApi;
let reader: TestApi;
let sql: pg.Client;

beforeAll(async () => {
  writer = await startApi();
  reader = await startApi({}, { database: writer.database });
  sql = new pg.Client({ connectionString: writer.database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql.end();
  await reader.close();
  await writer.close();
});

/** Statements the reader sent for one request. */
async function statements(run: () => Promise<unknown>): Promise<number> {
  reader.resetQueries();
  await run();
  return reader.queries.length;
}

describe("the viewer cache", () => {
  it("answers a known viewer's next requests without a statement for the viewer", async () => {
    const { member } = await createWorkspace(writer.prisma, "Cache Hit Co");
    const token = await reader.tokenFor(member);
    const first = await statements(() => reader.gql(ViewerCacheDealsDocument, {}, token));
    const second = await statements(() => reader.gql(ViewerCacheDealsDocument, {}, token));
    expect(second).toBe(first - 1);
  });

  it("refuses a removed user on another process as soon as the removal commits", async () => {
    const { member } = await createWorkspace(writer.prisma, "Removed Co");
    const token = await reader.tokenFor(member);
    expect((await reader.gql(ViewerCacheDealsDocument, {}, token)).errors).toBeUndefined();
    await writer.prisma.user.delete({ where: { id: member.id } });
    expect(errorCodes(await reader.gql(ViewerCacheDealsDocument, {}, token))).toEqual(["UNAUTHENTICATED"]);
  });

  it("applies a role change committed elsewhere to the very next request, both ways", async () => {
    const { admin } = await createWorkspace(writer.prisma, "Demoted Co");
    const token = await reader.tokenFor(admin);
    expect((await reader.gql(ViewerCacheAdminOnlyDocument, {}, token)).errors).toBeUndefined();
    await sql.query(`UPDATE "User" SET role = 'MEMBER' WHERE id = $1`, [admin.id]);
    expect(errorCodes(await reader.gql(ViewerCacheAdminOnlyDocument, {}, token))).toEqual(["FORBIDDEN"]);
    await sql.query(`UPDATE "User" SET role = 'ADMIN' WHERE id = $1`, [admin.id]);
    expect((await reader.gql(ViewerCacheAdminOnlyDocument, {}, token)).errors).toBeUndefined();
  });

  it("forgets everyone when the table is emptied in one statement", async () => {
    const { member } = await createWorkspace(writer.prisma, "Truncated Co");
    const token = await reader.tokenFor(member);
    expect((await reader.gql(ViewerCacheDealsDocument, {}, token)).errors).toBeUndefined();
    await sql.query(`TRUNCATE "User" CASCADE`);
    expect(errorCodes(await reader.gql(ViewerCacheDealsDocument, {}, token))).toEqual(["UNAUTHENTICATED"]);
  });

  it("serves no stale viewer after its LISTEN connection was lost, and caches again once it is back", async () => {
    const { admin, member } = await createWorkspace(writer.prisma, "Outage Co");
    const token = await reader.tokenFor(admin);
    expect((await reader.gql(ViewerCacheAdminOnlyDocument, {}, token)).errors).toBeUndefined();
    const listeners = () =>
      sql
        .query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'callsync viewer cache'`,
        )
        .then((r) => r.rows.map((row) => row.pid as number));
    const before = await listeners();
    expect(before).toHaveLength(2);
    // Both processes lose their listener; the change commits while nobody listens.
    await sql.query(`SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, [before]);
    await sql.query(`UPDATE "User" SET role = 'MEMBER' WHERE id = $1`, [admin.id]);
    expect(errorCodes(await reader.gql(ViewerCacheAdminOnlyDocument, {}, token))).toEqual(["FORBIDDEN"]);
    await expect.poll(async () => (await listeners()).filter((pid) => !before.includes(pid)).length).toBe(2);
    expect(errorCodes(await reader.gql(ViewerCacheAdminOnlyDocument, {}, token))).toEqual(["FORBIDDEN"]);
    const memberToken = await reader.tokenFor(member);
    const first = await statements(() => reader.gql(ViewerCacheDealsDocument, {}, memberToken));
    expect(await statements(() => reader.gql(ViewerCacheDealsDocument, {}, memberToken))).toBe(first - 1);
  });
});
