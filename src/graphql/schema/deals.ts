import { prismaConnectionHelpers } from "@pothos/plugin-prisma";
import { z } from "zod";
import { refreshDealLinks } from "../../deals/linking.js";
import type { Call, Prisma } from "../../generated/prisma/client.js";
import { visibleCallWhere } from "../../privacy/visibility.js";
import { builder } from "../builder.js";
import { type Context, viewerWorkspace } from "../context.js";
import { checkCursor } from "../cursors.js";
import { localId } from "../ids.js";
import { bounded } from "../limits.js";
import { literalPattern, parseInput } from "../validation.js";
import { CallType, includeDeletedUpstreamDescription } from "./calls.js";
import { CrmProviderEnum } from "./crm.js";

const CallLinkReasonEnum = builder.enumType("CallLinkReason", {
  values: {
    CRM_ID: { description: "The call's CRM context names this deal's or account's CRM id." },
    VIA_DEAL: { description: "The call is on one of this account's deals." },
  } as const,
});

/**
 * A deal's or an account's latest calls: link rows ordered by their copy of the call's start time
 * (an index scan). The helper's type takes one orderBy object; Prisma takes the list.
 */
const newestCallsFirst = <T>() => [{ callStartedAt: "desc" }, { callId: "desc" }] as unknown as T;

/** Deal.calls / Account.calls arguments beyond paging. */
type CallListArgs = { includeDeletedUpstream?: boolean | null };
const callListWhere = (args: object, ctx: Context) =>
  visibleCallWhere(ctx.viewer, { includeDeletedUpstream: (args as CallListArgs).includeDeletedUpstream ?? false });

const dealCalls = prismaConnectionHelpers(builder, "CallDealLink", {
  cursor: "callId_dealId",
  query: (args, ctx) => ({
    where: { call: callListWhere(args, ctx) },
    orderBy: newestCallsFirst<Prisma.CallDealLinkOrderByWithRelationInput>(),
  }),
  select: (nodeSelection) => ({ reason: true, linkedAt: true, call: nodeSelection({ select: { id: true } }) }),
  // The call's fields are selected by the Call type's own selections (nodeSelection).
  resolveNode: (link) => link.call as Call,
});

/** What linkConnectionSelect loads on a deal: the page of link rows, and their count when asked. */
type DealLinksLoaded = { callLinks: Parameters<typeof dealCalls.resolve>[0]; _count?: { callLinks: number } };

const accountCalls = prismaConnectionHelpers(builder, "CallAccountLink", {
  cursor: "callId_accountId",
  query: (args, ctx) => ({
    where: { call: callListWhere(args, ctx) },
    orderBy: newestCallsFirst<Prisma.CallAccountLinkOrderByWithRelationInput>(),
  }),
  select: (nodeSelection) => ({ reason: true, linkedAt: true, call: nodeSelection({ select: { id: true } }) }),
  // The call's fields are selected by the Call type's own selections (nodeSelection).
  resolveNode: (link) => link.call as Call,
});

/**
 * A connection over link rows whose `_count` is selected only when the document asks for
 * totalCount: counting a deal's visible calls costs PostgreSQL more than reading its latest five,
 * and the deal list asks for no count. The `select` option of a field does not say which subfields
 * are asked for; the planner hands the selection function that as a fourth argument (the plugin's
 * own relatedConnection reads it), so the function is given to the planner directly, as the field's
 * `pothosPrismaSelect` extension (@pothos/plugin-prisma 4.17, pinned).
 */
function linkConnectionSelect(relation: "callLinks", query: (args: object, ctx: Context, nested: unknown) => object) {
  return {
    pothosPrismaSelect: (args: object, ctx: Context, nested: unknown, selectedFields: () => ReadonlySet<string>) => ({
      select: {
        ...(selectedFields().has("totalCount")
          ? { _count: { select: { [relation]: { where: { call: callListWhere(args, ctx) } } } } }
          : {}),
        [relation]: query(args, ctx, nested),
      },
    }),
  };
}

