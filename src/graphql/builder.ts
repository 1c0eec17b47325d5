import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import SimpleObjectsPlugin from "@pothos/plugin-simple-objects";
import { DateResolver, DateTimeResolver } from "graphql-scalars";
import type PrismaTypes from "../generated/pothos-types.js";
import { getDatamodel } from "../generated/pothos-types.js";
import type { Context } from "./context.js";
import { appError } from "./errors.js";
import { decodeNodeGlobalId } from "./ids.js";
import { bounded, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./limits.js";
// Installs the fast path for exposed columns before the schema is built.
import "./prisma-fast-path.js";

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { member: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: Date; Output: Date };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin, SimpleObjectsPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({
      member: ctx.viewer !== null,
      admin: ctx.viewer?.role === "ADMIN",
    }),
    unauthorizedError: (_parent, ctx) => (ctx.viewer ? appError("FORBIDDEN") : appError("UNAUTHENTICATED")),
    authorizeOnSubscribe: true,
  },
  prisma: {
    // The client is taken from the context so every request uses the process's one client.
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === "production" ? null : "warn",
    maxConnectionSize: MAX_PAGE_SIZE,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    // Malformed, unknown-type and non-UUID ids answer null like unknown ids (see ids.ts).
    decodeGlobalID: decodeNodeGlobalId,
    nodeQueryOptions: { authScopes: { member: true } },
    nodesQueryOptions: {
      authScopes: { member: true },
      args: { ids: bounded(100, "Global ids to load; unknown and foreign ids answer null.") },
    },
    // Page sizes beyond the maximum are refused, not silently cut (limits.ts).
    firstArgOptions: bounded(MAX_PAGE_SIZE, `The first n items (default ${DEFAULT_PAGE_SIZE}).`),
    lastArgOptions: bounded(MAX_PAGE_SIZE, `The last n items (default ${DEFAULT_PAGE_SIZE}).`),
  },
});

builder.addScalarType("DateTime", DateTimeResolver);
builder.addScalarType("Date", DateResolver);

builder.queryType({ authScopes: { member: true } });
builder.mutationType({ authScopes: { member: true } });
