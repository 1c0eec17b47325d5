/**
 * Shared machinery of the provider simulators: a controllable clock, switchable faults
 * (latency, 5xx bursts, hangs, quotas with 429 + Retry-After), a request log, an OAuth token
 * store with single-use codes and rotating single-use refresh tokens, and a way to serve a
 * Hono app on a free loopback port. Each provider's simulator builds its own routes on top.
 */
import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Context, Hono, MiddlewareHandler } from "hono";

/** Simulated "now" for availability delays; real time plus an offset tests can move. */
export class SimClock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  set(ms: number): void {
    this.offsetMs = ms - Date.now();
  }
}

export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string[]>;
  body: unknown;
  status: number;
  headers: Record<string, string>;
  /** When the answer was ready (ms epoch; 0 while in flight): overlaps show two runners at once. */
  doneAt: number;
  /** The answer was cut off by the `truncateNext` switch. */
  truncated?: boolean;
}

export interface QuotaRule {
  points: number;
  /** seconds */
  duration: number;
}

/** Behaviours every simulator supports; tests flip them at run time. */
export class Behaviours {
  latencyMs = 0;
  /** Statuses to answer the next requests with, one per request (e.g. [500, 503]), optionally only for one path prefix. */
  private failures: { status: number; path?: string; headers?: Record<string, string> }[] = [];
  /** Number of next successful JSON answers to cut off halfway (a truncated body, still 200). */
  truncateNext = 0;
  /** Number of next requests to never answer (client must time out). */
  hangNext = 0;
  /** null disables quota enforcement. Cost per request comes from the simulator. */
  quota: QuotaRule[] | null = null;
  /** Whether a 429 carries Retry-After (Salesloft/Clari's are not documented). */
  sendRetryAfter = true;
  /**
   * Provider users (lowercase emails) whose call listings answer 503 until cleared: an outage
   * that hits one person's data, so a demo can show FAILED users and Retry without code
   * (switched on the simulator's control page, `/_sim`).
   */
  readonly failingUsers = new Set<string>();
  private usage = new Map<string, { windowStart: number; used: number }>();

  /** The next `count` requests (optionally only under `pathPrefix`) answer `status`, with `headers` (e.g. Retry-After). */
  failNext(count: number, status = 500, pathPrefix?: string, headers?: Record<string, string>): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, path: pathPrefix, headers });
  }
  /** Ends an injected outage: pending failures are dropped. */
  clearFailures(): void {
    this.failures = [];
  }
  takeFailure(path = ""): { status: number; headers?: Record<string, string> } | undefined {
    const i = this.failures.findIndex((f) => f.path === undefined || path.startsWith(f.path));
    return i < 0 ? undefined : this.failures.splice(i, 1)[0];
  }
  resetQuota(): void {
    this.usage.clear();
  }
  /** The status to answer a listing of these users' calls with: 503 when one of them is failing. */
  userFailure(emails: (string | null | undefined)[]): 503 | null {
    return emails.some((e) => e && this.failingUsers.has(e.toLowerCase())) ? 503 : null;
  }

  /** Charges `cost` against every quota window; returns seconds to wait when one is exhausted. */
  charge(key: string, cost: number, now = Date.now()): number | null {
    if (!this.quota) return null;
    let retryAfter: number | null = null;
    for (const [i, rule] of this.quota.entries()) {
      const id = `${key}:${i}`;
      const durationMs = rule.duration * 1000;
      let u = this.usage.get(id);
      if (!u || now - u.windowStart >= durationMs) {
        u = { windowStart: now, used: 0 };
        this.usage.set(id, u);
      }
      if (u.used + cost > rule.points) {
        const wait = Math.max(1, Math.ceil((u.windowStart + durationMs - now) / 1000));
        retryAfter = Math.max(retryAfter ?? 0, wait);
      }
    }
    if (retryAfter !== null) return retryAfter;
    for (const [i] of this.quota.entries()) {
      const u = this.usage.get(`${key}:${i}`);
      if (u) u.used += cost;
    }
    return null;
  }
}

