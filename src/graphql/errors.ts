/**
 * Expected failures reach clients as GraphQL errors with a stable `extensions.code`; anything
 * else is masked by Yoga. Codes are part of the API: never rename one.
 */
import { GraphQLError } from "graphql";

export const ERROR_CODES = {
  UNAUTHENTICATED: "Sign in: the request has no valid bearer token.",
  FORBIDDEN: "Your role does not allow this. Ask a workspace admin.",
  NOT_FOUND: "Nothing with this id exists in your workspace.",
  BAD_USER_INPUT: "The input is not valid.",
  CONFLICT: "The request conflicts with the current state.",
  // Call integrations (SPEC §3); the messages say what to do.
  AUTHORIZATION_CANCELLED:
    "Authorization was cancelled or denied in the provider. Start the connection again and approve access.",
  AUTHORIZATION_ACCESS_DENIED:
    "Your provider account may not authorize third-party apps. Ask a provider admin to connect, or to grant you that permission.",
  AUTHORIZATION_SESSION_EXPIRED: "The authorization session expired or was already used. Start the connection again.",
  PROVIDER_UNAVAILABLE: "The provider did not answer in time or is unavailable. Try again in a few minutes.",
  INVALID_API_CREDENTIALS:
    "The API key or secret was rejected. Copy both again from the provider's settings and retry.",
  AUTH_FAILED: "The provider no longer accepts callsync's credentials (revoked or expired). Reconnect the integration.",
  PROVIDER_NOT_CONFIGURED: "This provider is not configured on the server (missing client id/secret).",
  SYNC_IN_PROGRESS: "A sync is already running for this integration. Wait for it to finish.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function appError(code: ErrorCode, message: string = ERROR_CODES[code], extra: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const notFound = (what = "object") => appError("NOT_FOUND", `No ${what} with this id exists in your workspace.`);

export function badInput(message: string, field?: string) {
  return appError("BAD_USER_INPUT", message, field ? { field } : {});
}
