/**
 * Expected failures of the domain, as values with stable codes. The GraphQL edge turns a
 * DomainError into an error with `extensions.code`; anything else is masked.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: "Sign in: the request has no valid bearer token.",
  FORBIDDEN: "Your role does not allow this. Ask a workspace admin.",
  NOT_FOUND: "Nothing with this id exists in your workspace.",
  BAD_USER_INPUT: "The input is not valid.",
  CONFLICT: "The request conflicts with the current state.",
  // Call integrations (SPEC §3); each message says what to do.
  AUTHORIZATION_CANCELLED:
    "Authorization was cancelled or denied in the provider. Start the connection again and approve access.",
  AUTHORIZATION_ACCESS_DENIED:
    "Your provider account may not authorize third-party apps. Ask a provider admin to connect, or to grant you that permission.",
  AUTHORIZATION_SESSION_EXPIRED: "The authorization session expired or was already used. Start the connection again.",
  PROVIDER_UNAVAILABLE: "The provider did not answer in time or is unavailable. Try again in a few minutes.",
  INVALID_API_CREDENTIALS:
    "The API key or secret was rejected. Copy both again from the provider's settings and retry.",
  AUTH_FAILED: "The provider no longer accepts callsync's credentials (revoked or expired). Reconnect the integration.",
  PROVIDER_HOST_NOT_ALLOWED:
    "The provider pointed callsync at an address it does not send credentials to; nothing was sent. Try again, and contact support if it persists.",
  PROVIDER_NOT_CONFIGURED: "This provider is not configured on the server (missing OAuth client id and secret).",
  SYNC_IN_PROGRESS: "A sync is already running for this integration. Wait for it to finish.",
  NOT_CONNECTED: "The integration is not connected. Connect it first.",
  BACKFILL_NOT_CHOSEN: "Choose how far back to import before starting the sync.",
  BACKFILL_LOCKED: "The backfill period can only be changed by disconnecting and reconnecting the integration.",
  // Lifecycle refusals (src/integrations/lifecycle.ts): the action does not fit the integration's state.
  ALREADY_CONNECTED: "This provider is already connected. Disconnect it before connecting again.",
  IMPORT_NOT_STARTED: "The initial import has not started yet. Start it from the wizard's Sync step.",
  IMPORT_ALREADY_STARTED:
    "The initial import of this connection already ran. Use Sync now, or Retry failed users when some failed.",
  NOTHING_TO_RETRY: "No user failed in the latest sync, so there is nothing to retry. Use Sync now for a new sync.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CODES[code],
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
