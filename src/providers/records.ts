/**
 * Record-level tolerance for provider lists. A list answer is read in two steps: the envelope
 * (the array itself, paging metadata) strictly — a wrong envelope is the provider's fault and
 * fails the request as BAD_RESPONSE — and then each item on its own with its zod shape. An
 * item that does not parse is not a reason to lose its page: it comes back as a SkippedRecord
 * with the provider's id (when one can be read at all) and the first problem, and the rest of
 * the page goes on.
 */
import { z } from "zod";
import type { SkipReasonCode } from "../sync/skipped.js";
import type { SkippedRecord } from "./types.js";

/** What a list envelope declares for its items: anything; each item is parsed by `parseItems`. */
export const anyItems = z.array(z.unknown());

export interface ParsedItems<T> {
  items: T[];
  skipped: SkippedRecord[];
}

/** Reads an id from an item that failed its shape, for the skip report ("" when none can be found). */
export type IdReader = (raw: unknown) => string | null;

/** The first of `paths` (dot-separated) that holds a string or number. */
export function idAt(...paths: string[]): IdReader {
  return (raw) => {
    for (const path of paths) {
      let value: unknown = raw;
      for (const key of path.split(".")) {
        if (value === null || typeof value !== "object") {
          value = undefined;
          break;
        }
        value = (value as Record<string, unknown>)[key];
      }
      if (typeof value === "string" && value.length > 0) return value;
      if (typeof value === "number" && Number.isFinite(value)) return String(value);
    }
    return null;
  };
}

/** The value at a zod issue's path in the raw item (zod does not keep the input on its issues). */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** One zod issue in callsync's words: the field and what was wrong, never the value. */
export function describeIssue(issue: z.core.$ZodIssue | undefined, raw: unknown): string {
  if (!issue) return "not readable";
  const path = issue.path.map(String).join(".") || "the record";
  if (issue.code === "invalid_type" && valueAt(raw, issue.path) === undefined) return `${path} is missing`;
  if (issue.code === "invalid_type") return `${path} is not a ${issue.expected}`;
  return `${path}: ${issue.message}`;
}

/** Whether a zod issue is a missing field (MISSING_FIELD) or a present but unreadable one (UNREADABLE). */
function reasonCode(issue: z.core.$ZodIssue | undefined, raw: unknown): SkipReasonCode {
  return issue?.code === "invalid_type" && valueAt(raw, issue.path) === undefined ? "MISSING_FIELD" : "UNREADABLE";
}

export function skippedRecord(
  kind: SkippedRecord["kind"],
  providerRecordId: string | null,
  reasonCode: SkipReasonCode,
  reason: string,
): SkippedRecord {
  return { kind, providerRecordId: providerRecordId ?? "(no id)", reasonCode, reason };
}

/** Parses each item with `schema`; the ones that fail come back as skipped, with their id and reason. */
export function parseItems<S extends z.ZodType>(
  raw: readonly unknown[],
  schema: S,
  kind: SkippedRecord["kind"],
  idOf: IdReader,
  what = { CALL: "call", USER: "user", TRANSCRIPT: "transcript" }[kind],
): ParsedItems<z.infer<S>> {
  const items: z.infer<S>[] = [];
  const skipped: SkippedRecord[] = [];
  for (const item of raw) {
    const parsed = schema.safeParse(item);
    if (parsed.success) {
      items.push(parsed.data);
      continue;
    }
    const issue = parsed.error.issues[0];
    skipped.push(
      skippedRecord(
        kind,
        idOf(item),
        reasonCode(issue, item),
        `The provider's ${what} could not be read: ${describeIssue(issue, item)}`,
      ),
    );
  }
  return { items, skipped };
}

/**
 * Maps each item; a mapper that throws a RecordSkip (a field the contract needs is missing and
 * has no next-best field) skips that item with its reason instead of failing the page.
 */
export class RecordSkip extends Error {
  override readonly name = "RecordSkip";
  constructor(
    readonly reasonCode: SkipReasonCode,
    message: string,
  ) {
    super(message);
  }
}

export function mapItems<T, R>(
  items: readonly T[],
  map: (item: T) => R,
  kind: SkippedRecord["kind"],
  idOf: (item: T) => string | null,
): { records: R[]; skipped: SkippedRecord[] } {
  const records: R[] = [];
  const skipped: SkippedRecord[] = [];
  for (const item of items) {
    try {
      records.push(map(item));
    } catch (e) {
      if (!(e instanceof RecordSkip)) throw e;
      skipped.push(skippedRecord(kind, idOf(item), e.reasonCode, e.message));
    }
  }
  return { records, skipped };
}

/** Where among `items` a record does not have `schema`'s shape (`where[i]`): what the client would skip. */
export function oddRecords(items: readonly unknown[], schema: z.ZodType, where: string): string[] {
  const odd: string[] = [];
  for (const [i, item] of items.entries()) if (!schema.safeParse(item).success) odd.push(`${where}[${i}]`);
  return odd;
}

/**
 * One TRANSCRIPT record for a call whose transcript had parts (`what`: sentences, monologues,
 * segments) that could not be read: the call is stored with the readable part. `skipped` are
 * the unreadable parts as parseItems returned them; null when there were none.
 */
export function transcriptPartsSkipped(
  callId: string,
  skipped: readonly SkippedRecord[],
  total: number,
  what: string,
): SkippedRecord | null {
  const first = skipped[0];
  if (!first) return null;
  const detail = first.reason.replace(/^The provider's \w+ could not be read: /, "");
  return skippedRecord(
    "TRANSCRIPT",
    callId,
    first.reasonCode,
    `${skipped.length} of ${total} ${what} of the transcript could not be read and were left out (${detail}); the rest of the call was imported`,
  );
}

/** A call's transcript that could not be read at all: the call is stored without it. */
export function transcriptSkipped(callId: string, reasonCode: SkipReasonCode, detail: string): SkippedRecord {
  return skippedRecord(
    "TRANSCRIPT",
    callId,
    reasonCode,
    `The transcript could not be read (${detail}); the call was imported without it`,
  );
}

/** Parses one record (a detail answer) like parseItems parses a list item: the value, or why not. */
export function parseRecord<S extends z.ZodType>(
  raw: unknown,
  schema: S,
): { ok: true; value: z.infer<S> } | { ok: false; reasonCode: SkipReasonCode; detail: string } {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, reasonCode: reasonCode(issue, raw), detail: describeIssue(issue, raw) };
}

/** The instants at `paths` of listed records, in ms; a record without a readable one is left out. */
export function timesAt(items: readonly unknown[], ...paths: string[]): number[] {
  const read = idAt(...paths);
  return items.map((raw) => Date.parse(read(raw) ?? "")).filter((ms) => !Number.isNaN(ms));
}
