/**
 * CORS for the GraphQL endpoint (HTTP and SSE): only the origins in CORS_ORIGINS get CORS
 * headers, credentials included; any other origin gets none, so the browser withholds the
 * answer. Yoga's own option is used as a per-request factory because its static forms reflect
 * any origin (no list, or `*`), answer `null` to a stranger (which sandboxed frames match), or
 * send a lone configured origin to everyone.
 *
 * graphql-ws needs no CORS: browsers do not apply it to WebSockets, and callsync authenticates
 * sockets by the bearer token in connectionParams, never by cookies, so a foreign page that
 * opens one has no credentials to ride on.
 */
import type { CORSOptions } from "graphql-yoga";

export function corsFor(allowed: readonly string[]): (request: Request) => CORSOptions {
  const origins = new Set(allowed);
  return (request) => {
    const origin = request.headers.get("origin");
    if (!origin || !origins.has(origin)) return false;
    return {
      origin: [origin],
      credentials: true,
      methods: ["GET", "POST", "OPTIONS"],
      allowedHeaders: ["authorization", "content-type", "accept", "x-request-id"],
      maxAge: 600,
    };
  };
}
