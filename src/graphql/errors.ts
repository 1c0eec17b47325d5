/**
 * Expected failures reach clients as GraphQL errors with a stable `extensions.code`; anything
 * else is masked by Yoga. Codes are part of the API: never rename one (src/errors.ts).
 */
import { GraphQLError } from "graphql";
import { DomainError, ERROR_CODES, type ErrorCode } from "../errors.js";

export { ERROR_CODES, type ErrorCode };

export function appError(code: ErrorCode, message: string = ERROR_CODES[code], extra: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const notFound = (what = "object") => appError("NOT_FOUND", `No ${what} with this id exists in your workspace.`);

export function badInput(message: string, field?: string) {
  return appError("BAD_USER_INPUT", message, field ? { field } : {});
}

/** Yoga's maskError: domain errors keep their code and message, everything else is masked. */
export function maskError(error: unknown, message: string): GraphQLError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError && error instanceof GraphQLError)
    return new GraphQLError(original.message, {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: original.code, ...original.extensions },
    });
  if (error instanceof GraphQLError && !error.originalError) return error;
  if (error instanceof GraphQLError && error.originalError instanceof GraphQLError)
    return new GraphQLError(error.originalError.message, {
      nodes: error.nodes,
      path: error.path,
      extensions: error.originalError.extensions,
    });
  return new GraphQLError(message, {
    nodes: error instanceof GraphQLError ? error.nodes : undefined,
    path: error instanceof GraphQLError ? error.path : undefined,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  });
}