export const AccountType = builder.prismaNode("Account", {
  id: { field: "id" },
  select: { id: true },
  // A missing or foreign id resolves node(id) to null (the default, findUniqueOrThrow, would fail).
  nullable: true,
  findUnique: (id, ctx) => ({ id, workspaceId: viewerWorkspace(ctx) }),
  fields: (t) => ({
    crmProvider: t.expose("crmProvider", { type: CrmProviderEnum }),
    crmId: t.exposeString("crmId", { description: "Salesforce Account id or HubSpot company id." }),
    name: t.exposeString("name"),
    domain: t.exposeString("domain", { nullable: true }),
    deals: t.relation("deals", { query: { orderBy: { updatedAt: "desc" } } }),
    calls: t.connection(
      {
        type: CallType,
        args: {
          includeDeletedUpstream: t.arg.boolean({ required: false, description: includeDeletedUpstreamDescription }),
        },
        description:
          "Calls on this account, newest first: those whose CRM context names it (including calls that name no deal) and those on its deals.",
        select: (args, ctx, nestedSelection) => ({
          _count: { select: { callLinks: { where: { call: callListWhere(args, ctx) } } } },
          callLinks: accountCalls.getQuery(args, ctx, nestedSelection),
        }),
        resolve: (account, args, ctx) => ({
          ...accountCalls.resolve(account.callLinks, args, ctx),
          totalCount: account._count.callLinks,
        }),
      },
      { name: "AccountCallsConnection", fields: (c) => ({ totalCount: c.int({ resolve: (r) => r.totalCount }) }) },
      {
        name: "AccountCallsConnectionEdge",
        fields: (edge) => ({
          reason: edge.field({
            type: CallLinkReasonEnum,
            description: "Why the call is here.",
            resolve: (l) => l.reason,
          }),
          linkedAt: edge.field({ type: "DateTime", resolve: (l) => l.linkedAt }),
        }),
      },
    ),
  }),
});

