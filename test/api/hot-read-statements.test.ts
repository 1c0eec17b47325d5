/**
 * Hot reads run as named prepared statements on the pg pool (hot-reads.ts `poolRunner`): a
 * statement shape is planned once per connection, and only a bounded number of shapes get a name,
 * so arbitrary operations cannot grow every connection's plan cache without limit.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../../src/db/client.js";
import type { Context } from "../../src/graphql/context.js";
import { hotRead, poolRunner } from "../../src/graphql/hot-reads.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

let database: TestDatabase;
let pool: pg.Pool;
const ctx = {} as Context;

beforeAll(async () => {
  database = await createTestDatabase();
  // One connection: what it has prepared is what the runner prepared.
  pool = new pg.Pool({ connectionString: database.url, max: 1 });
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const prepared = async () =>
  (
    await pool.query<{ name: string; statement: string }>(
      `SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'callsync_hot_%' ORDER BY name`,
    )
  ).rows;

describe("hot read statements", () => {
  it("prepare each shape once, answer each request's own values, and name at most maxPrepared shapes", async () => {
    const seen: string[] = [];
    const run = poolRunner(pool, { maxPrepared: 2, onQuery: (sql) => seen.push(sql) });
    const shape = (n: number, value: string) =>
      hotRead(Prisma.sql`SELECT ${value}::text || ${Prisma.raw(`'/${n}'`)} AS data`);

    expect(await run(shape(1, "a"), ctx)).toBe("a/1");
    expect(await run(shape(1, "b"), ctx)).toBe("b/1");
    expect(await run(shape(2, "c"), ctx)).toBe("c/2");
    const named = await prepared();
    expect(named).toHaveLength(2);
    expect(named.map((p) => p.statement).sort()).toEqual([shape(1, "").text, shape(2, "").text].sort());

    // A third shape runs unnamed: still answered, nothing more prepared.
    expect(await run(shape(3, "d"), ctx)).toBe("d/3");
    expect(await run(shape(3, "e"), ctx)).toBe("e/3");
    expect(await prepared()).toEqual(named);
    // Every statement is reported, as Prisma's query log reports its own.
    expect(seen).toHaveLength(5);
  });

  it("answers nothing (the generic path then runs) when the statement returns no row", async () => {
    const run = poolRunner(pool);
    expect(await run(hotRead(Prisma.sql`SELECT 'x'::text AS data WHERE false`), ctx)).toBeUndefined();
  });
});
