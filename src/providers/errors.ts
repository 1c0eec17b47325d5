/**
 * Every provider failure is classified into one of a few kinds the sync engine acts on:
 *
 * - RECONNECT_NEEDED: credentials revoked/expired for good (refresh failed, invalid_grant,
 *   bad API key). The integration goes to a reconnect-needed state and its schedule pauses.
 * - RATE_LIMITED: the provider said "too many requests"; `retryAt` says when to try again.
 * - TRANSIENT: 5xx, timeouts, connection errors; retried with backoff, then the user fails
 *   as retryable.
 * - NOT_READY: the provider has not finished processing (transcript not yet available).
 * - PERMANENT: our request or the provider's answer is wrong in a way a retry won't fix.
 */
export const PROVIDER_ERROR_KINDS = [
  "RECONNECT_NEEDED",
  "RATE_LIMITED",
  "TRANSIENT",
  "NOT_READY",
  "PERMANENT",
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

/** Stable codes; the API shows them to users, so never rename one. */
export const PROVIDER_ERROR_CODES = {
  AUTH_FAILED: "RECONNECT_NEEDED",
  INVALID_API_CREDENTIALS: "RECONNECT_NEEDED",
  MISSING_SCOPE: "RECONNECT_NEEDED",
  ACCESS_DENIED: "RECONNECT_NEEDED",
  RATE_LIMITED: "RATE_LIMITED",
  /** The provider account's day or week budget is spent (callsync's shared count, or a long Retry-After). */
  QUOTA_EXHAUSTED: "RATE_LIMITED",
  PROVIDER_UNAVAILABLE: "TRANSIENT",
  PROVIDER_TIMEOUT: "TRANSIENT",
  CURSOR_EXPIRED: "TRANSIENT",
  /** The answer broke off or was not the JSON it claimed to be (truncated body, reset mid-body). */
  INCOMPLETE_RESPONSE: "TRANSIENT",
  NOT_READY: "NOT_READY",
  BAD_REQUEST: "PERMANENT",
  /** The outbound guard refused the URL (src/providers/outbound-guard.ts): no request was sent. */
  HOST_NOT_ALLOWED: "PERMANENT",
  /** The provider answered with a redirect, which is never followed with credentials. */
  REDIRECT_REFUSED: "PERMANENT",
  BAD_RESPONSE: "PERMANENT",
  /** The provider kept answering with the same cursor or page (src/providers/paging.ts). */
  PAGINATION_LOOP: "PERMANENT",
  NOT_FOUND: "PERMANENT",
} as const satisfies Record<string, ProviderErrorKind>;
export type ProviderErrorCode = keyof typeof PROVIDER_ERROR_CODES;

export class ProviderError extends Error {
  override readonly name = "ProviderError";
  readonly kind: ProviderErrorKind;
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    readonly details: {
      status?: number;
      /** ms epoch; set for RATE_LIMITED. */
      retryAt?: number;
      /** RATE_LIMITED without a Retry-After: `retryAt` is our default, not the provider's word. */
      retryAtGuessed?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = PROVIDER_ERROR_CODES[code];
  }

  get retryable(): boolean {
    return this.kind === "RATE_LIMITED" || this.kind === "TRANSIENT" || this.kind === "NOT_READY";
  }
}

export const isProviderError = (e: unknown): e is ProviderError => e instanceof ProviderError;

/**
 * Parses a Retry-After header (delta-seconds or HTTP-date) into an absolute ms epoch.
 * Returns null when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return now + Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : date;
}

/** Status-only part of the classification that all three providers share. */
export function classifyStatus(
  status: number,
  retryAfter: string | null,
  message: string,
  defaultRetryAfterMs: number,
  now = Date.now(),
): ProviderError | null {
  if (status >= 200 && status < 300) return null;
  if (status === 429) {
    const given = parseRetryAfter(retryAfter, now);
    return new ProviderError("RATE_LIMITED", `Rate limited by the provider: ${message}`, {
      status,
      retryAt: given ?? now + defaultRetryAfterMs,
      retryAtGuessed: given === null,
    });
  }
  if (status === 401 || status === 403) return new ProviderError("AUTH_FAILED", message, { status });
  if (status === 404) return new ProviderError("NOT_FOUND", message, { status });
  if (status === 408 || status >= 500) return new ProviderError("PROVIDER_UNAVAILABLE", message, { status });
  return new ProviderError("BAD_REQUEST", message, { status });
}

/**
 * What API clients read about a provider failure: callsync's own sentence per code, never the
 * provider's words. A provider's (or an impostor's) error body can carry anything — markup,
 * links, someone else's data, a token echoed back — so it goes to the log only (redactDetail).
 */
export const PROVIDER_ERROR_MESSAGES: Record<ProviderErrorCode, string> = {
  AUTH_FAILED: "The provider no longer accepts callsync's credentials (revoked or expired). Reconnect the integration.",
  INVALID_API_CREDENTIALS: "The provider rejected the API key or secret. Reconnect with a valid key pair.",
  MISSING_SCOPE: "The connection lacks a permission callsync needs. Reconnect and approve every requested scope.",
  ACCESS_DENIED: "The connected provider account may not read this data. Reconnect with an admin account.",
  RATE_LIMITED: "The provider's rate limit was reached; callsync retries automatically.",
  QUOTA_EXHAUSTED:
    "The provider account's request quota for this period is spent; callsync resumes automatically when it refills.",
  PROVIDER_UNAVAILABLE: "The provider was unavailable. Retry in a few minutes.",
  PROVIDER_TIMEOUT: "The provider did not answer in time. Retry in a few minutes.",
  CURSOR_EXPIRED: "The provider's listing expired mid-import. Retry to start the listing again.",
  NOT_READY: "The provider has not finished processing this data yet; callsync checks again later.",
  BAD_REQUEST: "The provider refused callsync's request. Retry; contact support if it persists.",
  BAD_RESPONSE: "The provider sent an answer callsync could not read. Retry; contact support if it persists.",
  INCOMPLETE_RESPONSE: "The provider's answer broke off or was unreadable; callsync retries automatically.",
  NOT_FOUND: "The provider no longer has this data.",
  PAGINATION_LOOP:
    "The provider kept returning the same page of results, so callsync stopped listing instead of looping. Retry later; contact support if it persists.",
  HOST_NOT_ALLOWED:
    "The provider pointed callsync at an address it does not send credentials to; nothing was sent. Reconnect, and contact support if it persists.",
  REDIRECT_REFUSED:
    "The provider redirected callsync elsewhere, which it never follows with credentials. Contact support if it persists.",
};

export const publicMessage = (e: ProviderError) => PROVIDER_ERROR_MESSAGES[e.code];

/** The provider's own wording, for the log: bearer values and long token-like strings removed. */
export function redactDetail(text: string): string {
  return text
    .replace(/\b(bearer|basic)\s+\S+/gi, "$1 [redacted]")
    .replace(/[A-Za-z0-9_\-.~+/=]{24,}/g, "[redacted]")
    .slice(0, 500);
}
