/**
 * Security headers on every answer the server gives: GraphQL, errors, /health, /ready, the OAuth
 * start and callback redirects, the metrics listener, the example app and GraphiQL.
 *
 * - Everything that is not a page (JSON, SSE, redirects, errors) gets `default-src 'none'`: a
 *   response opened in a browser runs nothing and loads nothing; `frame-ancestors 'none'` (and
 *   X-Frame-Options for old browsers) keeps every answer out of other sites' frames.
 * - The example app (src/server/web.ts) sets its own, narrower-than-default page policy.
 * - GraphiQL (development only) is served from the installed @graphql-yoga/render-graphiql —
 *   scripts, styles and editor workers inlined, no CDN, so it works offline — with a policy of
 *   its own: its inline scripts allowed by their SHA-256 hashes, computed from the page actually
 *   rendered, never `'unsafe-inline'` for scripts, and nothing loaded from another host.
 * - `nosniff` everywhere; `Referrer-Policy: no-referrer` (URLs carry OAuth states and, for the
 *   example app, a token on arrival); HSTS when the public URL is https.
 */
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { GraphiQLOptions, Plugin } from "graphql-yoga";

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function securityHeaders(options: { https: boolean }): Record<string, string> {
  return {
    "content-security-policy": API_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    ...(options.https ? { "strict-transport-security": "max-age=31536000; includeSubDomains" } : {}),
  };
}

/** Sets the defaults before any route answers; a route may replace one (writeHead wins). */
export function applySecurityHeaders(headers: Record<string, string>) {
  return (res: ServerResponse) => {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  };
}

const inlineScriptHashes = (html: string) =>
  [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash("sha256").update(m[1]!).digest("base64")}'`,
  );

function graphiqlCsp(html: string): string {
  return [
    "default-src 'none'",
    `script-src ${inlineScriptHashes(html).join(" ")}`,
    // Monaco (the editor) sets style attributes and injects <style> elements.
    "style-src 'unsafe-inline'",
    "font-src data:",
    "img-src 'self' data:",
    // Queries and subscriptions to this server; the editor's workers run from blob: URLs.
    "connect-src 'self' ws: wss:",
    "worker-src blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

/**
 * Yoga's GraphiQL page with its own CSP: `render` for createYoga's `renderGraphiQL`, `plugin`
 * to put the policy on the page's response (the only text/html answer Yoga gives).
 */
export function graphiqlWithCsp(): { render: (options: GraphiQLOptions) => Promise<string>; plugin: Plugin } {
  let csp = graphiqlCsp("");
  return {
    async render(options) {
      // ~9 MB of inlined assets: loaded on the first visit only, never in production.
      const { renderGraphiQL } = await import("@graphql-yoga/render-graphiql");
      const html = renderGraphiQL(options);
      csp = graphiqlCsp(html);
      return html;
    },
    plugin: {
      onResponse({ response }) {
        if (response.headers.get("content-type")?.startsWith("text/html"))
          response.headers.set("content-security-policy", csp);
      },
    },
  };
}
