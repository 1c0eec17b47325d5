/**
 * Hot reads: the deal list and the deal page answered by one hand-written SQL statement.
 *
 * The generic path (Pothos + plugin-prisma + graphql-js execution) spends most of a deal list's
 * CPU in per-field resolvers, Prisma's result mapping and the garbage of both, and PostgreSQL
 * builds JSON of every linked row before the limit. For operations whose selection this module
 * covers completely, the statement builds the response JSON itself — response keys (aliases) in
 * selection order, global ids, cursors, DateTime and Date formats, enums, pageInfo — and
 * execution is skipped. Anything it does not cover exactly (another root field, a filter, an
 * argument it does not read, `last`/`before`, a nested cursor, an unknown directive, a case where
 * the generic path answers an error) runs the generic path unchanged: `compile` returns null.
 *
 * The same rules hold as on the generic path:
 * - it runs after the operation limits (limits.ts) refused what they refuse, and only for an
 *   authenticated viewer (otherwise the generic path answers UNAUTHENTICATED);
 * - every row is scoped to the viewer's workspace, calls by `visibleCallSql` (the rule the
 *   Prisma fragment states, privacy/visibility.ts), `includeDeletedUpstream` honoured;
 * - a top-level `after` cursor must be a row of the caller's own list (cursors.ts): the statement
 *   checks it, and when it is not, the generic path runs and refuses it with its own error.
 * test/api/hot-reads.test.ts runs a broad set of operations through both paths and compares the
 * response bodies byte for byte.
 */
