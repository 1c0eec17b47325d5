/**
 * The one way provider clients talk HTTP: pacing to the shared quota, a timeout per request,
 * classification of every failure into a ProviderError, one token refresh on an auth failure,
 * retries with backoff for transient failures and short rate limits, and zod parsing of the
 * answer. Long rate limits are not slept through here: they surface as RATE_LIMITED with
 * `retryAt`, so the sync engine can reschedule and tell the user.
 */
import pRetry, { AbortError } from "p-retry";
import type { z } from "zod";
import { classifyStatus, ProviderError } from "./errors.js";
import { type Pacer, PacerWaitTooLong, sleep } from "./pacer.js";
import type { CredentialSession, ProviderCredentials } from "./types.js";

export interface HttpResponseInfo {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body was JSON, else the text (or null when empty). */
  body: unknown;
}

/**
 * Provider-specific reading of a non-2xx answer. Return "empty" when the status means
 * "no results" (Gong's 404 "No calls found"), a ProviderError to fail, or null to fall
 * back to the shared status classification.
 */
export type Classifier = (res: HttpResponseInfo) => ProviderError | "empty" | null;

export interface HttpClientOptions {
  pacer: Pacer;
  /** Quota key: the connected provider account (all integrations of one tenant share it). */
  paceKey: string;
  session?: CredentialSession;
  /** Builds the auth headers from the current credentials. */
  authorize?: (credentials: ProviderCredentials) => Record<string, string>;
  classify?: Classifier;
  timeoutMs?: number;
  /** Attempts for transient failures. */
  attempts?: number;
  /** 429s one request waits out inline before surfacing RATE_LIMITED (the job is rescheduled then). */
  rateLimitRetries?: number;
  /** All retries of one request end after this long (ms), whatever is left of the attempts. */
  maxRetryTimeMs?: number;
  /** A rate limit longer than this is surfaced instead of waited for. */
  maxInlineWaitMs?: number;
  /**
   * Used when a 429 carries no Retry-After and no inline retry is left; inline, such 429s back
   * off exponentially from 1 s instead.
   */
  defaultRetryAfterMs?: number;
  /** Called before each pause, with the reason and when it ends. */
  onWait?: (reason: "RATE_LIMIT" | "RETRY", untilMs: number) => void;
  /**
   * The caller's lease (the job's runner lost it: another runner took the user over): once
   * aborted, nothing more is sent, a wait or a request in flight ends, and the request rejects
   * with the signal's reason.
   */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export interface JsonRequest<S extends z.ZodType> {
  method: "GET" | "POST";
  url: string | URL;
  query?: Record<string, string | number | boolean | string[] | undefined>;
  /** JSON body for POST. */
  json?: unknown;
  headers?: Record<string, string>;
  /** Quota points this request costs (Salesloft charges deep pages more). */
  cost?: number;
  schema: S;
}

/** Backoff for the n-th (0-based) 429 without Retry-After: 1 s doubling to 30 s, with jitter. */
export function guessedRetryAfterMs(n: number): number {
  const base = Math.min(30_000, 1_000 * 2 ** n);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export class ProviderHttp {
  constructor(private readonly options: HttpClientOptions) {}

  async json<S extends z.ZodType>(req: JsonRequest<S>): Promise<z.infer<S> | null> {
    const attempts = this.options.attempts ?? 4;
    const rateLimitRetries = this.options.rateLimitRetries ?? 6;
    const { signal } = this.options;
    let refreshed = false;
    let limited = 0;
    return pRetry(
      async () => {
        try {
          return await this.once(req);
        } catch (e) {
          // The lease is gone: whatever failed, nothing is asked again.
          if (signal?.aborted) throw new AbortError(signal.reason as Error);
          // The shared pacer's wait is longer than this request may wait: no attempt was sent, and
          // asking again now would wait the same.
          if (e instanceof PacerWaitTooLong) throw new AbortError(e);
          if (!(e instanceof ProviderError)) throw e;
          if (e.kind === "RECONNECT_NEEDED" && e.code === "AUTH_FAILED" && !refreshed && this.canRefresh()) {
            refreshed = true;
            await this.refresh();
            throw e; // retried with the new token
          }
          if (e.kind === "RATE_LIMITED") {
            const until = e.details.retryAtGuessed
              ? Date.now() + guessedRetryAfterMs(limited)
              : (e.details.retryAt ?? Date.now());
            limited++;
            await this.options.pacer.block(this.options.paceKey, until);
            if (limited > rateLimitRetries || until - Date.now() > (this.options.maxInlineWaitMs ?? 30_000))
              throw new AbortError(e);
            this.options.onWait?.("RATE_LIMIT", until);
            await sleep(Math.max(0, until - Date.now()), signal).catch((cause: unknown) => {
              throw new AbortError(cause as Error);
            });
            throw e;
          }
          // An expired pagination cursor stays expired: hand it to the caller to restart, no retry.
          if (e.kind === "TRANSIENT" && e.code !== "CURSOR_EXPIRED") throw e;
          throw new AbortError(e);
        }
      },
      {
        retries: attempts - 1,
        maxRetryTime: this.options.maxRetryTimeMs ?? 5 * 60_000,
        minTimeout: 250,
        factor: 2,
        maxTimeout: 5_000,
        randomize: true,
        shouldConsumeRetry: ({ error }) => !(error instanceof ProviderError && error.kind === "RATE_LIMITED"),
        ...(signal ? { signal } : {}),
        onFailedAttempt: ({ error, retriesLeft }) => {
          if (retriesLeft > 0 && error instanceof ProviderError && error.kind === "TRANSIENT")
            this.options.onWait?.("RETRY", Date.now());
        },
      },
    ).catch((e: unknown) => {
      // p-retry wraps AbortError's cause back; normalise what leaves this module.
      if (e instanceof PacerWaitTooLong)
        throw e.reason === "QUOTA"
          ? new ProviderError("QUOTA_EXHAUSTED", "Provider quota exhausted", { retryAt: e.untilMs })
          : new ProviderError("RATE_LIMITED", "Provider rate limit: next send slot too far away", {
              retryAt: e.untilMs,
            });
      throw e;
    });
  }

  private canRefresh(): boolean {
    return this.options.session !== undefined;
  }

  private async refresh(): Promise<void> {
    const session = this.options.session;
    if (!session) return;
    const current = await session.current();
    if (current.kind !== "oauth") throw new ProviderError("INVALID_API_CREDENTIALS", "API credentials rejected");
    await session.refresh(current);
  }

  private async once<S extends z.ZodType>(req: JsonRequest<S>): Promise<z.infer<S> | null> {
    const { pacer, paceKey, session, authorize } = this.options;
    const url = new URL(req.url);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, item);
      else url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: "application/json", ...req.headers };
    if (session && authorize) Object.assign(headers, authorize(await session.current()));
    if (req.json !== undefined) headers["content-type"] = "application/json";
    const payload = req.json === undefined ? undefined : JSON.stringify(req.json);
    // The send slot is taken last, when nothing but the request itself is left to do: the
    // provider counts arrivals, and a credentials read (a database round trip) between slot and
    // send let two departures of a loaded process arrive closer than their slots.
    await pacer.take(paceKey, req.cost ?? 1, this.options.signal);

    let res: Response;
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    try {
      res = await (this.options.fetch ?? fetch)(url, {
        method: req.method,
        headers,
        body: payload,
        signal: this.options.signal ? AbortSignal.any([timeout, this.options.signal]) : timeout,
        // Credentials never follow a redirect (the outbound guard also turns a 3xx into an error).
        redirect: "manual",
      });
    } catch (e) {
      // The outbound guard refused the URL: nothing was sent, say so as it is.
      if (e instanceof ProviderError) throw e;
      const timeout = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      throw new ProviderError(
        timeout ? "PROVIDER_TIMEOUT" : "PROVIDER_UNAVAILABLE",
        timeout ? "The provider did not answer in time" : "Could not reach the provider",
        { cause: e },
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new ProviderError("INCOMPLETE_RESPONSE", "The provider's answer broke off", {
        status: res.status,
        cause: e,
      });
    }
    let body: unknown = text.length === 0 ? null : text;
    let unreadable = false;
    if (text.length > 0 && (res.headers.get("content-type") ?? "").includes("json")) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        unreadable = true;
      }
    }
    // JSON that does not parse is an answer cut short (or mangled on the way): asking again helps.
    if (res.ok && unreadable)
      throw new ProviderError("INCOMPLETE_RESPONSE", "The provider's answer was cut short or unreadable", {
        status: res.status,
      });
    const info: HttpResponseInfo = { status: res.status, headers: res.headers, body };
    if (!res.ok) {
      const custom = this.options.classify?.(info) ?? null;
      if (custom === "empty") return null;
      throw (
        custom ??
        classifyStatus(
          res.status,
          res.headers.get("retry-after"),
          describeBody(body),
          this.options.defaultRetryAfterMs ?? 60_000,
        ) ??
        new ProviderError("BAD_RESPONSE", `Unexpected status ${res.status}`, { status: res.status })
      );
    }
    const parsed = req.schema.safeParse(body);
    if (!parsed.success) {
      // Users read this message: callsync's words and where, not the validator's report (which
      // stays on the error's cause, for logs).
      throw new ProviderError(
        "BAD_RESPONSE",
        `The provider answered ${req.method} ${url.pathname} in a form callsync does not understand`,
        { status: res.status, cause: parsed.error },
      );
    }
    return parsed.data;
  }
}

/** A short, secret-free description of an error body for messages and logs. */
export function describeBody(body: unknown): string {
  if (body === null || body === undefined) return "no body";
  if (typeof body === "string") return body.slice(0, 200);
  if (typeof body === "object") {
    const o = body as Record<string, unknown>;
    if (Array.isArray(o.errors)) return o.errors.map(String).join("; ").slice(0, 200);
    for (const k of ["error_description", "message", "error"])
      if (typeof o[k] === "string") return (o[k] as string).slice(0, 200);
  }
  return JSON.stringify(body).slice(0, 200);
}
