import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { graphql } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type PrismaTypes from "../../src/generated/pothos-types.js";
import { getDatamodel } from "../../src/generated/pothos-types.js";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { exposedColumn } from "../../src/graphql/prisma-fast-path.js";
import { createPrisma, createTestDatabase, type TestDatabase } from "../support/db.js";

/**
 * src/graphql/prisma-fast-path.ts: an exposed column of a select-mode Prisma type resolves from
 * its parent row when the row holds it, and is loaded by the plugin's fallback when it does not.
 * A schema of its own, so a field can hand back rows that no planned query loaded.
 */
let db: TestDatabase;
let prisma: PrismaClient;
const statements: string[] = [];

function schemaFor(client: PrismaClient) {
  const builder = new SchemaBuilder<{ PrismaTypes: PrismaTypes; Context: object }>({
    // As in src/graphql/builder.ts: scope-auth wraps the fields outside the Prisma plugin.
    plugins: [ScopeAuthPlugin, PrismaPlugin],
    scopeAuth: { authScopes: () => ({}) },
    prisma: { client, dmmf: getDatamodel(), onUnusedQuery: null },
  });
  const Workspace = builder.prismaObject("Workspace", {
    select: { id: true },
    fields: (t) => ({
      name: t.exposeString("name"),
      renamed: t.string({ select: { name: true }, resolve: (w) => w.name }),
    }),
  });
  builder.queryType({
    fields: (t) => ({
      // Rows with every column, loaded outside the plan: no mapping was recorded for them.
      fullRows: t.field({ type: [Workspace], resolve: () => client.workspace.findMany({ orderBy: { name: "asc" } }) }),
      // Rows with their id only: name must be loaded.
      idRows: t.field({
        type: [Workspace],
        resolve: () => client.workspace.findMany({ orderBy: { name: "asc" }, select: { id: true } }),
      }),
      planned: t.prismaField({
        type: [Workspace],
        resolve: (query) => client.workspace.findMany({ ...query, orderBy: { name: "asc" } }),
      }),
    }),
  });
  return builder.toSchema();
}

async function run(source: string) {
  statements.length = 0;
  const result = await graphql({ schema: schemaFor(prisma), source, contextValue: {} });
  return { result: JSON.parse(JSON.stringify(result)), statements: statements.length };
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url);
  await prisma.workspace.createMany({ data: [{ name: "Alpha" }, { name: "Beta" }] });
  prisma = prisma.$extends({
    query: {
      $allOperations: ({ args, query, operation, model }) => {
        statements.push(`${model}.${operation}`);
        return query(args);
      },
    },
  }) as unknown as PrismaClient;
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe("exposed columns of select-mode Prisma types", () => {
  it("are recognised only when exposed unchanged", () => {
    expect(
      exposedColumn({
        kind: "PrismaObject",
        extensions: { pothosExposedField: "name", pothosPrismaSelect: { name: true } },
      }),
    ).toBe("name");
    expect(exposedColumn({ kind: "PrismaObject", extensions: { pothosPrismaSelect: { name: true } } })).toBeNull();
    expect(
      exposedColumn({ kind: "Object", extensions: { pothosExposedField: "name", pothosPrismaSelect: { name: true } } }),
    ).toBeNull();
    expect(
      exposedColumn({
        kind: "PrismaObject",
        extensions: { pothosExposedField: "name", pothosPrismaSelect: { name: true, id: true } },
      }),
    ).toBeNull();
  });

  it("resolve from a row that holds them, with no statement of their own", async () => {
    const { result, statements: n } = await run("{ fullRows { name } }");
    expect(result).toEqual({ data: { fullRows: [{ name: "Alpha" }, { name: "Beta" }] } });
    // The list's own findMany; without the fast path each row reloads its selection (one more).
    expect(n).toBe(1);
  });

  it("are loaded by the plugin's fallback from a row without them", async () => {
    const { result, statements: n } = await run("{ idRows { name } }");
    expect(result).toEqual({ data: { idRows: [{ name: "Alpha" }, { name: "Beta" }] } });
    expect(n).toBeGreaterThan(1);
  });

  it("answer planned queries and custom selections as before", async () => {
    const { result, statements: n } = await run("{ planned { name renamed } idRows { renamed } }");
    expect(result).toEqual({
      data: {
        planned: [
          { name: "Alpha", renamed: "Alpha" },
          { name: "Beta", renamed: "Beta" },
        ],
        idRows: [{ renamed: "Alpha" }, { renamed: "Beta" }],
      },
    });
    expect(n).toBeGreaterThan(2);
  });
});
