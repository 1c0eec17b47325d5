/**
 * The words a person reads for every failure the API reports (SPEC §3, §7): what happened and
 * what to do. Stored messages may carry a provider's text; the API answers with these instead,
 * keyed by the stable code, so no provider wording reaches a client.
 */
import { ERROR_CODES } from "../errors.js";
import { PROVIDER_ERROR_MESSAGES, type ProviderErrorCode } from "../providers/errors.js";

// What to do, where it differs from the provider layer's own public sentence.
const SYNC_FAILURES: Record<ProviderErrorCode | "INTERNAL_ERROR" | "SYNC_CANCELLED", string> = {
  ...PROVIDER_ERROR_MESSAGES,
  AUTH_FAILED: ERROR_CODES.AUTH_FAILED,
  INVALID_API_CREDENTIALS: ERROR_CODES.INVALID_API_CREDENTIALS,
  MISSING_SCOPE:
    "callsync's access lacks a permission it needs (reading users and calls). Reconnect and approve all requested access.",
  ACCESS_DENIED:
    "The provider account that connected may not read this data. Reconnect with an account that may authorize apps (a provider admin).",
  RATE_LIMITED: "The provider's rate limit was reached again and again. Retry later; callsync waits for the limit.",
  QUOTA_EXHAUSTED:
    "The provider account's request quota (per day or per week) stayed spent. Retry after it refills; the next scheduled sync also resumes.",
  PROVIDER_UNAVAILABLE: "The provider had errors or could not be reached. Retry in a few minutes.",
  PROVIDER_TIMEOUT: "The provider did not answer in time. Retry in a few minutes.",
  CURSOR_EXPIRED: "The provider's listing expired before it was read to the end. Retry: it starts that page again.",
  NOT_READY: "The provider has not finished processing these calls yet. Retry later.",
  BAD_REQUEST: "The provider refused callsync's request. Retrying will not help; contact support.",
  BAD_RESPONSE: "The provider sent data callsync could not read. Retrying will not help; contact support.",
  NOT_FOUND: "The provider no longer has this user or call. Retrying will not help.",
  PAGINATION_LOOP:
    "The provider kept returning the same page of results; callsync stopped this user's listing instead of looping. Retry later; contact support if it persists.",
  INTERNAL_ERROR: "Unexpected error while importing. Retry, and contact support if it persists.",
  SYNC_CANCELLED:
    "The sync stopped before this user was imported: the integration was disconnected. Reconnect it; its backfill imports what is missing.",
};

const ALL: Record<string, string> = { ...ERROR_CODES, ...SYNC_FAILURES };

/** The human message for a stable code; the stored text only for codes this table does not know. */
export function humanMessage(code: string, stored?: string | null): string {
  return ALL[code] ?? stored ?? "Something went wrong. Retry, and contact support if it persists.";
}

/**
 * A run's failure as stored by the engine ("CODE: details", or a sentence of its own) as a
 * code and the human message.
 */
export function runProblem(stored: string | null): { code: string; message: string } | null {
  if (!stored) return null;
  const code = /^([A-Z_]+)(:|$)/.exec(stored)?.[1];
  if (code && code in ALL) return { code, message: humanMessage(code) };
  return { code: "SYNC_FAILED", message: stored };
}