export const DealType = builder.prismaNode("Deal", {
  id: { field: "id" },
  select: { id: true },
  // A missing or foreign id resolves node(id) to null (the default, findUniqueOrThrow, would fail).
  nullable: true,
  findUnique: (id, ctx) => ({ id, workspaceId: viewerWorkspace(ctx) }),
  fields: (t) => ({
    crmProvider: t.expose("crmProvider", { type: CrmProviderEnum }),
    crmId: t.exposeString("crmId", { description: "Salesforce Opportunity id or HubSpot deal id." }),
    name: t.exposeString("name"),
    stage: t.exposeString("stage", { nullable: true }),
    amount: t.string({
      nullable: true,
      description: "Decimal amount as a string, so no precision is lost.",
      select: { amount: true },
      resolve: (deal) => deal.amount?.toFixed(2) ?? null,
    }),
    currency: t.exposeString("currency", { nullable: true }),
    closeDate: t.expose("closeDate", { type: "Date", nullable: true }),
    ownerEmail: t.exposeString("ownerEmail", { nullable: true }),
    ownerName: t.exposeString("ownerName", { nullable: true }),
    account: t.relation("account", { nullable: true }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    calls: t.connection(
      {
        type: CallType,
        args: {
          includeDeletedUpstream: t.arg.boolean({ required: false, description: includeDeletedUpstreamDescription }),
        },
        description:
          "Calls on this deal, newest first. A call whose CRM context names several deals is on each of them.",
        extensions: linkConnectionSelect("callLinks", (args, ctx, nested) =>
          dealCalls.getQuery(args as never, ctx, nested as never),
        ),
        resolve: (deal, args, ctx) => {
          const loaded = deal as unknown as DealLinksLoaded;
          return {
            ...dealCalls.resolve(loaded.callLinks, args, ctx),
            totalCount: loaded._count?.callLinks ?? 0,
          };
        },
      },
      { name: "DealCallsConnection", fields: (c) => ({ totalCount: c.int({ resolve: (r) => r.totalCount }) }) },
      {
        name: "DealCallsConnectionEdge",
        fields: (edge) => ({
          reason: edge.field({
            type: CallLinkReasonEnum,
            description: "Why the call is here.",
            resolve: (l) => l.reason,
          }),
          linkedAt: edge.field({ type: "DateTime", resolve: (l) => l.linkedAt }),
        }),
      },
    ),
  }),
});

builder.prismaObject("CallDealLink", {
  select: { callId: true, dealId: true },
  description: "A call on a deal, and why.",
  fields: (t) => ({
    deal: t.relation("deal"),
    reason: t.expose("reason", { type: CallLinkReasonEnum }),
    objectType: t.exposeString("objectType", { description: "The CRM object type that matched (Opportunity, Deal)." }),
    linkedAt: t.expose("linkedAt", { type: "DateTime" }),
  }),
});

builder.prismaObjectFields("Call", (t) => ({
  deal: t.relation("deal", {
    nullable: true,
    description:
      "The call's primary deal: the first deal it was linked to while that link holds, otherwise the most recently updated of its deals. `deals` lists every deal the call is on.",
  }),
  deals: t.field({
    type: [DealType],
    description: "Every deal whose CRM id the call's CRM context names, most recently updated first.",
    select: (_args, _ctx, nestedSelection) => ({
      dealLinks: { orderBy: [{ deal: { updatedAt: "desc" } }, { dealId: "asc" }], select: { deal: nestedSelection() } },
    }),
    resolve: (call) => call.dealLinks.map((l) => l.deal),
  }),
  dealLinks: t.relation("dealLinks", {
    description: "The call's deal links with their reason and time.",
    query: { orderBy: [{ linkedAt: "asc" }, { dealId: "asc" }] },
  }),
}));

const DealSortField = builder.enumType("DealSortField", {
  values: ["UPDATED_AT", "CLOSE_DATE", "AMOUNT", "NAME"] as const,
});
const SortDirection = builder.enumType("SortDirection", { values: ["ASC", "DESC"] as const });

const DealFilter = builder.inputType("DealFilter", {
  fields: (t) => ({
    stage: t.string({ required: false, description: "Exact stage name." }),
    ownerEmail: t.string({ required: false }),
    text: t.string({ required: false, description: "Matches deal or account name, case-insensitive." }),
  }),
});

const DealOrder = builder.inputType("DealOrder", {
  fields: (t) => ({
    field: t.field({ type: DealSortField, required: true }),
    direction: t.field({ type: SortDirection, required: false, defaultValue: "DESC" }),
  }),
});

const sortColumn = {
  UPDATED_AT: "updatedAt",
  CLOSE_DATE: "closeDate",
  AMOUNT: "amount",
  NAME: "name",
} as const satisfies Record<(typeof DealSortField)["$inferType"], keyof Prisma.DealOrderByWithRelationInput>;

builder.queryFields((t) => ({
  deals: t.prismaConnection({
    type: "Deal",
    cursor: "id",
    totalCount: (_parent, args, ctx) => ctx.prisma.deal.count({ where: dealWhere(viewerWorkspace(ctx), args.filter) }),
    args: {
      filter: t.arg({ type: DealFilter, required: false }),
      orderBy: t.arg({ type: DealOrder, required: false }),
    },
    resolve: async (query, _root, args, ctx) => {
      const where = dealWhere(viewerWorkspace(ctx), args.filter);
      await checkCursor(query, args, (id) =>
        ctx.prisma.deal.findFirst({ where: { AND: [where, { id }] }, select: { id: true } }),
      );
      const direction = args.orderBy?.direction === "ASC" ? "asc" : "desc";
      const column = sortColumn[args.orderBy?.field ?? "UPDATED_AT"];
      return ctx.prisma.deal.findMany({
        ...query,
        where,
        // Nullable columns sort their nulls last in both directions.
        orderBy: [
          { [column]: column === "closeDate" || column === "amount" ? { sort: direction, nulls: "last" } : direction },
          { id: direction },
        ],
      });
    },
  }),
  deal: t.prismaField({
    type: "Deal",
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = localId(String(args.id), "Deal");
      return id ? ctx.prisma.deal.findFirst({ ...query, where: { id, workspaceId: viewerWorkspace(ctx) } }) : null;
    },
  }),
}));

function dealWhere(
  workspaceId: string,
  filter: { stage?: string | null; ownerEmail?: string | null; text?: string | null } | null | undefined,
): Prisma.DealWhereInput {
  const where: Prisma.DealWhereInput = { workspaceId };
  if (filter?.stage) where.stage = filter.stage;
  if (filter?.ownerEmail) where.ownerEmail = { equals: literalPattern(filter.ownerEmail), mode: "insensitive" };
  if (filter?.text) {
    const text = literalPattern(filter.text);
    where.OR = [
      { name: { contains: text, mode: "insensitive" } },
      { account: { name: { contains: text, mode: "insensitive" } } },
    ];
  }
  return where;
}