export class RequestLog {
  readonly entries: LoggedRequest[] = [];
  clear(): void {
    this.entries.length = 0;
  }
  count(filter?: (r: LoggedRequest) => boolean): number {
    return filter ? this.entries.filter(filter).length : this.entries.length;
  }
  find(filter: (r: LoggedRequest) => boolean): LoggedRequest[] {
    return this.entries.filter(filter);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Middleware: logs every request and applies latency, hangs and injected failures. The
 * failure body is produced by the provider (each has its own error shape).
 */
export function behaviourMiddleware(
  behaviours: Behaviours,
  log: RequestLog,
  failureBody: (status: number) => unknown,
): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) query[k] = [...(query[k] ?? []), v];
    let body: unknown = null;
    const type = c.req.header("content-type") ?? "";
    if (c.req.method !== "GET") {
      const raw = await c.req.raw.clone().text();
      if (type.includes("json")) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      } else if (type.includes("form")) body = Object.fromEntries(new URLSearchParams(raw));
      else body = raw || null;
    }
    const entry: LoggedRequest = {
      at: Date.now(),
      method: c.req.method,
      path: url.pathname,
      query,
      body,
      status: 0,
      headers: Object.fromEntries(Object.entries(c.req.header()).map(([k, v]) => [k.toLowerCase(), v])),
      doneAt: 0,
    };
    log.entries.push(entry);
    if (behaviours.latencyMs > 0) await sleep(behaviours.latencyMs);
    if (behaviours.hangNext > 0) {
      behaviours.hangNext--;
      await sleep(120_000);
    }
    const failure = behaviours.takeFailure(url.pathname);
    if (failure !== undefined) {
      entry.status = failure.status;
      entry.doneAt = Date.now();
      for (const [k, v] of Object.entries(failure.headers ?? {})) c.header(k, v);
      return c.json(failureBody(failure.status) as object, failure.status as 500);
    }
    await next();
    entry.status = c.res.status;
    if (behaviours.truncateNext > 0 && c.res.ok && (c.res.headers.get("content-type") ?? "").includes("json")) {
      behaviours.truncateNext--;
      entry.truncated = true;
      const text = await c.res.text();
      const headers = new Headers(c.res.headers);
      headers.delete("content-length");
      c.res = new Response(text.slice(0, Math.floor(text.length / 2)), { status: c.res.status, headers });
    }
    entry.doneAt = Date.now();
  };
}

/** Answers 429 when the quota is exhausted; `cost` lets a provider charge some requests more. */
export function quotaResponse(
  c: Context,
  behaviours: Behaviours,
  key: string,
  cost: number,
  body: unknown,
): Response | null {
  const wait = behaviours.charge(key, cost);
  if (wait === null) return null;
  if (behaviours.sendRetryAfter) c.header("Retry-After", String(wait));
  return c.json(body as object, 429);
}

export type ConsentOutcome = "approve" | "deny" | "forbidden";

export interface OAuthGrant {
  accountId: string;
  scope: string;
  /** Person who approved, for "connected by". */
  userEmail: string;
}

interface TokenEntry extends OAuthGrant {
  expiresAt: number;
}

export interface OAuthTokenSnapshot {
  access: [string, TokenEntry][];
  refresh: [string, OAuthGrant & { used: boolean }][];
}

/**
 * The provider side of OAuth: single-use codes valid 10 minutes, access tokens with a
 * lifetime, refresh tokens that rotate and are single use (reuse → invalid_grant).
 */
export class OAuthTokenStore {
  accessTokenTtlSeconds = 86_400;
  codeTtlMs = 10 * 60_000;
  /**
   * What the person does on the next visit to the authorize page: approve, deny (clicks
   * "Deny": error=access_denied) or lacks permission to install apps (error=unauthorized_client).
   * Reset to "approve" after one use.
   */
  nextConsent: ConsentOutcome = "approve";
  /**
   * true: the authorize page asks (Allow / Deny, and an account without permission to authorize
   * apps), as `npm start`'s simulators do; false: it answers at once with `nextConsent` (tests).
   */
  consentPage = false;
  /** Email of the person who approves, for "connected by". */
  consentingUser = "admin@customer.test";

