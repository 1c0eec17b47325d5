import { refreshDealLinks } from "../../deals/linking.js";
import { builder } from "../builder.js";
import { viewerWorkspace } from "../context.js";

export const CrmProviderEnum = builder.enumType("CrmProvider", { values: ["SALESFORCE", "HUBSPOT"] as const });

export const CrmConnectionType = builder.prismaObject("CrmConnection", {
  description: "The workspace's CRM. Required for automatic call-to-deal linking.",
  fields: (t) => ({
    provider: t.expose("provider", { type: CrmProviderEnum }),
    externalOrgId: t.exposeString("externalOrgId", { nullable: true }),
    connectedAt: t.expose("connectedAt", { type: "DateTime" }),
    connectedBy: t.relation("connectedBy", { nullable: true }),
  }),
});

builder.prismaObjectField("Workspace", "crm", (t) => t.relation("crm", { nullable: true }));

const SetCrmConnectionPayload = builder.simpleObject("SetCrmConnectionPayload", {
  fields: (t) => ({
    callsLinked: t.int({ description: "Calls linked to deals as a result of this connection." }),
  }),
});

builder.mutationField("setCrmConnection", (t) =>
  t.field({
    type: SetCrmConnectionPayload,
    description: "Connects (or switches) the workspace's CRM. Calls waiting for deals are linked at once.",
    authScopes: { admin: true },
    args: {
      provider: t.arg({ type: CrmProviderEnum, required: true }),
      externalOrgId: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const workspaceId = viewerWorkspace(ctx);
      return ctx.prisma.$transaction(async (tx) => {
        const data = {
          provider: args.provider,
          externalOrgId: args.externalOrgId ?? null,
          connectedById: ctx.viewer!.userId,
          connectedAt: new Date(),
        };
        await tx.crmConnection.upsert({ where: { workspaceId }, create: { workspaceId, ...data }, update: data });
        return { callsLinked: await refreshDealLinks(tx, workspaceId) };
      });
    },
  }),
);
