import type { z } from "zod";
import { badInput } from "./errors.js";

/** Parses a GraphQL input with zod; the first problem becomes a BAD_USER_INPUT naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, path = "input"): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [path, ...(issue?.path ?? [])].join(".");
  throw badInput(`${field}: ${issue?.message ?? "invalid value"}`, field);
}

/**
 * A text filter's value for Prisma's `contains` and case-insensitive `equals`, which PostgreSQL
 * runs as (I)LIKE patterns: `%`, `_` and the escape character itself match literally.
 */
export function literalPattern(text: string): string {
  return text.replace(/[\\%_]/g, "\\$&");
}
