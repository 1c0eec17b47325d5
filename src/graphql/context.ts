import type { Db } from "../db/client.js";
import type { PubSub } from "../events/pubsub.js";
import type { Role } from "../generated/prisma/enums.js";
import type { BackfillEstimates } from "../integrations/backfill-estimate.js";
import type { ProviderRegistry } from "../integrations/providers.js";
import type { Wizard } from "../integrations/wizard.js";
import type { Logger } from "../logger.js";
import type { WebhookEndpoints } from "../webhooks/endpoints.js";

export interface Viewer {
  userId: string;
  workspaceId: string;
  role: Role;
  email: string;
}

/** Services the resolvers use, built once per process. */
export interface Services {
  prisma: Db;
  log: Logger;
  pubsub: PubSub;
  wizard: Wizard;
  providers: ProviderRegistry;
  webhooks: WebhookEndpoints;
  backfillEstimates: BackfillEstimates;
}

export interface Context extends Services {
  viewer: Viewer | null;
  /** When the viewer's bearer token expires (ms epoch); long-lived subscriptions end then (subscription-auth.ts). */
  tokenExpiresAt: number | null;
  requestId: string;
}

const NO_WORKSPACE = "00000000-0000-0000-0000-000000000000";

/**
 * The viewer's workspace id, the filter every read and write carries. Without a viewer it is
 * an id no row has, so a resolver reached without auth can never read anything.
 */
export function viewerWorkspace(ctx: Pick<Context, "viewer">): string {
  return ctx.viewer?.workspaceId ?? NO_WORKSPACE;
}
