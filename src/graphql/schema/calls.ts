import type { Prisma } from "../../generated/prisma/client.js";
import { visibleCallWhere } from "../../privacy/visibility.js";
import { builder } from "../builder.js";
import { type Context, viewerWorkspace } from "../context.js";
import { checkCursor, cursorOfSameParent } from "../cursors.js";
import { badInput } from "../errors.js";
import { localId } from "../ids.js";

export const CallProviderEnum = builder.enumType("CallProvider", {
  values: ["GONG", "SALESLOFT", "CLARI_COPILOT"] as const,
});
const CallDirectionEnum = builder.enumType("CallDirection", {
  values: ["INBOUND", "OUTBOUND", "CONFERENCE", "UNKNOWN"] as const,
});
const CallReadinessEnum = builder.enumType("CallReadiness", {
  description: "Whether the provider has finished processing the call.",
  values: {
    READY: { description: "Transcript and AI content are in." },
    TRANSCRIPT_PENDING: {
      description: "The provider has not published the transcript yet; checked again on every sync.",
    },
    PROCESSING: { description: "The provider lists the call but is still processing it." },
    FAILED: { description: "The provider failed to process the call; no transcript will come." },
    TRANSCRIPT_GAVE_UP: { description: "The transcript did not arrive within the follow-up window." },
  } as const,
});
const DealLinkStatusEnum = builder.enumType("DealLinkStatus", {
  values: {
    LINKED: { description: "Linked to a deal by CRM id." },
    NO_CRM_CONNECTION: { description: "The workspace has no CRM connected, so calls cannot be linked." },
    NO_CRM_ID: { description: "The provider attached no CRM deal id to this call." },
    NO_MATCHING_DEAL: { description: "The call's CRM id matches no deal yet; it links when the deal arrives." },
    ACCOUNT_ONLY: {
      description:
        "The call's CRM context names an account/company but no deal; it is on the account, no deal is guessed.",
    },
  } as const,
});
const CrmSystemEnum = builder.enumType("CrmSystem", { values: ["SALESFORCE", "HUBSPOT", "OTHER"] as const });

/** Why a call is not on a deal, by status (also spelled out by the hot reads' SQL, hot-reads.ts). */
export const linkReasons: Record<(typeof DealLinkStatusEnum)["$inferType"], string | null> = {
  LINKED: null,
  NO_CRM_CONNECTION: "Connect a CRM (Salesforce or HubSpot) so calls can be linked to deals.",
  NO_CRM_ID: "The recording platform attached no CRM deal to this call.",
  NO_MATCHING_DEAL: "The call names a CRM deal that callsync has not received yet; it will link automatically.",
  ACCOUNT_ONLY: "Account only, no deal id: the recording platform attached the call to an account, not to a deal.",
};

export const CallParticipantType = builder.prismaObject("CallParticipant", {
  select: { id: true },
  fields: (t) => ({
    name: t.exposeString("name", { nullable: true }),
    email: t.exposeString("email", { nullable: true }),
    isInternal: t.exposeBoolean("isInternal"),
    speakerId: t.exposeString("speakerId", { nullable: true, description: "Id used by the transcript." }),
    user: t.relation("user", { nullable: true, description: "The workspace user, for internal participants." }),
  }),
});

export const TranscriptSegmentType = builder.prismaObject("TranscriptSegment", {
  select: { id: true },
  fields: (t) => ({
    position: t.exposeInt("position"),
    startMs: t.exposeInt("startMs", { description: "Offset from the start of the call, in milliseconds." }),
    endMs: t.exposeInt("endMs"),
    text: t.exposeString("text"),
    speaker: t.relation("participant", { nullable: true, description: "The participant who spoke." }),
    call: t.relation("call"),
  }),
});

builder.prismaObject("CallSummary", {
  select: { callId: true },
  fields: (t) => ({
    brief: t.exposeString("brief", { nullable: true }),
    keyPoints: t.exposeStringList("keyPoints"),
  }),
});

