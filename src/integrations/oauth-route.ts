/**
 * The browser side of the OAuth flow, bound to the browser that started it (RFC 9700 §4.7):
 *
 * - GET /oauth/start/<provider>?state=…: where `connectIntegration`'s authorization URL points.
 *   The first browser to open a state gets a short-lived HttpOnly, SameSite=Lax cookie (Secure
 *   in production) holding a PKCE verifier, and is sent on to the provider with the verifier's
 *   S256 challenge. Opening the same link again (another browser, a forwarded link) is refused.
 * - GET /oauth/callback/<provider>: where the provider sends the browser after consent. Without
 *   the cookie of its state it is AUTHORIZATION_SESSION_EXPIRED and changes nothing; with it the
 *   exchange finishes (the verifier also goes to the provider as PKCE), the cookie is cleared,
 *   and the browser goes to the configured result page with the outcome
 *   (`?provider=GONG&outcome=connected` or `&outcome=AUTHORIZATION_CANCELLED` …); the wizard
 *   learns the same outcome from its subscription.
 *
 * Both answers carry `Referrer-Policy: no-referrer`: the state and the code in their URLs never
 * travel on in a Referer header.
 */
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { parseCookie, stringifySetCookie } from "cookie";
import type { ErrorCode } from "../errors.js";
import type { CallProvider } from "../generated/prisma/enums.js";
import type { Route } from "../server/app.js";
import { callbackPath, startPath, type Wizard } from "./wizard.js";

const PROVIDERS: CallProvider[] = ["GONG", "SALESLOFT"];

const NO_LEAK = { "cache-control": "no-store", "referrer-policy": "no-referrer" } as const;

/** One cookie per pending state, so two flows in one browser (Gong and Salesloft) do not collide. */
const cookieName = (state: string) =>
  `callsync_oauth_${createHash("sha256").update(state).digest("base64url").slice(0, 16)}`;

export interface OAuthRouteOptions {
  resultUrl: string;
  /** Secure cookies: production, where PUBLIC_URL is https. */
  secureCookies: boolean;
}

export function oauthRoutes(wizard: Wizard, options: OAuthRouteOptions): Route {
  const starts = new Map(PROVIDERS.map((p) => [startPath(p), p]));
  const callbacks = new Map(PROVIDERS.map((p) => [callbackPath(p), p]));

  const toResult = (
    res: ServerResponse,
    provider: CallProvider,
    outcome: "connected" | ErrorCode,
    integrationId: string | null,
    setCookie?: string,
  ) => {
    const target = new URL(options.resultUrl);
    target.searchParams.set("provider", provider);
    target.searchParams.set("outcome", outcome);
    if (integrationId) target.searchParams.set("integrationId", integrationId);
    res
      .writeHead(302, { location: target.toString(), ...NO_LEAK, ...(setCookie ? { "set-cookie": setCookie } : {}) })
      .end();
  };

  return async (req, res) => {
    if (req.method !== "GET" || !req.url) return false;
    const url = new URL(req.url, "http://localhost");
    const q = url.searchParams;
    const state = q.get("state");

    const startFor = starts.get(url.pathname);
    if (startFor) {
      const started = await wizard.beginAuthorization(startFor, state);
      if (!started || !state) {
        toResult(res, startFor, "AUTHORIZATION_SESSION_EXPIRED", null);
        return true;
      }
      const cookie = stringifySetCookie({
        name: cookieName(state),
        value: started.codeVerifier,
        httpOnly: true,
        sameSite: "lax",
        secure: options.secureCookies,
        path: callbackPath(startFor),
        maxAge: Math.max(1, Math.floor((started.expiresAt.getTime() - Date.now()) / 1000)),
      });
      res.writeHead(302, { location: started.providerUrl, ...NO_LEAK, "set-cookie": cookie }).end();
      return true;
    }

    const provider = callbacks.get(url.pathname);
    if (!provider) return false;
    const name = state ? cookieName(state) : null;
    const codeVerifier = name ? (parseCookie(req.headers.cookie ?? "")[name] ?? null) : null;
    const { outcome, integrationId } = await wizard.completeAuthorization(provider, {
      state,
      code: q.get("code"),
      error: q.get("error"),
      errorDescription: q.get("error_description"),
      codeVerifier,
    });
    // The binding is spent either way; a browser without it keeps whatever it had.
    const clear =
      name && codeVerifier
        ? stringifySetCookie({
            name,
            value: "",
            httpOnly: true,
            sameSite: "lax",
            secure: options.secureCookies,
            path: callbackPath(provider),
            maxAge: 0,
          })
        : undefined;
    toResult(res, provider, outcome, integrationId, clear);
    return true;
  };
}
