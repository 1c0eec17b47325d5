/**
 * Pagination that does not trust the provider's metadata.
 *
 * - No paging metadata on a page: go on while pages come back full (as many items as asked
 *   for), stop on a short or empty one. `hasMorePages` says which.
 * - A provider that hands back the cursor it was given, or the same page again, would make a
 *   listing loop for ever. Each listing keeps a fingerprint of its last page (and the cursor it
 *   sent); after PAGINATION_MAX_REPEATS repeats in a row the listing fails with
 *   PAGINATION_LOOP (PERMANENT: the user FAILS with that reason; a retry would loop again).
 *   So a repeating provider costs at most PAGINATION_MAX_REPEATS + 1 requests of that page.
 */
import { createHash } from "node:crypto";
import { ProviderError } from "./errors.js";

/** Repeats of one page (or cursor) in a row after which a listing gives up. */
export const PAGINATION_MAX_REPEATS = 3;

/**
 * Whether to ask for another page: the provider's own word when it gave one (`declared`), else
 * "the page was full". An empty page always ends the listing.
 */
export function hasMorePages(declared: boolean | null | undefined, received: number, asked: number): boolean {
  if (received === 0) return false;
  if (declared !== null && declared !== undefined) return declared;
  return received >= asked;
}

/**
 * A short stable digest of a page: its record ids in order. An empty page is told apart by the
 * cursor it handed back (a provider re-signing the same position still repeats its ids).
 */
export function pageFingerprint(ids: readonly string[], nextCursor: string | null = null): string {
  return createHash("sha256")
    .update(JSON.stringify(ids.length > 0 ? ids : { empty: nextCursor }))
    .digest("base64url")
    .slice(0, 16);
}

export function paginationLoop(what: string, repeats: number): ProviderError {
  return new ProviderError(
    "PAGINATION_LOOP",
    `The provider returned the same ${what} ${repeats + 1} times in a row; the listing stopped instead of looping`,
  );
}

/**
 * Repeat counting carried in a page cursor (listings paged one request per call, whose state
 * lives in the checkpoint): give it the previous page's `{fp, r}` and this page's fingerprint.
 * Throws PAGINATION_LOOP once the same page came back PAGINATION_MAX_REPEATS times in a row.
 */
export function countRepeat(
  previous: { fp?: string | null; r?: number | null } | null,
  fp: string,
  what: string,
): { fp: string; r: number } {
  const r = previous?.fp === fp ? (previous.r ?? 0) + 1 : 0;
  if (r >= PAGINATION_MAX_REPEATS) throw paginationLoop(what, r);
  return { fp, r };
}

/** The same for listings read in one go (users, transcripts, sentences): one guard per listing. */
export class LoopGuard {
  private last: { fp?: string; r?: number } | null = null;
  constructor(private readonly what: string) {}
  /** Call once per page received, with its ids (and the cursor it handed back). */
  page(ids: readonly string[], nextCursor: string | null = null): void {
    this.last = countRepeat(this.last, pageFingerprint(ids, nextCursor), this.what);
  }
}
