/**
 * Who may scrape /metrics. The metrics name operations, job types, queue sizes and timings: an
 * outsider learns the API's shape and load from them, so they are not public in production.
 *
 * - `METRICS_PORT` set: /metrics is served only by its own listener on METRICS_HOST:METRICS_PORT
 *   (default host 127.0.0.1, for a sidecar or node-local scraper); the API port answers 404.
 * - otherwise on the API port: with `METRICS_TOKEN`, only to `Authorization: Bearer <token>`
 *   (401 without it); without a token, open in development and test, not served (404) in production.
 * - `METRICS_TOKEN` applies on the own listener too when both are set.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { bearer } from "../auth/tokens.js";
import type { Config } from "../config.js";

export const METRICS_PATH = "/metrics";

type MetricsConfig = Config["metrics"];

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Constant-time comparison of the presented bearer value with the configured token. */
function authorized(req: IncomingMessage, token: string): boolean {
  const presented = bearer(req.headers.authorization ?? null);
  return presented !== null && timingSafeEqual(digest(presented), digest(token));
}

async function answer(req: IncomingMessage, res: ServerResponse, registry: Registry, token: string | null) {
  if (token && !authorized(req, token)) {
    res.writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Bearer realm="metrics"' }).end();
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" }).end(body);
}

const isMetrics = (req: IncomingMessage) =>
  (req.method === "GET" || req.method === "HEAD") &&
  new URL(req.url ?? "/", "http://localhost").pathname === METRICS_PATH;

/**
 * The API port's handling of /metrics: true when it answered (metrics or 401/404), false when the
 * request is not for /metrics.
 */
export function apiPortMetrics(config: MetricsConfig, registry: Registry) {
  const onApiPort = config.port === null && (config.token !== null || config.public);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (new URL(req.url ?? "/", "http://localhost").pathname !== METRICS_PATH) return false;
    if (!onApiPort || !isMetrics(req)) {
      res.writeHead(404, { "content-type": "text/plain" }).end();
      return true;
    }
    await answer(req, res, registry, config.token);
    return true;
  };
}

/** The own metrics listener when METRICS_PORT is set, else null. */
export function metricsServer(
  config: MetricsConfig,
  registry: Registry,
  headers: (res: ServerResponse) => void,
): Server | null {
  if (config.port === null) return null;
  return createServer((req, res) => {
    headers(res);
    if (!isMetrics(req)) {
      res.writeHead(404, { "content-type": "text/plain" }).end();
      return;
    }
    answer(req, res, registry, config.token).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}
