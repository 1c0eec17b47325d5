/**
 * Who may read a call: the one predicate every API read of calls goes through — lists, counts,
 * node lookups, deal pages, transcript search and subscriptions — so the rule lives in the SQL
 * each read sends, not in a resolver that filters afterwards.
 *
 * - A call of another workspace does not exist.
 * - A hidden call (excluded by a rule, or private after the integration stopped importing
 *   private calls) does not exist for members; admins can read it by id and list it with a
 *   filter, to see why it is hidden (SPEC §7).
 * - A private call (the provider marks it so and the integration imports private calls) exists
 *   only for its internal participants, its owner, and admins.
 * - A call deleted upstream (the provider deleted it) is left out of lists, counts, deal pages
 *   and search unless the reader asks for it (`includeDeletedUpstream`); it stays readable by id.
 *
 * The rule is written twice, as a Prisma where fragment and as SQL for the raw search query;
 * test/api/visibility.test.ts probes every read path against both.
 */
import { Prisma } from "../generated/prisma/client.js";
import type { Role } from "../generated/prisma/enums.js";

export interface CallReader {
  workspaceId: string;
  userId: string;
  role: Role;
}

/** No viewer: ids no row has, so a resolver reached without auth reads nothing. */
const NOBODY: CallReader = {
  workspaceId: "00000000-0000-0000-0000-000000000000",
  userId: "00000000-0000-0000-0000-000000000000",
  role: "MEMBER",
};

export const callReader = (viewer: CallReader | null | undefined): CallReader => viewer ?? NOBODY;

export interface VisibilityOptions {
  /** Admins only: hidden calls instead of visible ones (the troubleshooting list). */
  hidden?: boolean;
  /** Also calls the provider deleted (Call.deletedUpstreamAt), which lists leave out by default. */
  includeDeletedUpstream?: boolean;
}

/** The calls `reader` may see, as a Prisma where fragment; combine it with AND, never spread it. */
export function visibleCallWhere(
  viewer: CallReader | null | undefined,
  options: VisibilityOptions = {},
): Prisma.CallWhereInput {
  const reader = callReader(viewer);
  const upstream = options.includeDeletedUpstream ? {} : { deletedUpstreamAt: null };
  if (reader.role === "ADMIN")
    return { workspaceId: reader.workspaceId, hiddenAt: options.hidden ? { not: null } : null, ...upstream };
  if (options.hidden) return { workspaceId: NOBODY.workspaceId };
  return {
    workspaceId: reader.workspaceId,
    hiddenAt: null,
    ...upstream,
    OR: [
      { isPrivate: false },
      { ownerUserId: reader.userId },
      { participants: { some: { userId: reader.userId, isInternal: true } } },
    ],
  };
}

/** The same rule for raw SQL over "Call" aliased `alias` (visible calls only). */
export function visibleCallSql(
  viewer: CallReader | null | undefined,
  alias: string,
  options: Pick<VisibilityOptions, "includeDeletedUpstream"> = {},
): Prisma.Sql {
  const reader = callReader(viewer);
  const c = Prisma.raw(`"${alias.replace(/"/g, "")}"`);
  const upstream = options.includeDeletedUpstream ? Prisma.empty : Prisma.sql` AND ${c}."deletedUpstreamAt" IS NULL`;
  const base = Prisma.sql`${c}."workspaceId" = ${reader.workspaceId}::uuid AND ${c}."hiddenAt" IS NULL${upstream}`;
  if (reader.role === "ADMIN") return base;
  return Prisma.sql`${base} AND (
    ${c}."isPrivate" = false
    OR ${c}."ownerUserId" = ${reader.userId}::uuid
    OR EXISTS (SELECT 1 FROM "CallParticipant" p
                WHERE p."callId" = ${c}.id AND p."userId" = ${reader.userId}::uuid AND p."isInternal"))`;
}
