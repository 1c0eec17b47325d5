/**
 * Salesloft OAuth 2.0 authorization-code flow. The token endpoint is a standard (Doorkeeper)
 * one that accepts the client credentials in a form body, so oauth4webapi drives it with
 * client_secret_post. Scopes are fixed at app registration and are not sent. Refresh tokens
 * rotate: every refresh returns a new one and the old one stops working (`invalid_grant`).
 */
import * as oauth from "oauth4webapi";
import { ProviderError } from "../errors.js";
import type { OAuthCredentials, OAuthFlow } from "../types.js";

export const SALESLOFT_AUTHORIZE_URL = "https://accounts.salesloft.com/oauth/authorize";
export const SALESLOFT_TOKEN_URL = "https://accounts.salesloft.com/oauth/token";

export interface SalesloftOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** Origin of the accounts host (default https://accounts.salesloft.com; the simulator's URL in tests). */
  accountsBaseUrl?: string;
  authorizeUrl?: string;
  tokenUrl?: string;
  /** Send PKCE (S256); on by default (Doorkeeper checks it when sent, and ignores nothing it was given). */
  pkce?: boolean;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** For computing `expiresAt`; tests may pin it. */
  now?: () => number;
}

/** How an error on the OAuth redirect should be told to the user. */
export function classifyAuthorizeError(error: string, description?: string): "DENIED" | "FORBIDDEN" | "FAILED" {
  const e = error.toLowerCase();
  const d = (description ?? "").toLowerCase();
  if (e === "unauthorized_client" || /permission|admin|not allowed|not authorized/.test(d)) return "FORBIDDEN";
  if (e === "access_denied") return "DENIED";
  return "FAILED";
}

export function createSalesloftOAuth(options: SalesloftOAuthOptions): OAuthFlow {
  const accounts = options.accountsBaseUrl?.replace(/\/+$/, "");
  const authorizeUrl = options.authorizeUrl ?? (accounts ? `${accounts}/oauth/authorize` : SALESLOFT_AUTHORIZE_URL);
  const tokenUrl = options.tokenUrl ?? (accounts ? `${accounts}/oauth/token` : SALESLOFT_TOKEN_URL);
  const now = options.now ?? Date.now;
  const as: oauth.AuthorizationServer = {
    issuer: new URL(tokenUrl).origin,
    authorization_endpoint: authorizeUrl,
    token_endpoint: tokenUrl,
  };
  const client: oauth.Client = { client_id: options.clientId };
  const auth = oauth.ClientSecretPost(options.clientSecret);
  const requestOptions = () => ({
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    [oauth.allowInsecureRequests]: tokenUrl.startsWith("http://"),
    ...(options.fetch ? { [oauth.customFetch]: options.fetch } : {}),
  });

  const toCredentials = (t: oauth.TokenEndpointResponse, previousRefresh: string | null): OAuthCredentials => ({
    kind: "oauth",
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? previousRefresh,
    expiresAt: typeof t.expires_in === "number" ? now() + t.expires_in * 1000 : null,
    apiBaseUrl: null,
    scope: typeof t.scope === "string" ? t.scope : null,
  });

  const pkce = options.pkce ?? true;
  return {
    pkce,
    authorizeUrl({ state, redirectUri, codeChallenge }) {
      const url = new URL(authorizeUrl);
      url.searchParams.set("client_id", options.clientId);
      url.searchParams.set("redirect_uri", redirectUri);
      url.searchParams.set("response_type", "code");
      url.searchParams.set("state", state);
      if (pkce && codeChallenge) {
        url.searchParams.set("code_challenge", codeChallenge);
        url.searchParams.set("code_challenge_method", "S256");
      }
      return url;
    },
    async exchangeCode({ code, redirectUri, codeVerifier }) {
      return guard(async () => {
        // callsync's callback route has already checked `state`.
        const params = oauth.validateAuthResponse(as, client, new URLSearchParams({ code }), oauth.skipStateCheck);
        const res = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          auth,
          params,
          redirectUri,
          pkce && codeVerifier ? codeVerifier : oauth.nopkce,
          requestOptions(),
        );
        return toCredentials(await oauth.processAuthorizationCodeResponse(as, client, res), null);
      });
    },
    async refresh(refreshToken) {
      return guard(async () => {
        const res = await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, requestOptions());
        return toCredentials(await oauth.processRefreshTokenResponse(as, client, res), refreshToken);
      });
    },
  };
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw classifyTokenError(e);
  }
}

/** Token-endpoint failures → ProviderError. `invalid_grant` (used/revoked refresh token, bad code) means reconnect. */
export function classifyTokenError(e: unknown): ProviderError {
  if (e instanceof ProviderError) return e;
  if (e instanceof oauth.ResponseBodyError) {
    const message = `Salesloft token endpoint: ${e.error}${e.error_description ? ` (${e.error_description})` : ""}`;
    if (e.status >= 500) return new ProviderError("PROVIDER_UNAVAILABLE", message, { status: e.status, cause: e });
    if (e.error === "invalid_grant") return new ProviderError("AUTH_FAILED", message, { status: e.status, cause: e });
    // Our app's own id/secret rejected: reconnecting would not help, the deployment must be fixed.
    if (e.error === "invalid_client" || e.error === "unauthorized_client")
      return new ProviderError("BAD_REQUEST", message, { status: e.status, cause: e });
    if (e.status === 401) return new ProviderError("AUTH_FAILED", message, { status: e.status, cause: e });
    return new ProviderError("BAD_REQUEST", message, { status: e.status, cause: e });
  }
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError"))
    return new ProviderError("PROVIDER_TIMEOUT", "Salesloft did not answer in time", { cause: e });
  const response = e instanceof Error && e.cause instanceof Response ? e.cause : null;
  if (response) {
    const status = response.status;
    if (status === 429 || status >= 500)
      return new ProviderError("PROVIDER_UNAVAILABLE", `Salesloft token endpoint answered ${status}`, {
        status,
        cause: e,
      });
    return new ProviderError("BAD_RESPONSE", `Salesloft token endpoint answered ${status}`, { status, cause: e });
  }
  if (e instanceof TypeError)
    return new ProviderError("PROVIDER_UNAVAILABLE", "Could not reach Salesloft", { cause: e });
  return new ProviderError("BAD_RESPONSE", e instanceof Error ? e.message : String(e), { cause: e });
}