// --- Write side: what a CRM sync calls -----------------------------------------------------

const dealInput = z.object({
  crmProvider: z.enum(["SALESFORCE", "HUBSPOT"]),
  crmId: z.string().trim().min(1, "crmId must not be empty").max(64),
  name: z.string().trim().min(1, "name must not be empty").max(500),
  stage: z.string().trim().max(200).nullish(),
  amount: z
    .string()
    .regex(/^-?\d{1,16}(\.\d{1,2})?$/, "amount must be a decimal number with at most 2 decimals")
    .nullish(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, "currency must be an ISO 4217 code such as USD")
    .nullish(),
  closeDate: z.date().nullish(),
  ownerEmail: z.email("ownerEmail must be an email address").nullish(),
  ownerName: z.string().max(200).nullish(),
  account: z
    .object({
      crmId: z.string().trim().min(1).max(64),
      name: z.string().trim().min(1).max(500),
      domain: z.string().max(253).nullish(),
    })
    .nullish(),
});

const AccountInput = builder.inputType("AccountInput", {
  fields: (t) => ({
    crmId: t.string({ required: true, description: "Salesforce Account id / HubSpot company id." }),
    name: t.string({ required: true }),
    domain: t.string({ required: false }),
  }),
});

const DealInput = builder.inputType("DealInput", {
  fields: (t) => ({
    crmProvider: t.field({ type: CrmProviderEnum, required: true }),
    crmId: t.string({ required: true, description: "Salesforce Opportunity id / HubSpot deal id." }),
    name: t.string({ required: true }),
    stage: t.string({ required: false }),
    amount: t.string({ required: false, description: 'Decimal as a string, e.g. "12500.00".' }),
    currency: t.string({ required: false }),
    closeDate: t.field({ type: "Date", required: false }),
    ownerEmail: t.string({ required: false }),
    ownerName: t.string({ required: false }),
    account: t.field({ type: AccountInput, required: false }),
  }),
});

const UpsertDealsPayload = builder.simpleObject("UpsertDealsPayload", {
  fields: (t) => ({
    created: t.int(),
    updated: t.int(),
    callsLinked: t.int({ description: "Calls that were waiting for these deals and are now linked." }),
  }),
});

builder.mutationField("upsertDeals", (t) =>
  t.field({
    type: UpsertDealsPayload,
    description: "Creates or updates deals (and their accounts) by CRM id, then links waiting calls.",
    authScopes: { admin: true },
    args: { deals: t.arg({ type: [DealInput], required: true, ...bounded(500, "The deals to create or update.") }) },
    resolve: async (_root, args, ctx) => {
      const deals = args.deals.map((d, i) => parseInput(dealInput, d, `deals[${i}]`));
      const workspaceId = viewerWorkspace(ctx);
      return ctx.prisma.$transaction(async (tx) => {
        let created = 0;
        for (const d of deals) {
          const account = d.account
            ? await tx.account.upsert({
                where: {
                  workspaceId_crmProvider_crmId: { workspaceId, crmProvider: d.crmProvider, crmId: d.account.crmId },
                },
                create: { workspaceId, crmProvider: d.crmProvider, ...d.account },
                update: { name: d.account.name, domain: d.account.domain ?? null },
              })
            : null;
          const fields = {
            name: d.name,
            stage: d.stage ?? null,
            amount: d.amount ?? null,
            currency: d.currency ?? null,
            closeDate: d.closeDate ?? null,
            ownerEmail: d.ownerEmail?.toLowerCase() ?? null,
            ownerName: d.ownerName ?? null,
            accountId: account?.id ?? null,
          };
          const before = await tx.deal.findUnique({
            where: { workspaceId_crmProvider_crmId: { workspaceId, crmProvider: d.crmProvider, crmId: d.crmId } },
            select: { id: true },
          });
          await tx.deal.upsert({
            where: { workspaceId_crmProvider_crmId: { workspaceId, crmProvider: d.crmProvider, crmId: d.crmId } },
            create: { workspaceId, crmProvider: d.crmProvider, crmId: d.crmId, ...fields },
            update: fields,
          });
          if (!before) created++;
        }
        const callsLinked = await refreshDealLinks(tx, workspaceId);
        return { created, updated: deals.length - created, callsLinked };
      });
    },
  }),
);
