/**
 * What the API tells a stranger about its schema (SECURITY.md rule 8). Both are envelop
 * plugins, so HTTP, SSE and graphql-ws (which validates and executes through
 * `yoga.getEnveloped`) behave alike.
 *
 * - Introspection: graphql-js's own NoSchemaIntrospectionCustomRule refuses `__schema` and
 *   `__type` (not `__typename`) at validation. Yoga's plugin-disable-introspection is not used:
 *   it marks requests in `onRequestParse`, which graphql-ws operations never pass through.
 * - Suggestions: graphql-js appends " Did you mean …?" naming existing fields, arguments, types
 *   and enum values to validation errors and to the variable-coercion errors execution returns.
 *   graphql-armor's blockFieldSuggestion only rewrites validation errors and only the
 *   `Did you mean "x"?` form, so enum values (`Did you mean the enum value "X"?`) and variables
 *   (`{"status": "CONECTED"}`) still leaked; this removes every form wherever it appears.
 */
import { type ExecutionResult, NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";

export function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

// graphql-js's didYouMean always ends the message with " Did you mean <names>?"; names never hold "?".
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/** Strips suggestions in place (results may be cached and served again). */
function strip(errors: readonly Error[] | undefined): void {
  for (const error of errors ?? []) error.message = error.message.replace(SUGGESTION, "");
}

const isResult = (value: unknown): value is ExecutionResult =>
  typeof value === "object" && value !== null && !(Symbol.asyncIterator in value);

export function useNoSuggestions(): Plugin {
  return {
    onValidate() {
      return ({ result }) => strip(result);
    },
    onExecute() {
      return {
        onExecuteDone({ result }) {
          if (isResult(result)) strip(result.errors);
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult({ result }) {
          if (isResult(result)) strip(result.errors);
        },
      };
    },
  };
}