builder.prismaObject("ActionItem", {
  select: { id: true },
  fields: (t) => ({
    text: t.exposeString("text"),
    ownerName: t.exposeString("ownerName", { nullable: true }),
    owner: t.relation("ownerParticipant", { nullable: true }),
  }),
});

builder.prismaObject("CallCrmRef", {
  select: { id: true },
  fields: (t) => ({
    system: t.expose("system", { type: CrmSystemEnum }),
    objectType: t.exposeString("objectType"),
    objectId: t.exposeString("objectId"),
  }),
});

const DealLink = builder.simpleObject("DealLink", {
  fields: (t) => ({
    status: t.field({ type: DealLinkStatusEnum }),
    reason: t.string({ nullable: true, description: "Why the call is not on a deal, in words a person can act on." }),
  }),
});

/** The transcript of a call: paginated segments, or the whole text at once for the AI assistant. */
const TranscriptType = builder.prismaObject("Call", {
  variant: "Transcript",
  select: { id: true },
  fields: (t) => ({
    readiness: t.expose("readiness", { type: CallReadinessEnum }),
    segmentCount: t.relationCount("segments"),
    segments: t.relatedConnection("segments", {
      cursor: "id",
      query: (args) => ({
        where: cursorOfSameParent(args, (id) => ({ call: { segments: { some: { id } } } })),
        orderBy: { position: "asc" },
      }),
    }),
    text: t.string({
      description: 'The whole transcript as "Speaker: text" lines, in order.',
      select: {
        segments: {
          orderBy: { position: "asc" },
          select: { text: true, speakerId: true, participant: { select: { name: true, email: true } } },
        },
      },
      resolve: (call) =>
        call.segments
          .map((s) => `${s.participant?.name ?? s.participant?.email ?? s.speakerId ?? "Unknown speaker"}: ${s.text}`)
          .join("\n"),
    }),
  }),
});

export const CallType = builder.prismaNode("Call", {
  id: { field: "id" },
  select: { id: true },
  // A missing, foreign or hidden id resolves node(id) to null (the default, findUniqueOrThrow, would fail).
  nullable: true,
  // Admins may read a hidden call by id, to see why it is hidden.
  findUnique: (id, ctx) => ({ id, AND: [readableCallWhere(ctx)] }),
  fields: (t) => ({
    provider: t.expose("provider", { type: CallProviderEnum }),
    providerCallId: t.exposeString("providerCallId"),
    title: t.exposeString("title", { nullable: true }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true }),
    durationMs: t.exposeInt("durationMs", { nullable: true }),
    direction: t.expose("direction", { type: CallDirectionEnum }),
    providerUrl: t.exposeString("providerUrl", {
      nullable: true,
      description: "Opens the call in the recording platform. callsync never stores audio or video.",
    }),
    readiness: t.expose("readiness", { type: CallReadinessEnum }),
    owner: t.relation("owner", { nullable: true, description: "The workspace user who hosted the call." }),
    ownerProviderUserId: t.exposeString("ownerProviderUserId", { nullable: true }),
    participants: t.relation("participants", { query: { orderBy: { position: "asc" } } }),
    transcript: t.variant(TranscriptType),
    summary: t.relation("summary", { nullable: true }),
    actionItems: t.relation("actionItems", { query: { orderBy: { position: "asc" } } }),
    crmRefs: t.relation("crmRefs", { description: "Every CRM object the provider attached to the call." }),
    dealLink: t.field({
      type: DealLink,
      select: { dealLinkStatus: true },
      resolve: (call) => ({ status: call.dealLinkStatus, reason: linkReasons[call.dealLinkStatus] }),
    }),
    purgedAt: t.expose("purgedAt", { type: "DateTime", nullable: true }),
    purgeReason: t.exposeString("purgeReason", {
      nullable: true,
      description: "Why the content was removed (GDPR request, exclusion rule, retention window).",
    }),
    isPrivate: t.exposeBoolean("isPrivate", {
      description: "The provider marks the call private: only its internal participants and admins can read it.",
    }),
    hiddenReason: t.exposeString("hiddenReason", {
      nullable: true,
      description: "Set on calls hidden from members (only admins can read them), saying why.",
    }),
    deletedUpstreamAt: t.expose("deletedUpstreamAt", {
      type: "DateTime",
      nullable: true,
      description:
        "When callsync found the call deleted in the provider (a delete event, a 404 on its detail, or no longer listed by a re-read). Such calls are left out of lists, counts, deal pages and search unless asked for with includeDeletedUpstream; their content stays until purged.",
    }),
  }),
});

