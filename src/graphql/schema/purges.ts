import { builder } from "../builder.js";
import { viewerWorkspace } from "../context.js";
import { badInput } from "../errors.js";

const PurgeScopeEnum = builder.enumType("PurgeScope", {
  values: {
    INTEGRATION: { description: "Every call of an integration, on request." },
    PERSON: { description: "Every call a person took part in, on request." },
    EXCLUSION_RULE: { description: "Stored calls an exclusion rule matched." },
    PRIVATE_CALLS: { description: "Private calls, after the integration stopped importing them." },
    RETENTION: { description: "Calls older than the workspace's retention window (daily job)." },
  } as const,
});

builder.prismaObject("PurgeAudit", {
  name: "PurgeRecord",
  description: "One purge of call data: who purged what and when. Never the purged content, nor the person's email.",
  fields: (t) => ({
    id: t.exposeID("id"),
    scope: t.expose("scope", { type: PurgeScopeEnum }),
    purgedAt: t.expose("createdAt", { type: "DateTime" }),
    purgedBy: t.relation("actor", { nullable: true }),
    callsAffected: t.exposeInt("callsAffected"),
    reason: t.exposeString("reason", { nullable: true, description: "The rule or policy that caused the purge." }),
  }),
});

builder.queryField("personPurges", (t) =>
  t.prismaField({
    type: ["PurgeAudit"],
    authScopes: { admin: true },
    description:
      "Was this address purged? The purges of every call the person (by email, case-insensitive) took part in, newest first; empty when never purged.",
    args: { email: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      if (!/^[^@\s]+@[^@\s]+$/.test(args.email.trim())) throw badInput("email must be an email address.", "email");
      return ctx.wizard.personPurges(viewerWorkspace(ctx), args.email, query);
    },
  }),
);