  /** The redirect the authorize page sends the browser to, per `nextConsent`. */
  consentRedirect(params: {
    redirectUri: string;
    state: string;
    clientId: string;
    grant: Omit<OAuthGrant, "userEmail">;
    /** PKCE (RFC 7636): when the request carries a challenge, redeeming the code needs its verifier. */
    codeChallenge?: string | null;
    codeChallengeMethod?: string | null;
    /** What the person chose on the consent page; without it, `nextConsent`. */
    outcome?: ConsentOutcome;
  }): URL {
    const url = new URL(params.redirectUri);
    const outcome = params.outcome ?? this.nextConsent;
    if (!params.outcome) this.nextConsent = "approve";
    if (params.codeChallenge && (params.codeChallengeMethod ?? "plain") !== "S256") {
      // Like most providers, only S256: a "plain" challenge would put the verifier in the URL.
      url.searchParams.set("error", "invalid_request");
      url.searchParams.set("error_description", "code_challenge_method must be S256");
    } else if (outcome === "deny") {
      url.searchParams.set("error", "access_denied");
      url.searchParams.set("error_description", "The user denied access");
    } else if (outcome === "forbidden") {
      url.searchParams.set("error", "unauthorized_client");
      url.searchParams.set("error_description", "You do not have permission to authorize third-party apps");
    } else {
      url.searchParams.set(
        "code",
        this.issueCode(
          { ...params.grant, userEmail: this.consentingUser },
          params.clientId,
          params.redirectUri,
          params.codeChallenge ?? null,
        ),
      );
    }
    url.searchParams.set("state", params.state);
    return url;
  }
  /** Called after tokens are issued or a refresh token is used, so a demo can persist them. */
  onChange: (() => void) | null = null;

  /** The issued tokens, for keeping them across restarts (`npm start`'s data directory). */
  snapshot(): OAuthTokenSnapshot {
    return { access: [...this.access], refresh: [...this.refreshTokens] };
  }

  restoreSnapshot(snapshot: OAuthTokenSnapshot): void {
    this.access = new Map(snapshot.access);
    this.refreshTokens = new Map(snapshot.refresh);
  }

  private codes = new Map<
    string,
    OAuthGrant & { redirectUri: string; expiresAt: number; clientId: string; codeChallenge: string | null }
  >();
  private access = new Map<string, TokenEntry>();
  private refreshTokens = new Map<string, OAuthGrant & { used: boolean }>();
  private revoked = false;

  issueCode(grant: OAuthGrant, clientId: string, redirectUri: string, codeChallenge: string | null = null): string {
    const code = randomBytes(16).toString("hex");
    this.codes.set(code, { ...grant, clientId, redirectUri, codeChallenge, expiresAt: Date.now() + this.codeTtlMs });
    return code;
  }

  /** Returns the grant, or an OAuth error code. A code issued with a PKCE challenge needs its verifier. */
  redeemCode(
    code: string,
    clientId: string,
    redirectUri: string | undefined,
    codeVerifier?: string,
  ): OAuthGrant | "invalid_grant" {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAt < Date.now() || entry.clientId !== clientId) return "invalid_grant";
    if (redirectUri !== undefined && redirectUri !== entry.redirectUri) return "invalid_grant";
    if (entry.codeChallenge !== null) {
      const derived = codeVerifier ? createHash("sha256").update(codeVerifier).digest("base64url") : null;
      if (derived !== entry.codeChallenge) return "invalid_grant";
    }
    return entry;
  }

  redeemRefresh(token: string): OAuthGrant | "invalid_grant" {
    const entry = this.refreshTokens.get(token);
    if (!entry || entry.used || this.revoked) return "invalid_grant";
    entry.used = true;
    this.onChange?.();
    return entry;
  }

  issueTokens(grant: OAuthGrant): { accessToken: string; refreshToken: string; expiresIn: number } {
    const accessToken = `at_${randomBytes(18).toString("hex")}`;
    const refreshToken = `rt_${randomBytes(18).toString("hex")}`;
    this.access.set(accessToken, { ...grant, expiresAt: Date.now() + this.accessTokenTtlSeconds * 1000 });
    this.refreshTokens.set(refreshToken, { ...grant, used: false });
    this.onChange?.();
    return { accessToken, refreshToken, expiresIn: this.accessTokenTtlSeconds };
  }

  /** The grant behind a bearer token, or why it is refused. */
  check(authorization: string | undefined): TokenEntry | "missing" | "expired" | "revoked" | "invalid" {
    if (!authorization?.startsWith("Bearer ")) return "missing";
    const entry = this.access.get(authorization.slice(7));
    if (!entry) return "invalid";
    if (this.revoked) return "revoked";
    if (entry.expiresAt <= Date.now()) return "expired";
    return entry;
  }

  /** Every outstanding access token expires now (the client must refresh). */
  expireAccessTokens(): void {
    for (const entry of this.access.values()) entry.expiresAt = 0;
  }
  /** The customer revoked the app: every token and refresh token stops working. */
  revokeAll(): void {
    this.revoked = true;
  }
  restore(): void {
    this.revoked = false;
  }
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `app` on 127.0.0.1 (port 0 = a free one). */
export async function listen(app: Hono, port = 0): Promise<RunningServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            if ("closeAllConnections" in server) server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
