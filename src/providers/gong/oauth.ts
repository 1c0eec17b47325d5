/**
 * Gong OAuth 2.0 authorization-code flow.
 *
 * The token endpoint is hand-written rather than driven by oauth4webapi: Gong's guide sends
 * the grant parameters in the query string of the POST (Airbyte pins the refresh to exactly
 * that) with the client authenticated by HTTP Basic, and returns the non-standard
 * `api_base_url_for_customer` that must be kept beside the tokens. oauth4webapi always puts
 * the grant in a form body and insists on https issuers, which the simulator is not.
 *
 * Refresh tokens are single use and rotate: the caller must persist the returned pair before
 * using it. A rejected grant (`invalid_grant`: reused, revoked or expired) means the customer
 * has to reconnect → ProviderError AUTH_FAILED. A refresh is never retried here, because a
 * request that timed out may already have consumed the refresh token.
 */
import { ProviderError } from "../errors.js";
import { describeBody } from "../http.js";
import type { OAuthCredentials, OAuthFlow } from "../types.js";
import { gongOAuthErrorBody, gongTokenResponse } from "./schemas.js";

export const GONG_AUTHORIZE_URL = "https://app.gong.io/oauth2/authorize";
export const GONG_TOKEN_URL = "https://app.gong.io/oauth2/generate-customer-token";

/** What callsync reads; never `api:calls:read:media-url` (callsync does not touch recordings). */
export const GONG_SCOPES = [
  "api:users:read",
  "api:calls:read:basic",
  "api:calls:read:extensive",
  "api:calls:read:transcript",
  "api:workspaces:read",
] as const;

export interface GongOAuthOptions {
  clientId: string;
  clientSecret: string;
  authorizeUrl?: string;
  tokenUrl?: string;
  scopes?: readonly string[];
  /** Checks `api_base_url_for_customer` before it is kept (the outbound guard); throws to refuse it. */
  checkApiBaseUrl?: (url: string) => Promise<void>;
  /** Send PKCE (S256). Gong does not document it (Nango disables it for Gong), so off unless configured. */
  pkce?: boolean;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type AuthorizeErrorKind = "DENIED" | "FORBIDDEN" | "FAILED";

/**
 * Reads the `error`/`error_description` Gong appends to the redirect when no code is issued.
 * Gong documents neither, so this follows OAuth: the person clicked Deny → DENIED; the person
 * may not install apps for the company (not an admin) → FORBIDDEN; anything else → FAILED.
 */
export function classifyAuthorizeError(error: string, description?: string): AuthorizeErrorKind {
  const e = error.trim().toLowerCase();
  if (e === "unauthorized_client" || /permission|admin/i.test(description ?? "")) return "FORBIDDEN";
  if (e === "access_denied") return "DENIED";
  return "FAILED";
}

/** Classifies a non-2xx answer of the token endpoint. */
export function classifyTokenError(status: number, body: unknown, retryAfter: string | null = null): ProviderError {
  const parsed = gongOAuthErrorBody.safeParse(body);
  const oauthError = parsed.success ? parsed.data.error : null;
  const message = describeBody(body);
  if (status === 429) {
    const seconds = Number(retryAfter);
    const retryAt = Date.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 60_000);
    return new ProviderError("RATE_LIMITED", `Gong token endpoint rate limited: ${message}`, { status, retryAt });
  }
  if (status >= 500 || status === 408)
    return new ProviderError("PROVIDER_UNAVAILABLE", `Gong token endpoint failed: ${message}`, { status });
  if (oauthError === "invalid_grant")
    return new ProviderError(
      "AUTH_FAILED",
      "Gong rejected the grant (invalid_grant); the integration must be reconnected",
      {
        status,
      },
    );
  return new ProviderError("AUTH_FAILED", `Gong token endpoint refused the request: ${message}`, { status });
}

export function createGongOAuth(options: GongOAuthOptions): OAuthFlow {
  const authorizeUrl = options.authorizeUrl ?? GONG_AUTHORIZE_URL;
  const tokenUrl = options.tokenUrl ?? GONG_TOKEN_URL;
  const scopes = options.scopes ?? GONG_SCOPES;
  const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`).toString("base64");
  const doFetch = options.fetch ?? fetch;

  async function token(params: Record<string, string>, previousRefresh: string | null): Promise<OAuthCredentials> {
    const url = new URL(tokenUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await doFetch(url, {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, accept: "application/json" },
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (e) {
      if (e instanceof ProviderError) throw e;
      const timeout = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      throw new ProviderError(
        timeout ? "PROVIDER_TIMEOUT" : "PROVIDER_UNAVAILABLE",
        timeout ? "Gong's token endpoint did not answer in time" : "Could not reach Gong's token endpoint",
        { cause: e },
      );
    }
    const raw = await res.text();
    let body: unknown = raw;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : null;
    } catch {
      // keep the text for the message
    }
    if (!res.ok) throw classifyTokenError(res.status, body, res.headers.get("retry-after"));
    const parsed = gongTokenResponse.safeParse(body);
    if (!parsed.success)
      throw new ProviderError("BAD_RESPONSE", `Unexpected token response from Gong: ${parsed.error.message}`, {
        status: res.status,
      });
    const t = parsed.data;
    // The token response names the host that will receive the token: it must be one we allow.
    if (t.api_base_url_for_customer) await options.checkApiBaseUrl?.(t.api_base_url_for_customer);
    return {
      kind: "oauth",
      accessToken: t.access_token,
      refreshToken: t.refresh_token ?? previousRefresh,
      expiresAt: typeof t.expires_in === "number" ? Date.now() + t.expires_in * 1000 : null,
      apiBaseUrl: t.api_base_url_for_customer ?? null,
      scope: t.scope ?? null,
    };
  }

  const pkce = options.pkce ?? false;
  return {
    pkce,
    authorizeUrl({ state, redirectUri, codeChallenge }) {
      const url = new URL(authorizeUrl);
      const params: [string, string][] = [
        ["client_id", options.clientId],
        ["response_type", "code"],
        ["scope", scopes.join(" ")],
        ["redirect_uri", redirectUri],
        ["state", state],
      ];
      if (pkce && codeChallenge) params.push(["code_challenge", codeChallenge], ["code_challenge_method", "S256"]);
      // Gong's guide encodes the scope separator as %20; URLSearchParams would write "+".
      url.search = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
      return url;
    },
    exchangeCode({ code, redirectUri, codeVerifier }) {
      return token(
        {
          grant_type: "authorization_code",
          code,
          client_id: options.clientId,
          redirect_uri: redirectUri,
          ...(pkce && codeVerifier ? { code_verifier: codeVerifier } : {}),
        },
        null,
      );
    },
    refresh(refreshToken) {
      return token({ grant_type: "refresh_token", refresh_token: refreshToken }, refreshToken);
    },
  };
}
