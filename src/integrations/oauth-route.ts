/**
 * The browser side of the OAuth flow, bound to the browser that started it (RFC 9700 §4.7):
 *
 * - POST /oauth/start/<provider>?state=…: `connectIntegration`'s authorization URL. The client
 *   posts it with the admin's `Authorization` header (same origin: the response sets a cookie);
 *   only the admin who created the state can start it, once. The answer is
 *   `{ "location": <provider URL> }` with a short-lived HttpOnly, SameSite=Lax cookie (Secure in
 *   production) holding a PKCE verifier; the client then navigates there. A forwarded link is
 *   useless: opening it (GET, a plain navigation carries no bearer token) or posting it with
 *   anyone else's token is refused as AUTHORIZATION_SESSION_EXPIRED and leaves the state
 *   usable by its admin.
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
import type { Viewer } from "../graphql/context.js";
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
  /** Who an `Authorization` header speaks for (the API's own token check). */
  viewerOf: (authorization: string | undefined) => Promise<Viewer | null>;
}

export function oauthRoutes(wizard: Wizard, options: OAuthRouteOptions): Route {
  const starts = new Map(PROVIDERS.map((p) => [startPath(p), p]));
  const callbacks = new Map(PROVIDERS.map((p) => [callbackPath(p), p]));

  const resultUrl = (provider: CallProvider, outcome: "connected" | ErrorCode, integrationId: string | null = null) => {
    const target = new URL(options.resultUrl);
    target.searchParams.set("provider", provider);
    target.searchParams.set("outcome", outcome);
    if (integrationId) target.searchParams.set("integrationId", integrationId);
    return target.toString();
  };

  const toResult = (
    res: ServerResponse,
    provider: CallProvider,
    outcome: "connected" | ErrorCode,
    integrationId: string | null,
    setCookie?: string,
  ) => {
    const location = resultUrl(provider, outcome, integrationId);
    res.writeHead(302, { location, ...NO_LEAK, ...(setCookie ? { "set-cookie": setCookie } : {}) }).end();
  };

  const json = (res: ServerResponse, status: number, body: unknown, setCookie?: string) => {
    res
      .writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        ...NO_LEAK,
        ...(setCookie ? { "set-cookie": setCookie } : {}),
      })
      .end(JSON.stringify(body));
  };

  return async (req, res) => {
    if (!req.url) return false;
    const url = new URL(req.url, "http://localhost");
    const q = url.searchParams;
    const state = q.get("state");

    const startFor = starts.get(url.pathname);
    if (startFor) {
      if (req.method === "GET") {
        // A navigation carries no bearer token: whoever opened this link is not known to be the
        // admin who asked for it (a forwarded link). The state stays usable by that admin.
        toResult(res, startFor, "AUTHORIZATION_SESSION_EXPIRED", null);
        return true;
      }
      if (req.method !== "POST") return false;
      const viewer = await options.viewerOf(req.headers.authorization);
      if (!viewer) {
        json(res, 401, { code: "UNAUTHENTICATED", message: "Sign in as the admin who started connecting." });
        return true;
      }
      const started =
        state && viewer.role === "ADMIN" ? await wizard.beginAuthorization(startFor, state, viewer.userId) : null;
      if (!started || !state) {
        json(res, 403, {
          code: "AUTHORIZATION_SESSION_EXPIRED",
          location: resultUrl(startFor, "AUTHORIZATION_SESSION_EXPIRED"),
        });
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
      json(res, 200, { location: started.providerUrl }, cookie);
      return true;
    }

    if (req.method !== "GET") return false;
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
