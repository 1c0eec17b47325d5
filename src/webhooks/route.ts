/**
 * POST /webhooks/<token>: a provider's delivery for one integration.
 *
 * Order of checks, each answering before the next costs anything: the URL (404), the
 * integration's rate limit (429 with Retry-After), the size (413, the body is not read past the
 * limit), the provider's signature (401) and payload shape (400), then the delivery table: a
 * body already accepted (a replay, a provider retry) answers 200 `DUPLICATE` and imports
 * nothing. A new delivery is recorded and its call queued for import (job sync:webhook-calls,
 * through the same store as a sync), answered 202 `QUEUED`; a Gong test delivery 200 `TEST`.
 * Answers are JSON `{status}` or `{code, message}` with a stable code.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Db } from "../db/client.js";
import type { Logger } from "../logger.js";
import type { Route } from "../server/app.js";
import { TOKEN_PATTERN, tokenHash, WEBHOOK_PATH_PREFIX, type WebhookEndpoints } from "./endpoints.js";
import { type VerifyResult, verifyGong, verifySalesloft } from "./verify.js";

export interface WebhookRouteOptions {
  prisma: Db;
  endpoints: WebhookEndpoints;
  log: Logger;
  /** Queues the import of announced calls (job sync:webhook-calls). */
  enqueue(integrationId: string, providerCallIds: string[]): Promise<void>;
  ratePerMinute: number;
  maxBytes: number;
  redis?: Redis | null;
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>, headers = {}): true {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
  return true;
}

class TooLarge extends Error {}

/** The raw body, or TooLarge once it passes `max` (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > max) return reject(new TooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners("data");
        req.resume();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export function webhookRoute(options: WebhookRouteOptions): Route {
  const { prisma, endpoints, log } = options;
  const limiterOptions = { points: options.ratePerMinute, duration: 60, keyPrefix: "callsync:webhook" };
  const memory = new RateLimiterMemory(limiterOptions);
  // Shared by every API process when Redis is configured; this process's memory while it is away.
  const limiter = options.redis
    ? new RateLimiterRedis({ ...limiterOptions, storeClient: options.redis, insuranceLimiter: memory })
    : memory;

  return async (req, res) => {
    if (!req.url?.startsWith(WEBHOOK_PATH_PREFIX)) return false;
    const path = new URL(req.url, "http://localhost").pathname;
    const token = path.slice(WEBHOOK_PATH_PREFIX.length);
    if (req.method !== "POST")
      return answer(res, 405, { code: "METHOD_NOT_ALLOWED", message: "Webhooks are POSTed." }, { allow: "POST" });
    const endpoint = TOKEN_PATTERN.test(token)
      ? await prisma.webhookEndpoint.findUnique({
          where: { tokenHash: tokenHash(token) },
          select: {
            sealed: true,
            publicKey: true,
            integration: { select: { id: true, provider: true, status: true } },
          },
        })
      : null;
    if (!endpoint) return answer(res, 404, { code: "WEBHOOK_NOT_FOUND", message: "No webhook at this URL." });
    const { integration } = endpoint;

    try {
      await limiter.consume(integration.id);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      const seconds = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      return answer(
        res,
        429,
        { code: "WEBHOOK_RATE_LIMITED", message: `Too many deliveries; retry in ${seconds} s.` },
        { "retry-after": String(seconds) },
      );
    }

    let body: Buffer;
    try {
      body = await readBody(req, options.maxBytes);
    } catch (e) {
      if (e instanceof TooLarge)
        return answer(
          res,
          413,
          { code: "WEBHOOK_TOO_LARGE", message: `Deliveries are at most ${options.maxBytes} bytes.` },
          { connection: "close" },
        );
      throw e;
    }

    const { secret } = endpoints.open(integration.id, endpoint.sealed);
    let verified: VerifyResult;
    if (integration.provider === "GONG")
      verified = await verifyGong({
        body,
        authorization: header(req, "authorization"),
        publicKey: endpoint.publicKey,
        path,
      });
    else if (integration.provider === "SALESLOFT")
      verified = verifySalesloft({
        body,
        event: header(req, "x-salesloft-event"),
        signature: header(req, "x-salesloft-signature"),
        secret,
      });
    else return answer(res, 404, { code: "WEBHOOK_NOT_FOUND", message: "No webhook at this URL." });

    if (!verified.ok) {
      log.warn({ integrationId: integration.id, code: verified.failure.code }, "webhook delivery refused");
      return answer(res, verified.failure.status, { code: verified.failure.code, message: verified.failure.message });
    }
    const event = verified.value;
    if (event.kind === "TEST") return answer(res, 200, { status: "TEST" });
    if (event.kind === "IGNORED") return answer(res, 200, { status: "IGNORED", reason: event.reason });
    if (integration.status !== "CONNECTED")
      return answer(res, 409, { code: "NOT_CONNECTED", message: "The integration is not connected." });

    const bodyHash = createHash("sha256").update(body).digest("base64url");
    try {
      await prisma.webhookDelivery.create({
        data: { integrationId: integration.id, bodyHash, providerCallIds: event.providerCallIds },
      });
    } catch (e) {
      if ((e as { code?: string }).code === "P2002") return answer(res, 200, { status: "DUPLICATE" });
      throw e;
    }
    try {
      await options.enqueue(integration.id, event.providerCallIds);
    } catch (e) {
      // Not queued: forget the delivery so the provider's retry is taken, and ask for one.
      await prisma.webhookDelivery.deleteMany({ where: { integrationId: integration.id, bodyHash } });
      log.error({ integrationId: integration.id, err: e }, "webhook import could not be queued");
      return answer(res, 503, { code: "UNAVAILABLE", message: "Try again shortly." }, { "retry-after": "15" });
    }
    log.info({ integrationId: integration.id, calls: event.providerCallIds.length }, "webhook delivery queued");
    return answer(res, 202, { status: "QUEUED" });
  };
}
