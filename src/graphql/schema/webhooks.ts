/**
 * Webhook endpoints in the API (admins only): the URL and secret to paste into the provider,
 * with setup instructions, and the mutations that create/rotate them and set Gong's public key.
 */
import { DomainError } from "../../errors.js";
import { WebhookError } from "../../webhooks/endpoints.js";
import { builder } from "../builder.js";
import { badInput } from "../errors.js";
import { ownIntegration } from "./integrations.js";

const admin = { authScopes: { admin: true } } as const;

const WebhookType = builder.simpleObject("IntegrationWebhook", {
  description: "Where the provider pushes new and changed calls, so they arrive within seconds of the provider.",
  fields: (t) => ({
    url: t.string({
      description:
        "Paste into the provider. Unguessable: keep it secret (it authenticates Gong deliveries without a key).",
    }),
    secret: t.string({
      nullable: true,
      description: "Salesloft: the callback_token deliveries are signed with. Null for Gong.",
    }),
    publicKeyConfigured: t.boolean({
      description: "Gong: a public key is set, so every delivery must carry Gong's signed JWT.",
    }),
    rotatedAt: t.field({ type: "DateTime" }),
    setupInstructions: t.string(),
  }),
});

builder.prismaObjectField("Integration", "webhook", (t) =>
  t.field({
    ...admin,
    type: WebhookType,
    nullable: true,
    description: "The integration's webhook endpoint (admins); null until enableWebhook.",
    select: { id: true, provider: true },
    resolve: (i, _args, ctx) => ctx.webhooks.view(i.id, i.provider),
  }),
);

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof WebhookError)
      throw e.code === "WEBHOOK_PUBLIC_KEY_INVALID"
        ? badInput(e.message, "publicKey")
        : new DomainError("CONFLICT", e.message);
    throw e;
  }
}

builder.mutationFields((t) => ({
  enableWebhook: t.prismaField({
    ...admin,
    type: "Integration",
    description:
      "Creates the integration's webhook endpoint, or replaces its URL and secret (the old ones stop working at once).",
    args: { integrationId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const integration = await ownIntegration(ctx, args.integrationId);
      await guarded(() => ctx.webhooks.rotate(integration.id, integration.provider));
      return ctx.prisma.integration.findUniqueOrThrow({ ...query, where: { id: integration.id } });
    },
  }),
  setWebhookPublicKey: t.prismaField({
    ...admin,
    type: "Integration",
    description:
      "Gong: the public key shown for the webhook rule (PEM). Set, every delivery must carry a JWT it verifies; null removes it.",
    args: { integrationId: t.arg.id({ required: true }), publicKey: t.arg.string({ required: false }) },
    resolve: async (query, _root, args, ctx) => {
      const integration = await ownIntegration(ctx, args.integrationId);
      if (integration.provider !== "GONG")
        throw new DomainError("CONFLICT", "Only Gong webhooks are signed with a public key.");
      const exists = await ctx.prisma.webhookEndpoint.count({ where: { integrationId: integration.id } });
      if (!exists) throw new DomainError("CONFLICT", "Enable the webhook first (enableWebhook).");
      if ((args.publicKey?.length ?? 0) > 10_000) throw badInput("The public key is too long.", "publicKey");
      await guarded(() => ctx.webhooks.setPublicKey(integration.id, args.publicKey ?? null));
      return ctx.prisma.integration.findUniqueOrThrow({ ...query, where: { id: integration.id } });
    },
  }),
}));