import { createHash } from "node:crypto";
import { encodeBase64 } from "@pothos/core";
import {
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getVariableValues,
  isAbstractType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type pg from "pg";
import { Prisma } from "../generated/prisma/client.js";
import { visibleCallSql } from "../privacy/visibility.js";
import type { Context, Viewer } from "./context.js";
import { documentMemo } from "./document-memo.js";
import { localId } from "./ids.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./limits.js";
import { linkReasons } from "./schema/calls.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** json_build_object takes at most 100 arguments. */
const MAX_KEYS = 50;

/** Thrown (and caught in `compile`) when a selection is not covered exactly. */
class NotCovered extends Error {}
const notCovered = (): never => {
  throw new NotCovered();
};

const { sql, raw, join } = Prisma;
type Sql = Prisma.Sql;

// --- Selection collection (graphql-js's CollectFields: fragments, @skip/@include, merging) ---

interface Field {
  key: string;
  /** The object type the field is on (what `__typename` answers). */
  parent: string;
  name: string;
  def: GraphQLField<unknown, unknown>;
  nodes: FieldNode[];
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  viewer: Viewer;
  alias: number;
}

function included(walk: Walk, node: { directives?: readonly { name: { value: string }; arguments?: unknown }[] }) {
  for (const directive of node.directives ?? []) {
    const name = directive.name.value;
    if (name !== "skip" && name !== "include") notCovered();
    const arg = (directive as { arguments?: readonly { name: { value: string }; value: unknown }[] }).arguments?.find(
      (a) => a.name.value === "if",
    );
    const value = arg?.value as { kind: string; value?: boolean; name?: { value: string } } | undefined;
    const condition =
      value?.kind === Kind.BOOLEAN
        ? value.value
        : value?.kind === Kind.VARIABLE
          ? walk.variables[value.name!.value]
          : notCovered();
    if (typeof condition !== "boolean") notCovered();
    if (name === "skip" && condition) return false;
    if (name === "include" && !condition) return false;
  }
  return true;
}

function conditionMatches(walk: Walk, type: GraphQLObjectType, condition: { name: { value: string } } | undefined) {
  if (!condition) return true;
  const conditional = walk.schema.getType(condition.name.value);
  if (conditional === type) return true;
  return !!conditional && isAbstractType(conditional) && walk.schema.isSubType(conditional, type);
}

/** The fields of `type` the selection sets ask for, by response key, in response order. */
function collect(walk: Walk, type: GraphQLObjectType, sets: readonly SelectionSetNode[]): Field[] {
  const fields = new Map<string, Field>();
  const visited = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (!included(walk, selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const existing = fields.get(key);
        if (existing) {
          existing.nodes.push(selection);
          continue;
        }
        const name = selection.name.value;
        const def =
          name === "__typename"
            ? ({ name, args: [], type: walk.schema.getType("String") } as unknown as GraphQLField<unknown, unknown>)
            : (type.getFields()[name] ?? notCovered());
        fields.set(key, { key, parent: type.name, name, def, nodes: [selection] });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (conditionMatches(walk, type, selection.typeCondition)) visit(selection.selectionSet);
      } else {
        const name = selection.name.value;
        if (visited.has(name)) continue;
        visited.add(name);
        const fragment = walk.fragments[name] ?? notCovered();
        if (conditionMatches(walk, type, fragment.typeCondition)) visit(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) visit(set);
  if (fields.size > MAX_KEYS) notCovered();
  return [...fields.values()];
}

function argsOf(walk: Walk, field: Field): Record<string, unknown> {
  return getArgumentValues(field.def, field.nodes[0]!, walk.variables);
}

/** The fields below `field`, on its (object) type. */
function subfields(walk: Walk, field: Field): Field[] {
  const type = getNamedType(field.def.type);
  if (!isObjectType(type)) notCovered();
  const sets = field.nodes.map((n) => n.selectionSet ?? notCovered());
  return collect(walk, type as GraphQLObjectType, sets);
}

/** Only these arguments, and only with these values. */
function onlyArgs(args: Record<string, unknown>, allowed: Record<string, (v: unknown) => boolean>) {
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined) continue;
    const ok = allowed[name];
    if (!ok?.(value)) notCovered();
  }
}
const absent = (v: unknown) => v === null;
const pageSize = (v: unknown) => v === null || (typeof v === "number" && Number.isInteger(v) && v >= 0);

/** Pothos's page size: `first`, else the default, at most the maximum. */
const limitOf = (first: unknown) => Math.min(typeof first === "number" ? first : DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);

// --- SQL pieces ---

const col = (alias: string, column: string) => raw(`${alias}."${column}"`);
/** Relay's global id: base64 of `Type:id` (at most 57 bytes of input: one base64 line). */
const globalId = (type: string, alias: string, column = "id") =>
  raw(`encode(convert_to('${type}:' || ${alias}."${column}", 'UTF8'), 'base64')`);
/** graphql-scalars DateTime: toISOString (the columns are timestamptz(3)). */
const isoTime = (alias: string, column: string) =>
  raw(`to_char(${alias}."${column}" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
const isoDate = (alias: string, column: string) => raw(`to_char(${alias}."${column}", 'YYYY-MM-DD')`);
const typename = (field: Field) => raw(`'${field.parent}'::text`);

function object(entries: [string, Sql][]): Sql {
  if (entries.length === 0) notCovered();
  return sql`json_build_object(${join(
    // Response keys are GraphQL names ([_A-Za-z][_0-9A-Za-z]*, checked by the parser): literal-safe.
    entries.map(([key, value]) => sql`${raw(`'${key}'`)}, ${value}`),
    ", ",
  )})`;
}

function nextAlias(walk: Walk, prefix: string) {
  walk.alias += 1;
  return `${prefix}${walk.alias}`;
}

/** Scalar fields read from one row: field name → SQL over the row's alias. */
type Columns = Record<string, (alias: string) => Sql>;

function scalarObject(walk: Walk, field: Field, alias: string, columns: Columns) {
  return object(
    subfields(walk, field).map((f) => {
      if (f.name === "__typename") return [f.key, typename(f)];
      onlyArgs(argsOf(walk, f), {});
      const column = columns[f.name];
      if (!column || f.nodes.some((n) => n.selectionSet)) notCovered();
      return [f.key, column!(alias)];
    }),
  );
}

const plain = (column: string) => (alias: string) => col(alias, column);
const enumText = (column: string) => (alias: string) => raw(`${alias}."${column}"::text`);
const time = (column: string) => (alias: string) => isoTime(alias, column);

const participantColumns: Columns = {
  name: plain("name"),
  email: plain("email"),
  isInternal: plain("isInternal"),
  speakerId: plain("speakerId"),
};

const accountColumns: Columns = {
  id: (a) => globalId("Account", a),
  crmProvider: enumText("crmProvider"),
  crmId: plain("crmId"),
  name: plain("name"),
  domain: plain("domain"),
};

const callColumns: Columns = {
  id: (a) => globalId("Call", a),
  provider: enumText("provider"),
  providerCallId: plain("providerCallId"),
  title: plain("title"),
  startedAt: time("startedAt"),
  endedAt: time("endedAt"),
  durationMs: plain("durationMs"),
  direction: enumText("direction"),
  providerUrl: plain("providerUrl"),
  readiness: enumText("readiness"),
  ownerProviderUserId: plain("ownerProviderUserId"),
  purgedAt: time("purgedAt"),
  purgeReason: plain("purgeReason"),
  isPrivate: plain("isPrivate"),
  hiddenReason: plain("hiddenReason"),
  deletedUpstreamAt: time("deletedUpstreamAt"),
};

const dealColumns: Columns = {
  id: (a) => globalId("Deal", a),
  crmProvider: enumText("crmProvider"),
  crmId: plain("crmId"),
  name: plain("name"),
  stage: plain("stage"),
  amount: (a) => raw(`${a}."amount"::text`),
  currency: plain("currency"),
  closeDate: (a) => isoDate(a, "closeDate"),
  ownerEmail: plain("ownerEmail"),
  ownerName: plain("ownerName"),
  updatedAt: time("updatedAt"),
};

const dealLinkReason = (alias: string) =>
  sql`CASE ${col(alias, "dealLinkStatus")}::text ${join(
    Object.entries(linkReasons).map(([status, reason]) => sql`WHEN ${status} THEN ${reason}::text`),
    " ",
  )} END`;

function callObject(walk: Walk, field: Field, c: string): Sql {
  return object(
    subfields(walk, field).map((f): [string, Sql] => {
      if (f.name === "__typename") return [f.key, typename(f)];
      onlyArgs(argsOf(walk, f), {});
      const column = callColumns[f.name];
      if (column) {
        if (f.nodes.some((n) => n.selectionSet)) notCovered();
        return [f.key, column(c)];
      }
      switch (f.name) {
        case "dealLink":
          return [f.key, scalarObject(walk, f, c, { status: enumText("dealLinkStatus"), reason: dealLinkReason })];
        case "participants": {
          const p = nextAlias(walk, "p");
          return [
            f.key,
            sql`coalesce((SELECT json_agg(${scalarObject(walk, f, p, participantColumns)} ORDER BY ${col(p, "position")})
                 FROM "CallParticipant" ${raw(p)} WHERE ${col(p, "callId")} = ${col(c, "id")}), '[]'::json)`,
          ];
        }
        case "summary": {
          const s = nextAlias(walk, "s");
          const summary = scalarObject(walk, f, s, {
            brief: plain("brief"),
            keyPoints: (a) => raw(`to_json(${a}."keyPoints")`),
          });
          return [
            f.key,
            sql`(SELECT ${summary} FROM "CallSummary" ${raw(s)} WHERE ${col(s, "callId")} = ${col(c, "id")})`,
          ];
        }
        case "actionItems": {
          const ai = nextAlias(walk, "ai");
          const item = object(
            subfields(walk, f).map((g): [string, Sql] => {
              if (g.name === "__typename") return [g.key, typename(g)];
              onlyArgs(argsOf(walk, g), {});
              if (g.name === "text" || g.name === "ownerName") {
                if (g.nodes.some((n) => n.selectionSet)) notCovered();
                return [g.key, col(ai, g.name)];
              }
              if (g.name !== "owner") notCovered();
              const o = nextAlias(walk, "o");
              const owner = scalarObject(walk, g, o, participantColumns);
              return [
                g.key,
                sql`(SELECT ${owner} FROM "CallParticipant" ${raw(o)} WHERE ${col(o, "id")} = ${col(ai, "ownerParticipantId")})`,
              ];
            }),
          );
          return [
            f.key,
            sql`coalesce((SELECT json_agg(${item} ORDER BY ${col(ai, "position")})
                 FROM "ActionItem" ${raw(ai)} WHERE ${col(ai, "callId")} = ${col(c, "id")}), '[]'::json)`,
          ];
        }
        default:
          return notCovered();
      }
    }),
  );
}

/** Deal.calls: the deal's link rows, newest call first, visible calls only. */
function dealCallsConnection(walk: Walk, field: Field, d: string): Sql {
  const args = argsOf(walk, field);
  onlyArgs(args, {
    first: pageSize,
    after: absent,
    before: absent,
    last: absent,
    includeDeletedUpstream: (v) => v === null || typeof v === "boolean",
  });
  const includeDeletedUpstream = args.includeDeletedUpstream === true;
  const limit = limitOf(args.first);
  const l = nextAlias(walk, "l");
  const c = nextAlias(walk, "c");
  const vc = nextAlias(walk, "vc");
  const visible = (alias: string) => visibleCallSql(walk.viewer, alias, { includeDeletedUpstream });
  // Pothos's compound cursor of the link row (callId_dealId); longer than one base64 line.
  const cursor = raw(
    `translate(encode(convert_to('GPC:T:["S:' || ${l}."callId" || '","S:' || ${l}."dealId" || '"]', 'UTF8'), 'base64'), E'\\n', '')`,
  );
  const onPage = raw(`${l}.rn <= ${limit}`);
  const entries = subfields(walk, field).map((f): [string, Sql] => {
    if (f.name === "__typename") return [f.key, typename(f)];
    onlyArgs(argsOf(walk, f), {});
    switch (f.name) {
      case "totalCount": {
        const tl = nextAlias(walk, "tl");
        return [
          f.key,
          sql`(SELECT COUNT(*)::int FROM "CallDealLink" ${raw(tl)} JOIN "Call" ${raw(vc)} ON ${col(vc, "id")} = ${col(tl, "callId")}
                WHERE ${col(tl, "dealId")} = ${col(d, "id")} AND ${visible(vc)})`,
        ];
      }
      case "edges": {
        const edge = object(
          subfields(walk, f).map((g): [string, Sql] => {
            if (g.name === "__typename") return [g.key, typename(g)];
            onlyArgs(argsOf(walk, g), {});
            switch (g.name) {
              case "node":
                return [g.key, callObject(walk, g, c)];
              case "cursor":
                return [g.key, cursor];
              case "reason":
                return [g.key, raw(`${l}."reason"::text`)];
              case "linkedAt":
                return [g.key, isoTime(l, "linkedAt")];
              default:
                return notCovered();
            }
          }),
        );
        return [f.key, sql`coalesce(json_agg(${edge} ORDER BY ${raw(l)}.rn) FILTER (WHERE ${onPage}), '[]'::json)`];
      }
      case "pageInfo":
        return [f.key, pageInfo(walk, f, cursor, onPage, raw(`${l}.rn`), limit, false)];
      default:
        return notCovered();
    }
  });
  return sql`(SELECT ${object(entries)}
    FROM (SELECT ${raw(l)}.*, row_number() OVER (ORDER BY ${col(l, "callStartedAt")} DESC, ${col(l, "callId")} DESC) AS rn
            FROM "CallDealLink" ${raw(l)} JOIN "Call" ${raw(vc)} ON ${col(vc, "id")} = ${col(l, "callId")}
           WHERE ${col(l, "dealId")} = ${col(d, "id")} AND ${visible(vc)}
           ORDER BY ${col(l, "callStartedAt")} DESC, ${col(l, "callId")} DESC
           LIMIT ${raw(String(limit + 1))}) ${raw(l)}
    JOIN "Call" ${raw(c)} ON ${col(c, "id")} = ${col(l, "callId")})`;
}

/** Pothos's pageInfo over an aggregated page of `limit` rows (one more read to see a next page). */
function pageInfo(walk: Walk, field: Field, cursor: Sql, onPage: Sql, rn: Sql, limit: number, after: boolean): Sql {
  return object(
    subfields(walk, field).map((f): [string, Sql] => {
      if (f.name === "__typename") return [f.key, typename(f)];
      onlyArgs(argsOf(walk, f), {});
      switch (f.name) {
        case "hasNextPage":
          return [f.key, raw(`COUNT(*) > ${limit}`)];
        case "hasPreviousPage":
          return [f.key, raw(after ? "true" : "false")];
        case "startCursor":
          return [f.key, sql`(array_agg(${cursor} ORDER BY ${rn}) FILTER (WHERE ${onPage}))[1]`];
        case "endCursor":
          return [f.key, sql`(array_agg(${cursor} ORDER BY ${rn} DESC) FILTER (WHERE ${onPage}))[1]`];
        default:
          return notCovered();
      }
    }),
  );
}

function dealObject(walk: Walk, field: Field, d: string): Sql {
  return object(
    subfields(walk, field).map((f): [string, Sql] => {
      if (f.name === "__typename") return [f.key, typename(f)];
      if (f.name === "calls") return [f.key, dealCallsConnection(walk, f, d)];
      onlyArgs(argsOf(walk, f), {});
      const column = dealColumns[f.name];
      if (column) {
        if (f.nodes.some((n) => n.selectionSet)) notCovered();
        return [f.key, column(d)];
      }
      if (f.name !== "account") notCovered();
      const a = nextAlias(walk, "a");
      const account = scalarObject(walk, f, a, accountColumns);
      return [f.key, sql`(SELECT ${account} FROM "Account" ${raw(a)} WHERE ${col(a, "id")} = ${col(d, "accountId")})`];
    }),
  );
}

/** A Query.deal(id) field; an id of another type, malformed or foreign answers null like the generic path. */
function dealField(walk: Walk, field: Field): Sql {
  const args = argsOf(walk, field);
  const id = localId(String(args.id), "Deal");
  // Malformed or of another type: the generic path answers null without reading.
  if (id === null) return raw("NULL::json");
  const d = nextAlias(walk, "d");
  return sql`(SELECT ${dealObject(walk, field, d)} FROM "Deal" ${raw(d)}
    WHERE ${col(d, "id")} = ${id}::uuid AND ${col(d, "workspaceId")} = ${walk.viewer.workspaceId}::uuid)`;
}

/** `GPC:S:<uuid>` (a cursor on the id column), or null when it is not one. */
function idCursor(cursor: unknown): string | null {
  if (typeof cursor !== "string") return null;
  const decoded = Buffer.from(cursor, "base64").toString("utf8");
  if (encodeBase64(decoded) !== cursor || !decoded.startsWith("GPC:S:")) return null;
  const id = decoded.slice(6);
  return UUID.test(id) ? id : null;
}

/** Query.deals without filter and order (updated most recently first): a page of the workspace's deals. */
function dealsField(walk: Walk, field: Field): { value: Sql; check: Sql | null } {
  const args = argsOf(walk, field);
  onlyArgs(args, {
    first: pageSize,
    after: (v) => idCursor(v) !== null,
    before: absent,
    last: absent,
    filter: absent,
    orderBy: absent,
  });
  const limit = limitOf(args.first);
  const after = args.after == null ? null : idCursor(args.after);
  const workspaceId = walk.viewer.workspaceId;
  const d = nextAlias(walk, "d");
  const cursor = raw(`encode(convert_to('GPC:S:' || ${d}.id, 'UTF8'), 'base64')`);
  const onPage = raw(`${d}.rn <= ${limit}`);
  const entries = subfields(walk, field).map((f): [string, Sql] => {
    if (f.name === "__typename") return [f.key, typename(f)];
    onlyArgs(argsOf(walk, f), {});
    switch (f.name) {
      case "totalCount":
        return [f.key, sql`(SELECT COUNT(*)::int FROM "Deal" WHERE "workspaceId" = ${workspaceId}::uuid)`];
      case "edges": {
        const edge = object(
          subfields(walk, f).map((g): [string, Sql] => {
            if (g.name === "__typename") return [g.key, typename(g)];
            onlyArgs(argsOf(walk, g), {});
            if (g.name === "cursor") return [g.key, cursor];
            if (g.name !== "node") notCovered();
            // A deal's nested calls(after:) would compare one cursor against every deal: not covered.
            return [g.key, dealObject(walk, g, d)];
          }),
        );
        return [f.key, sql`coalesce(json_agg(${edge} ORDER BY ${raw(d)}.rn) FILTER (WHERE ${onPage}), '[]'::json)`];
      }
      case "pageInfo":
        return [f.key, pageInfo(walk, f, cursor, onPage, raw(`${d}.rn`), limit, after !== null)];
      default:
        return notCovered();
    }
  });
  const position =
    after === null
      ? sql``
      : sql`AND ("updatedAt", id) < (SELECT "updatedAt", id FROM "Deal" WHERE id = ${after}::uuid)`;
  const value = sql`(SELECT ${object(entries)}
    FROM (SELECT *, row_number() OVER (ORDER BY "updatedAt" DESC, id DESC) AS rn FROM "Deal"
           WHERE "workspaceId" = ${workspaceId}::uuid ${position}
           ORDER BY "updatedAt" DESC, id DESC LIMIT ${raw(String(limit + 1))}) ${raw(d)})`;
  // A cursor that is not a row of the caller's list: the generic path refuses it (cursors.ts).
  const check =
    after === null
      ? null
      : sql`EXISTS (SELECT 1 FROM "Deal" WHERE id = ${after}::uuid AND "workspaceId" = ${workspaceId}::uuid)`;
  return { value, check };
}

export interface HotRead {
  statement: Sql;
  /** The statement's text ($1… placeholders), joined once: it is sent, and names a prepared statement, on every request. */
  text: string;
}

export const hotRead = (statement: Sql): HotRead => ({ statement, text: statement.text });

/** The statement answering the whole operation, or null when the generic path must answer it. */
export function compile(args: ExecutionArgs, viewer: Viewer | null): HotRead | null {
  if (!viewer) return null;
  const operations = args.document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = args.operationName
    ? operations.find((o) => o.name?.value === args.operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  if (operation?.operation !== "query" || operation.directives?.length) return null;
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
  if (coerced.errors) return null;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of args.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const walk: Walk = { schema: args.schema, fragments, variables: coerced.coerced, viewer, alias: 0 };
  try {
    const query = args.schema.getQueryType() ?? notCovered();
    const roots = collect(walk, query!, [operation.selectionSet]);
    const checks: Sql[] = [];
    const entries = roots.map((f): [string, Sql] => {
      if (f.name === "__typename") return [f.key, typename(f)];
      if (f.name === "deal") return [f.key, dealField(walk, f)];
      if (f.name === "deals") {
        const { value, check } = dealsField(walk, f);
        if (check) checks.push(check);
        return [f.key, value];
      }
      return notCovered();
    });
    const data = object(entries);
    const statement = checks.length
      ? sql`SELECT CASE WHEN ${join(checks, " AND ")} THEN ${data}::text END AS data`
      : sql`SELECT ${data}::text AS data`;
    return hotRead(statement);
  } catch (error) {
    if (error instanceof NotCovered) return null;
    // An argument the generic path reports as an error (getArgumentValues): let it.
    if (error instanceof GraphQLError) return null;
    throw error;
  }
}

/** Counts of operations each path answered, for tests and the bench. */
export const hotReadStats = { hot: 0, generic: 0 };

/** Runs a hot read's statement: its one `data` text column, or null. */
export type HotReadRunner = (read: HotRead, ctx: Context) => Promise<string | null | undefined>;

/** Through Prisma's raw query (the embedded database, and wherever no pool is at hand). */
const throughPrisma: HotReadRunner = async (read, ctx) =>
  (await ctx.prisma.$queryRaw<{ data: string | null }[]>(read.statement))[0]?.data;

/**
 * Straight on the pg pool, as a named prepared statement: a hot read is one statement shape per
 * operation, planned once per connection instead of on every request (planning the deal page
 * costs PostgreSQL about as much as running it). At most `maxPrepared` shapes get a name — an
 * unbounded set of operations must not grow every connection's plan cache; the rest run unnamed.
 * `onQuery` sees every statement, as Prisma's query log does.
 */
export function poolRunner(
  pool: Pick<pg.Pool, "query">,
  options: { onQuery?: (sql: string) => void; maxPrepared?: number } = {},
): HotReadRunner {
  const names = new Map<string, string>();
  const maxPrepared = options.maxPrepared ?? 200;
  return async ({ statement, text }) => {
    let name = names.get(text);
    if (name === undefined && names.size < maxPrepared) {
      name = `callsync_hot_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
      names.set(text, name);
    }
    options.onQuery?.(text);
    const { rows } = await pool.query<{ data: string | null }>({ name, text, values: statement.values });
    return rows[0]?.data;
  };
}

