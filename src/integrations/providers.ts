/**
 * One adapter per provider: how it connects (OAuth flow or API key check), how to build its
 * client for an integration, and its pacer (one per provider per process, shared across
 * processes through Redis). The rest of callsync talks to providers only through this.
 */
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import { createClariClient, createClariPacer, verifyClariCredentials } from "../providers/clari/index.js";
import {
  classifyAuthorizeError as classifyGongAuthorizeError,
  createGongClient,
  createGongOAuth,
  createGongPacer,
} from "../providers/gong/index.js";
import { OutboundGuard } from "../providers/outbound-guard.js";
import type { Pacer } from "../providers/pacer.js";
import {
  classifyAuthorizeError as classifySalesloftAuthorizeError,
  createSalesloftClient,
  createSalesloftOAuth,
  createSalesloftPacer,
} from "../providers/salesloft/index.js";
import type {
  CallProviderClient,
  ConnectedAccount,
  CredentialSession,
  OAuthFlow,
  Provider,
} from "../providers/types.js";

export interface ClientContext {
  session: CredentialSession;
  /** Quota key: all integrations of one provider tenant share its quota. */
  paceKey: string;
  onWait?: (reason: "RATE_LIMIT" | "RETRY", untilMs: number) => void;
  /**
   * The integration imports private calls (restricted to participants and admins). Providers that
   * leave private calls out of their listings unless asked (Clari Copilot `includePrivate`) ask.
   */
  includePrivate?: boolean;
  /** A rate-limit wait longer than this surfaces as RATE_LIMITED (the job is rescheduled). */
  maxInlineWaitMs?: number;
  /** Tries per request for transient failures (each client's default when unset). */
  attempts?: number;
  /** The runner's lease: once aborted, the client sends nothing more. */
  signal?: AbortSignal;
}

/** The quota key of an integration: its connected provider account (all integrations of one tenant share it). */
export function paceKeyOf(integration: { id: string; provider: Provider; connectedAccountId: string | null }): string {
  return `${integration.provider}:${integration.connectedAccountId ?? integration.id}`;
}

/** Average provider requests (quota points) an import spends, for estimates (src/sync/eta.ts). */
export interface RequestCost {
  requestsPerCall: number;
  /** Per matched user: its last, partial page (and Gong's transcript request for it). */
  requestsPerUser: number;
}

/**
 * Gong: 2 requests per page of 100 calls (extensive + transcript). Salesloft: a list request per
 * 100, then `/extensive` and at least one page of sentences per conversation. Clari Copilot: a
 * list request per 25, then `/call-details` per call.
 */
export const REQUEST_COST: Record<Provider, RequestCost> = {
  GONG: { requestsPerCall: 2 / 100, requestsPerUser: 2 },
  SALESLOFT: { requestsPerCall: 2 + 1 / 100, requestsPerUser: 1 },
  CLARI_COPILOT: { requestsPerCall: 1 + 1 / 25, requestsPerUser: 1 },
};

interface AdapterBase {
  provider: Provider;
  pacer: Pacer;
  client(ctx: ClientContext): CallProviderClient;
}

export interface OAuthAdapter extends AdapterBase {
  kind: "oauth";
  /** null when the server has no client id/secret for this provider. */
  oauth: OAuthFlow | null;
  classifyAuthorizeError(error: string, description?: string): "DENIED" | "FORBIDDEN" | "FAILED";
}

export interface ApiKeyAdapter extends AdapterBase {
  kind: "apiKey";
  verify(apiKey: string, apiSecret: string): Promise<ConnectedAccount>;
}

export type ProviderAdapter = OAuthAdapter | ApiKeyAdapter;
export type ProviderRegistry = Record<Provider, ProviderAdapter>;

export function createProviderRegistry(
  providers: Config["providers"],
  options: { redis?: Redis | null; maxPacerWaitMs?: number; production?: boolean } = {},
): ProviderRegistry {
  // Every request to a provider goes through its guard (allow-list, https and no internal
  // addresses in production, no redirects): src/providers/outbound-guard.ts.
  const guard = (allowedHosts: string[]) => new OutboundGuard({ production: options.production ?? true, allowedHosts });
  const gongGuard = guard(providers.gong.allowedHosts);
  const salesloftGuard = guard(providers.salesloft.allowedHosts);
  const clariGuard = guard(providers.clari.allowedHosts);
  const pacerOptions = { redis: options.redis ?? null, maxWaitMs: options.maxPacerWaitMs ?? 60_000 };
  const gong = providers.gong;
  const salesloft = providers.salesloft;
  const gongPacer = createGongPacer({ ...pacerOptions, quota: gong.quota ?? undefined });
  const salesloftPacer = createSalesloftPacer(pacerOptions, salesloft.quota ?? undefined);
  const clariPacer = createClariPacer(pacerOptions, providers.clari.quota ?? undefined);
  return {
    GONG: {
      provider: "GONG",
      kind: "oauth",
      pacer: gongPacer,
      oauth:
        gong.clientId && gong.clientSecret
          ? createGongOAuth({
              clientId: gong.clientId,
              clientSecret: gong.clientSecret,
              authorizeUrl: gong.authorizeUrl,
              tokenUrl: gong.tokenUrl,
              pkce: gong.pkce,
              fetch: gongGuard.fetch,
              checkApiBaseUrl: (url) => gongGuard.check(url),
            })
          : null,
      classifyAuthorizeError: classifyGongAuthorizeError,
      // The API base comes with the token (api_base_url_for_customer); the client reads it from the session.
      client: (ctx) => createGongClient({ ...ctx, pacer: gongPacer, fetch: gongGuard.fetch }),
    },
    SALESLOFT: {
      provider: "SALESLOFT",
      kind: "oauth",
      pacer: salesloftPacer,
      oauth:
        salesloft.clientId && salesloft.clientSecret
          ? createSalesloftOAuth({
              clientId: salesloft.clientId,
              clientSecret: salesloft.clientSecret,
              accountsBaseUrl: salesloft.accountsUrl,
              pkce: salesloft.pkce,
              fetch: salesloftGuard.fetch,
            })
          : null,
      classifyAuthorizeError: classifySalesloftAuthorizeError,
      client: (ctx) =>
        createSalesloftClient({
          ...ctx,
          pacer: salesloftPacer,
          apiBaseUrl: salesloft.apiUrl,
          fetch: salesloftGuard.fetch,
        }),
    },
    CLARI_COPILOT: {
      provider: "CLARI_COPILOT",
      kind: "apiKey",
      pacer: clariPacer,
      verify: (apiKey, apiSecret) =>
        verifyClariCredentials({
          apiKey,
          apiSecret,
          baseUrl: providers.clari.apiUrl,
          pacer: clariPacer,
          fetch: clariGuard.fetch,
        }),
      client: (ctx) =>
        createClariClient({ ...ctx, pacer: clariPacer, baseUrl: providers.clari.apiUrl, fetch: clariGuard.fetch }),
    },
  };
}
