/**
 * Privacy settings (admins): private-call handling and exclusion rules per integration, the
 * retention window per workspace. Each change applies to calls already stored, through the purge
 * path with audit (src/privacy/settings.ts); the read side is src/privacy/visibility.ts.
 */
import { MAX_EXCLUSION_RULES, setExclusionRules, setPrivateCalls, setRetention } from "../../privacy/settings.js";
import { builder } from "../builder.js";
import { viewerWorkspace } from "../context.js";
import { notFound } from "../errors.js";
import { localId } from "../ids.js";
import { bounded } from "../limits.js";
import { IntegrationType, PrivateCallHandlingEnum } from "./integrations.js";
import { WorkspaceType } from "./viewer.js";

const ExclusionRuleKindEnum = builder.enumType("ExclusionRuleKind", {
  values: {
    PARTICIPANT_DOMAIN: { description: "A participant's email is at this domain or a subdomain (acme.com)." },
    TITLE_KEYWORD: { description: "The title contains this text, case-insensitive (2 to 100 characters)." },
    OWNER_EMAIL: { description: "The call's owner has this email." },
  } as const,
});

builder.prismaObject("ExclusionRule", {
  description: "Calls matching the rule are not imported; stored ones are purged and hidden from members.",
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.expose("kind", { type: ExclusionRuleKindEnum }),
    value: t.exposeString("value"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const ExclusionRuleInput = builder.inputType("ExclusionRuleInput", {
  fields: (t) => ({
    kind: t.field({ type: ExclusionRuleKindEnum, required: true }),
    value: t.string({ required: true }),
  }),
});

builder.prismaObjectFields(IntegrationType, (t) => ({
  privateCalls: t.expose("privateCalls", { type: PrivateCallHandlingEnum }),
  exclusionRules: t.relation("exclusionRules", {
    authScopes: { admin: true },
    query: { orderBy: { createdAt: "asc" } },
  }),
}));

builder.prismaObjectField(WorkspaceType, "retentionDays", (t) =>
  t.exposeInt("retentionDays", {
    nullable: true,
    description:
      "Calls older than this many days lose transcripts, summaries, action items and participants; null keeps them.",
  }),
);

const PrivacyChangePayload = builder.simpleObject("PrivacyChangePayload", {
  fields: (t) => ({
    callsPurged: t.int({ description: "Stored calls whose content this change purged (each purge is audited)." }),
  }),
});

const admin = { authScopes: { admin: true } } as const;

builder.mutationFields((t) => ({
  setPrivateCallHandling: t.field({
    ...admin,
    type: PrivacyChangePayload,
    description:
      "SKIP purges and hides the private calls already stored; PARTICIPANTS_AND_ADMINS imports them from the next sync on (it re-reads the backfill window).",
    args: {
      integrationId: t.arg.id({ required: true }),
      handling: t.arg({ type: PrivateCallHandlingEnum, required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const id = localId(String(args.integrationId), "Integration");
      if (!id) throw notFound("integration");
      return setPrivateCalls(
        ctx.prisma,
        { workspaceId: viewerWorkspace(ctx), actorId: ctx.viewer!.userId, integrationId: id },
        args.handling,
      );
    },
  }),
  setExclusionRules: t.field({
    ...admin,
    type: PrivacyChangePayload,
    description: `Replaces the integration's exclusion rules (at most ${MAX_EXCLUSION_RULES}). Stored calls a rule matches are purged and hidden; removing a rule does not restore purged content.`,
    args: {
      integrationId: t.arg.id({ required: true }),
      rules: t.arg({
        type: [ExclusionRuleInput],
        required: true,
        ...bounded(MAX_EXCLUSION_RULES, "The complete new list of rules."),
      }),
    },
    resolve: async (_root, args, ctx) => {
      const id = localId(String(args.integrationId), "Integration");
      if (!id) throw notFound("integration");
      return setExclusionRules(
        ctx.prisma,
        { workspaceId: viewerWorkspace(ctx), actorId: ctx.viewer!.userId, integrationId: id },
        args.rules,
      );
    },
  }),
  setRetentionWindow: t.field({
    ...admin,
    type: PrivacyChangePayload,
    description:
      "Calls older than `days` lose their content now and daily from then on, and are not imported again; null keeps calls forever.",
    args: { days: t.arg.int({ required: false }) },
    resolve: (_root, args, ctx) =>
      setRetention(ctx.prisma, { workspaceId: viewerWorkspace(ctx), actorId: ctx.viewer!.userId }, args.days ?? null),
  }),
}));