/** By id: visible calls (deleted upstream too), and for admins hidden ones too. */
function readableCallWhere(ctx: Context): Prisma.CallWhereInput {
  return ctx.viewer?.role === "ADMIN"
    ? { workspaceId: viewerWorkspace(ctx) }
    : visibleCallWhere(ctx.viewer, { includeDeletedUpstream: true });
}

/** The argument every call list takes to show calls deleted in the provider too. */
export const includeDeletedUpstreamDescription =
  "Also list calls deleted in the provider (Call.deletedUpstreamAt is set on them); left out by default.";

const CallFilter = builder.inputType("CallFilter", {
  fields: (t) => ({
    dealId: t.id({ required: false }),
    unlinked: t.boolean({ required: false, description: "Only calls that are not on a deal." }),
    provider: t.field({ type: CallProviderEnum, required: false }),
    startedAfter: t.field({ type: "DateTime", required: false }),
    startedBefore: t.field({ type: "DateTime", required: false }),
    participantEmail: t.string({ required: false }),
    hidden: t.boolean({
      required: false,
      description: "Admins: only the calls hidden from members (excluded by a rule, private), with hiddenReason.",
    }),
    includeDeletedUpstream: t.boolean({ required: false, description: includeDeletedUpstreamDescription }),
  }),
});

builder.queryFields((t) => ({
  calls: t.prismaConnection({
    type: "Call",
    cursor: "id",
    description: "Calls of the workspace, newest first.",
    args: { filter: t.arg({ type: CallFilter, required: false }) },
    totalCount: (_parent, args, ctx) => ctx.prisma.call.count({ where: callWhere(ctx, args.filter) }),
    resolve: async (query, _root, args, ctx) => {
      const where = callWhere(ctx, args.filter);
      await checkCursor(query, args, (id) =>
        ctx.prisma.call.findFirst({ where: { AND: [where, { id }] }, select: { id: true } }),
      );
      return ctx.prisma.call.findMany({ ...query, where, orderBy: [{ startedAt: "desc" }, { id: "desc" }] });
    },
  }),
  call: t.prismaField({
    type: "Call",
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = localId(String(args.id), "Call");
      return id ? ctx.prisma.call.findFirst({ ...query, where: { id, AND: [readableCallWhere(ctx)] } }) : null;
    },
  }),
}));

type CallFilterInput = (typeof CallFilter)["$inferInput"];

function callWhere(ctx: Context, filter: CallFilterInput | null | undefined): Prisma.CallWhereInput {
  const where: Prisma.CallWhereInput = {
    AND: [
      visibleCallWhere(ctx.viewer, {
        hidden: filter?.hidden ?? false,
        includeDeletedUpstream: filter?.includeDeletedUpstream ?? false,
      }),
    ],
  };
  if (!filter) return where;
  if (filter.dealId) {
    // An id of another type or workspace matches nothing, like an unknown id.
    where.dealLinks = {
      some: { dealId: localId(String(filter.dealId), "Deal") ?? "00000000-0000-0000-0000-000000000000" },
    };
  }
  if (filter.unlinked) where.dealId = null;
  if (filter.provider) where.provider = filter.provider;
  if (filter.startedAfter || filter.startedBefore) {
    if (filter.startedAfter && filter.startedBefore && filter.startedAfter > filter.startedBefore)
      throw badInput("startedAfter must be before startedBefore.", "filter.startedAfter");
    where.startedAt = { gte: filter.startedAfter ?? undefined, lt: filter.startedBefore ?? undefined };
  }
  if (filter.participantEmail) where.participants = { some: { email: filter.participantEmail.trim().toLowerCase() } };
  return where;
}
