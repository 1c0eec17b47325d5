/**
 * GET /oauth/callback/<provider>: where the provider sends the admin's browser after consent.
 * Finishes the exchange and redirects to the configured page with the outcome
 * (`?provider=GONG&outcome=connected` or `&outcome=AUTHORIZATION_CANCELLED` …); the wizard
 * learns the same outcome from its subscription.
 */
import type { CallProvider } from "../generated/prisma/enums.js";
import type { Route } from "../server/app.js";
import { callbackPath, type Wizard } from "./wizard.js";

const PROVIDERS: CallProvider[] = ["GONG", "SALESLOFT"];

export function oauthCallbackRoute(wizard: Wizard, resultUrl: string): Route {
  const paths = new Map(PROVIDERS.map((p) => [callbackPath(p), p]));
  return async (req, res) => {
    if (req.method !== "GET" || !req.url) return false;
    const url = new URL(req.url, "http://localhost");
    const provider = paths.get(url.pathname);
    if (!provider) return false;
    const q = url.searchParams;
    const { outcome, integrationId } = await wizard.completeAuthorization(provider, {
      state: q.get("state"),
      code: q.get("code"),
      error: q.get("error"),
      errorDescription: q.get("error_description"),
    });
    const target = new URL(resultUrl);
    target.searchParams.set("provider", provider);
    target.searchParams.set("outcome", outcome);
    if (integrationId) target.searchParams.set("integrationId", integrationId);
    res.writeHead(302, { location: target.toString(), "cache-control": "no-store" }).end();
    return true;
  };
}
