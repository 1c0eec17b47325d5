/**
 * Expected failures reach clients as GraphQL errors with a stable `extensions.code`; anything
 * else is masked by Yoga. Codes are part of the API: never rename one (src/errors.ts).
 */
import { PothosValidationError } from "@pothos/core";
import { GraphQLError } from "graphql";
import { maskError as yogaMaskError } from "graphql-yoga";
import { DomainError, ERROR_CODES, type ErrorCode } from "../errors.js";

export { ERROR_CODES, type ErrorCode };

export function appError(code: ErrorCode, message: string = ERROR_CODES[code], extra: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const notFound = (what = "object") => appError("NOT_FOUND", `No ${what} with this id exists in your workspace.`);

export function badInput(message: string, field?: string) {
  return appError("BAD_USER_INPUT", message, field ? { field } : {});
}

/**
 * Yoga's maskError: domain errors keep their code and message; errors a client caused that a
 * library raised without a code (bad variables, cursors, limits) get BAD_USER_INPUT; anything
 * else is masked as INTERNAL_SERVER_ERROR, never with its original message or stack.
 */
export function maskError(error: unknown, message: string): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError)
    return new GraphQLError(original.message, {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: original.code, ...original.extensions },
    });
  // Pothos rejects malformed connection arguments (cursors, first/last) with a validation error.
  if (original instanceof PothosValidationError)
    return new GraphQLError(original.message, {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: "BAD_USER_INPUT" },
    });
  // PostgreSQL refused a value's text form (22P02): only request input (a cursor naming no row id)
  // reaches the database unchecked, so this is the client's mistake, said without the SQL.
  if (isInvalidTextRepresentation(original))
    return new GraphQLError("An id or cursor in the request is malformed. Start the list again without it.", {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: "BAD_USER_INPUT" },
    });
  const masked = yogaMaskError(error, message, false);
  if (!(masked instanceof GraphQLError) || masked.extensions?.code !== undefined) return masked;
  return new GraphQLError(masked.message, {
    nodes: masked.nodes,
    source: masked.source,
    positions: masked.positions,
    path: masked.path,
    extensions: { ...masked.extensions, code: "BAD_USER_INPUT" },
  });
}

function isInvalidTextRepresentation(error: unknown): boolean {
  const meta = (error as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } })
    ?.meta;
  return (error as { code?: string })?.code === "P2007" && meta?.driverAdapterError?.cause?.originalCode === "22P02";
}