/**
 * The envelop plugin: answers covered operations with their one statement, the rest as before.
 * The statement depends on the document, the operation name, the variables and the viewer (whose
 * workspace, id and role the visibility rule reads) only, so it is compiled once per such
 * combination (document-memo.ts).
 */
export function useHotReads(options: { run?: HotReadRunner } = {}): Plugin {
  const run = options.run ?? throughPrisma;
  // A compiled deal page holds a few KB of SQL pieces: 1,000 of them stay within a few MB.
  const compiled = documentMemo<HotRead | null>({ maxEntries: 1_000 });
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const ctx = args.contextValue as unknown as Context;
      const viewer = ctx.viewer;
      const hot = viewer
        ? compiled.get(
            args.document,
            JSON.stringify([
              args.operationName ?? null,
              args.variableValues ?? null,
              viewer.userId,
              viewer.workspaceId,
              viewer.role,
            ]),
            () => compile(args, viewer),
          )
        : null;
      if (!hot) {
        hotReadStats.generic++;
        return;
      }
      setExecuteFn(async (execArgs) => {
        let data: string | null | undefined;
        try {
          data = await run(hot, ctx);
        } catch (error) {
          // The generic path answers a failing read in its own shape (its error, its path).
          ctx.log.warn({ err: error }, "hot read failed; answered by the generic path");
          data = null;
        }
        if (data == null) {
          hotReadStats.generic++;
          return executeFn(execArgs);
        }
        hotReadStats.hot++;
        return { data: JSON.parse(data) };
      });
    },
  };
}
