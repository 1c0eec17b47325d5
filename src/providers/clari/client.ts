/**
 * Clari Copilot REST client: API key + secret in two headers, offset pagination with a
 * 10,000 skip ceiling, one `/call-details` request per call for transcript and AI content.
 *
 * Paging a window. `GET /calls` is asked for one user's calls in a time window sorted by start
 * time ascending, `limit` (25: larger pages can pass the 6 MB gateway ceiling and come back as
 * 502) from `skip`. Offsets cannot pass 10,000 and go stale when calls are added or removed
 * while a cursor sits in the database, so the cursor also remembers the start time of the last
 * call it returned and the ids returned at that instant. Whenever an offset would pass the
 * ceiling, or a cursor is older than `staleCursorMs`, paging re-anchors: a new sub-window
 * starts at that instant with skip 0 and the already returned ids at that instant are dropped.
 *
 * Requests per page: 1 list request + 1 `/call-details` per finished call (there is no batch
 * endpoint). Calls still processing or failed for good are not detailed; a finished call seen
 * again unchanged (listed under another participant, `filterUser[]` may match any internal
 * participant [I]) is served from a small in-memory cache keyed by `last_modified_time`.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { ProviderError, parseRetryAfter } from "../errors.js";
import { type Classifier, describeBody, type HttpClientOptions, ProviderHttp } from "../http.js";
import { Pacer, type PacerOptions, type QuotaWindow } from "../pacer.js";
import { countRepeat, hasMorePages, LoopGuard, pageFingerprint } from "../paging.js";
import {
  idAt,
  parseItems,
  parseRecord,
  skippedRecord,
  timesAt,
  transcriptPartsSkipped,
  transcriptSkipped,
} from "../records.js";
import type {
  CallPage,
  CallProviderClient,
  CallRecord,
  CallSample,
  ChangeWindow,
  ConnectedAccount,
  CredentialSession,
  ProviderUser,
  SkippedRecord,
  TimeWindow,
  UserListing,
} from "../types.js";
import {
  type ClariDirectory,
  clariDirectory,
  clariPrivateFlag,
  clariStatusKind,
  mapClariCall,
  mapClariUser,
} from "./mappers.js";
import {
  type ClariCall,
  type ClariCallDetails,
  ClariCallDetailsEnvelopeSchema,
  ClariCallDetailsRecordSchema,
  ClariCallSchema,
  ClariCallsEnvelopeSchema,
  ClariTranscriptSegmentSchema,
  type ClariUser,
  ClariUserSchema,
  ClariUsersEnvelopeSchema,
  readClariPagination,
} from "./schemas.js";

export const CLARI_BASE_URL = "https://rest-api.copilot.clari.com";

/** 10 requests per second and 100,000 per week per API key (the week resets Sunday 00:00 GMT). */
export const CLARI_QUOTA: QuotaWindow[] = [
  { points: 10, duration: 1 },
  { points: 100_000, duration: 7 * 86_400 },
];

export const CLARI_MAX_LIMIT = 100;
export const CLARI_MAX_SKIP = 10_000;
const DEFAULT_PAGE_SIZE = 25;

export interface ClariClientOptions {
  session: CredentialSession;
  pacer: Pacer;
  /** Quota key: one per Clari workspace (= per API key). */
  paceKey: string;
  baseUrl?: string;
  timeoutMs?: number;
  onWait?: HttpClientOptions["onWait"];
  /** The runner's lease: once aborted, the client sends nothing more (HttpClientOptions.signal). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** `limit` of `GET /calls`; 25 by default, at most 100. */
  pageSize?: number;
  /** Largest `skip` the API accepts (10,000). Tests lower it to exercise window splitting. */
  maxSkip?: number;
  /** A stored cursor older than this re-anchors on time instead of trusting its offset. */
  staleCursorMs?: number;
  /** Parallel `/call-details` requests per page (the pacer still holds the rate). */
  detailsConcurrency?: number;
  /** First wait after a 429 without Retry-After; doubles while 429s continue. */
  rateLimitBackoffMs?: number;
  /** Longest rate-limit wait done inline; longer ones surface as RATE_LIMITED. */
  maxInlineWaitMs?: number;
  attempts?: number;
  /** Finished calls with several Copilot users kept for re-listing under another user (2,000). */
  detailsCacheSize?: number;
  /**
   * List private calls too (`includePrivate=true`), for integrations that import them restricted.
   * Otherwise Clari leaves them out of `GET /calls` itself [C via integrator notes].
   */
  includePrivate?: boolean;
}

export interface ClariClient extends CallProviderClient {
  readonly provider: "CLARI_COPILOT";
}

const CursorSchema = z.object({
  v: z.literal(1),
  /** The window the cursor belongs to; a cursor for another window is ignored. */
  from: z.number().int(),
  to: z.number().int(),
  /** Start (inclusive, ms) of the current sub-window. */
  sub: z.number().int(),
  skip: z.number().int().nonnegative(),
  limit: z.number().int().positive(),
  /** Start time of the last call returned, and the ids returned at that instant. */
  last: z.number().int().nullable(),
  seen: z.array(z.string()),
  /** Calls of the window before the current sub-window (for `total`). */
  base: z.number().int().nonnegative(),
  /** When the cursor was made (ms epoch). */
  at: z.number().int(),
  /** Listing by modification time: `filterModifiedGt` (ms), fixed for the cursor's life. */
  mod: z.number().int().optional(),
  /** Fingerprint of the last page and how often it came back in a row (paging.ts). */
  fp: z.string().optional(),
  r: z.number().int().nonnegative().optional(),
});
type Cursor = z.infer<typeof CursorSchema>;

/** The next Sunday 00:00 GMT strictly after `now`: when Clari's weekly quota resets. */
export function nextClariWeeklyReset(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + (7 - d.getUTCDay()));
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Runs `fn` over `items`, at most `limit` at a time, keeping order. After a failure no new item
 * starts, and the first error is thrown only once the requests in flight have settled, so a
 * failed page leaves nothing running behind it.
 */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (next < items.length && failure === null) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
  return results;
}

/**
 * Clari-specific reading of failures ([I]: bodies and statuses are undocumented):
 * - 401 and 403 both mean the key pair was refused;
 * - 429 with Retry-After is honoured; "Limit Exceeded" (API Gateway's usage-plan answer) is the
 *   weekly quota and waits for the Sunday reset; any other 429 is the per-second limit: back off
 *   from `backoffMs`, doubling while 429s continue, so a quota that never clears surfaces as
 *   RATE_LIMITED instead of spinning.
 */
export function createClariClassifier(backoffMs = 1000, now: () => number = Date.now): Classifier & { reset(): void } {
  let consecutive = 0;
  const classify = (res: Parameters<Classifier>[0]) => {
    const message = describeBody(res.body);
    if (res.status === 429) {
      const retryAfter = parseRetryAfter(res.headers.get("retry-after"), now());
      const weekly = /limit exceeded|quota/i.test(message);
      const retryAt = retryAfter ?? (weekly ? nextClariWeeklyReset(now()) : now() + backoffMs * 2 ** consecutive++);
      return new ProviderError("RATE_LIMITED", `Clari Copilot rate limit: ${message}`, { status: 429, retryAt });
    }
    if (res.status === 401 || res.status === 403)
      return new ProviderError(
        "AUTH_FAILED",
        "Clari Copilot refused the API key and secret (revoked or changed since they were saved)",
        { status: res.status },
      );
    return null;
  };
  return Object.assign(classify, {
    reset: () => {
      consecutive = 0;
    },
  });
}

class ClariCopilotClient implements ClariClient {
  readonly provider = "CLARI_COPILOT" as const;
  private readonly base: string;
  private readonly classifier: ReturnType<typeof createClariClassifier>;
  private readonly http: ProviderHttp;
  /** `GET /calls`: a 502 is the 6 MB ceiling; surfaced at once so the page can be halved. */
  private readonly listHttp: ProviderHttp;
  /** `GET /call-details`: 404/400 mean "unknown or not ready yet". */
  private readonly detailsHttp: ProviderHttp;
  private directory: { loadedAt: number; value: ClariDirectory } | null = null;
  private readonly detailsCache = new Map<string, { modified: string | null; read: DetailsRead }>();

  constructor(private readonly options: ClariClientOptions) {
    this.base = (options.baseUrl ?? CLARI_BASE_URL).replace(/\/+$/, "");
    this.classifier = createClariClassifier(options.rateLimitBackoffMs ?? 1000);
    const common: HttpClientOptions = {
      pacer: options.pacer,
      paceKey: options.paceKey,
      timeoutMs: options.timeoutMs,
      onWait: options.onWait,
      signal: options.signal,
      fetch: options.fetch,
      attempts: options.attempts,
      maxInlineWaitMs: options.maxInlineWaitMs,
      classify: this.classifier,
    };
    this.http = new ProviderHttp(common);
    this.listHttp = new ProviderHttp({
      ...common,
      classify: (res) =>
        res.status === 502
          ? new ProviderError("BAD_RESPONSE", "Clari Copilot answered 502 (page over the 6 MB limit?)", {
              status: 502,
            })
          : this.classifier(res),
    });
    this.detailsHttp = new ProviderHttp({
      ...common,
      classify: (res) => (res.status === 404 || res.status === 400 ? "empty" : this.classifier(res)),
    });
  }

  /**
   * Which calls are private. The call's own flag is not documented [I] (read as `is_private`,
   * `isPrivate` or `private`); when private calls were asked for and a call carries no flag,
   * it is taken as private, so a missing flag can over-restrict a call but never expose one.
   */
  private withPrivacy(call: ClariCall, record: CallRecord): CallRecord {
    const flag = clariPrivateFlag(call);
    return flag === true || (flag === undefined && this.options.includePrivate)
      ? { ...record, isPrivate: true }
      : record;
  }

  private get pageSize(): number {
    return Math.min(CLARI_MAX_LIMIT, Math.max(1, this.options.pageSize ?? DEFAULT_PAGE_SIZE));
  }

  private async authHeaders(): Promise<Record<string, string>> {
    const credentials = await this.options.session.current();
    if (credentials.kind !== "apiKey")
      throw new ProviderError("INVALID_API_CREDENTIALS", "Clari Copilot needs an API key and an API secret");
    return { "X-Api-Key": credentials.apiKey, "X-Api-Password": credentials.apiSecret };
  }

  private async get<S extends z.ZodType>(
    http: ProviderHttp,
    path: string,
    schema: S,
    query?: Record<string, string | number | string[] | undefined>,
  ): Promise<z.infer<S> | null> {
    const result = await http.json({
      method: "GET",
      url: `${this.base}${path}`,
      query,
      headers: await this.authHeaders(),
      schema,
    });
    this.classifier.reset();
    return result;
  }

  async verify(): Promise<ConnectedAccount> {
    const credentials = await this.options.session.current();
    const accountId = credentials.kind === "apiKey" ? `clari:${sha(credentials.apiKey)}` : "clari:unknown";
    try {
      let users: ClariUser[] | null;
      try {
        users = (await this.fetchUsers()).users;
      } catch (e) {
        if (!(e instanceof ProviderError && e.code === "NOT_FOUND")) throw e;
        await this.get(this.listHttp, "/calls", ClariCallsEnvelopeSchema, { limit: 1, includePagination: "false" });
        users = null;
      }
      return { accountId, name: users ? workspaceName(users) : null, authorizedBy: null };
    } catch (e) {
      if (e instanceof ProviderError && e.code === "AUTH_FAILED")
        throw new ProviderError("INVALID_API_CREDENTIALS", "Invalid Clari Copilot API key or secret", {
          status: e.details.status,
          cause: e,
        });
      throw e;
    }
  }

  private async fetchUsers(): Promise<{ users: ClariUser[]; skipped: SkippedRecord[] }> {
    const users = new Map<string, ClariUser>();
    const skipped: SkippedRecord[] = [];
    const guard = new LoopGuard("page of users");
    let query: Record<string, number> | undefined;
    for (;;) {
      const res = await this.get(this.http, "/users", ClariUsersEnvelopeSchema, query);
      if (!res) break;
      guard.page(res.users.map((u) => idAt("id")(u) ?? ""));
      const parsed = parseItems(res.users, ClariUserSchema, "USER", idAt("id", "email"));
      for (const u of parsed.items) users.set(u.id, u);
      skipped.push(...parsed.skipped);
      const p = readClariPagination(res.pagination);
      // /users is one answer unless it says otherwise ([I] whether it pages at all).
      if (!p?.hasMore || res.users.length === 0) break;
      query = { skip: p.nextPageSkip ?? (query?.skip ?? 0) + res.users.length, limit: CLARI_MAX_LIMIT };
    }
    const list = [...users.values()];
    this.directory = { loadedAt: Date.now(), value: clariDirectory(list) };
    return { users: list, skipped };
  }

  async listUsers(): Promise<UserListing> {
    const { users, skipped } = await this.fetchUsers();
    return { users: users.map(mapClariUser), skipped };
  }

  /** Names of internal participants; refreshed every 10 minutes. */
  private async loadDirectory(): Promise<ClariDirectory> {
    if (!this.directory || Date.now() - this.directory.loadedAt > 10 * 60_000) await this.fetchUsers();
    return this.directory?.value ?? new Map();
  }

  private startCursor(window: TimeWindow, mod?: number): Cursor {
    return {
      ...(mod === undefined ? {} : { mod }),
      v: 1,
      from: window.fromMs,
      to: window.toMs,
      sub: window.fromMs,
      skip: 0,
      limit: this.pageSize,
      last: null,
      seen: [],
      base: 0,
      at: Date.now(),
    };
  }

  private readCursor(raw: string | null, window: TimeWindow, mod?: number): Cursor {
    if (raw === null) return this.startCursor(window, mod);
    let parsed: ReturnType<typeof CursorSchema.safeParse>;
    try {
      parsed = CursorSchema.safeParse(JSON.parse(raw));
    } catch {
      return this.startCursor(window, mod);
    }
    // Unknown version or another window: start the window again (the engine de-duplicates).
    if (
      !parsed.success ||
      parsed.data.from !== window.fromMs ||
      parsed.data.to !== window.toMs ||
      parsed.data.mod !== mod
    )
      return this.startCursor(window, mod);
    const cursor = parsed.data;
    const stale = Date.now() - cursor.at > (this.options.staleCursorMs ?? 15 * 60_000);
    return stale && cursor.skip > 0 ? this.reanchor(cursor) : cursor;
  }

  /** A new sub-window at the start time of the last returned call, skip 0. */
  private reanchor(cursor: Cursor): Cursor {
    if (cursor.last === null) return cursor;
    if (cursor.last === cursor.sub && cursor.skip > (this.options.maxSkip ?? CLARI_MAX_SKIP))
      throw new ProviderError(
        "BAD_RESPONSE",
        `More than ${this.options.maxSkip ?? CLARI_MAX_SKIP} Clari calls start at ${iso(cursor.last)}; cannot page further`,
      );
    return {
      ...cursor,
      sub: cursor.last,
      base: cursor.base + Math.max(0, cursor.skip - cursor.seen.length),
      skip: 0,
    };
  }

  listCallsPage(user: ProviderUser, window: TimeWindow, rawCursor: string | null): Promise<CallPage> {
    return this.listPage(user, window, rawCursor);
  }

  /**
   * Calls whose `last_modified_time` is after the high-water mark (`filterModifiedGt`), paged in
   * start-time order like a window: a call changed while paging keeps its place (its start time
   * does not move), and one changed after the run started is listed by the next run.
   */
  listChangedCallsPage(user: ProviderUser, window: ChangeWindow, rawCursor: string | null): Promise<CallPage> {
    return this.listPage(user, { fromMs: window.fromMs, toMs: window.untilMs }, rawCursor, window.modifiedAfterMs);
  }

  private async listPage(
    user: ProviderUser,
    window: TimeWindow,
    rawCursor: string | null,
    modifiedAfterMs?: number,
  ): Promise<CallPage> {
    // Clari filters users by email; a user without one has no listable calls.
    if (!user.email || window.toMs <= window.fromMs) return { calls: [], nextCursor: null, total: 0 };
    const cursor = this.readCursor(rawCursor, window, modifiedAfterMs);
    const { res, limit } = await this.fetchCallsPage(user.email, cursor);
    const parsed = parseItems(res.calls, ClariCallSchema, "CALL", idAt("id"));
    const listed = parsed.items;
    const times = listed.map((c) => Date.parse(c.time));
    const seen = new Set(cursor.seen);
    const fresh = listed.filter((c, i) => !(times[i] === cursor.last && seen.has(c.id)));

    const directory = fresh.length > 0 ? await this.loadDirectory() : new Map();
    const skipped = [...parsed.skipped];
    const mapped = await mapLimit(fresh, this.options.detailsConcurrency ?? 4, async (call) => {
      const read = await this.detailsFor(call);
      if ("skip" in read) {
        skipped.push(read.skip);
        return null;
      }
      if (read.transcriptSkip) skipped.push(read.transcriptSkip);
      return this.withTranscript(read, this.withPrivacy(call, mapClariCall(call, read.details, directory)));
    });
    const calls = mapped.filter((c): c is CallRecord => c !== null);

    const pagination = readClariPagination(res.pagination);
    const total = typeof pagination?.matched === "number" ? cursor.base + pagination.matched : null;
    const hasMore = hasMorePages(pagination?.hasMore, res.calls.length, limit);
    if (!hasMore) return { calls, skipped, nextCursor: null, total };
    // The same page again (an offset Clari does not honour): counted, bounded (paging.ts).
    const repeat = countRepeat(cursor, pageFingerprint(res.calls.map((c) => idAt("id")(c) ?? "")), "page of calls");

    const last = times.length > 0 ? Math.max(...times) : cursor.last;
    const atLast = listed.filter((_, i) => times[i] === last).map((c) => c.id);
    let next: Cursor = {
      ...cursor,
      skip: pagination?.nextPageSkip ?? cursor.skip + res.calls.length,
      limit: Math.min(this.pageSize, limit * 2),
      last,
      seen: last === cursor.last ? [...new Set([...cursor.seen, ...atLast])] : atLast,
      at: Date.now(),
      ...repeat,
    };
    if (next.skip > (this.options.maxSkip ?? CLARI_MAX_SKIP)) next = this.reanchor(next);
    return { calls, skipped, nextCursor: JSON.stringify(next), total };
  }

  /** One `GET /calls` page; a 502 (response over 6 MB) halves `limit` and asks again. */
  private async fetchCallsPage(email: string, cursor: Cursor) {
    let limit = Math.min(cursor.limit, this.pageSize);
    for (;;) {
      try {
        const res = await this.get(this.listHttp, "/calls", ClariCallsEnvelopeSchema, {
          "filterUser[]": [email],
          filterTimeGt: iso(cursor.sub - 1),
          filterTimeLt: iso(cursor.to),
          filterModifiedGt: cursor.mod === undefined ? undefined : iso(cursor.mod),
          sortTime: "asc",
          includePrivate: this.options.includePrivate ? "true" : "false",
          skip: cursor.skip,
          limit,
          includePagination: "true",
        });
        return { res: res ?? { calls: [], pagination: null }, limit };
      } catch (e) {
        if (!(e instanceof ProviderError && e.code === "BAD_RESPONSE" && e.details.status === 502)) throw e;
        if (limit > 1) {
          limit = Math.max(1, Math.floor(limit / 2));
          continue;
        }
        throw new ProviderError("PROVIDER_UNAVAILABLE", "Clari Copilot answered 502 even for a single call", {
          status: 502,
          cause: e,
        });
      }
    }
  }

  /**
   * `/call-details` for a finished call (`details` null for calls still processing, failed, or
   * not there yet), or why the call is skipped: details that cannot be read.
   */
  private async detailsFor(call: ClariCall): Promise<DetailsRead | { skip: SkippedRecord }> {
    if (clariStatusKind(call.status) !== "DONE") return { details: null };
    const modified = call.last_modified_time ?? null;
    const cached = this.detailsCache.get(call.id);
    if (cached && cached.modified === modified && modified !== null) return cached.read;
    const read = await this.fetchDetails(call.id, call);
    if ("skip" in read) return read;
    // Only a call with several Copilot users can be listed again under another user.
    if (read.details?.status.toUpperCase() === "POST_PROCESSING_DONE" && (call.users?.length ?? 0) > 1) {
      this.detailsCache.delete(call.id);
      this.detailsCache.set(call.id, { modified, read });
      const cap = this.options.detailsCacheSize ?? 2000;
      while (this.detailsCache.size > cap) {
        const oldest = this.detailsCache.keys().next().value;
        if (oldest === undefined) break;
        this.detailsCache.delete(oldest);
      }
    }
    return read;
  }

  /**
   * One `/call-details` answer, read record-tolerantly: a field it leaves out is taken from the
   * listed call (`listed`, the next best; the details are otherwise a fresher superset), a call
   * that still cannot be read is skipped with its reason, and transcript segments that cannot
   * be read are left out and counted (a transcript unreadable as a whole: the call is imported
   * without it, and asked again by the transcript follow-ups).
   */
  private async fetchDetails(id: string, listed: ClariCall | null): Promise<DetailsRead | { skip: SkippedRecord }> {
    const res = await this.get(this.detailsHttp, "/call-details", ClariCallDetailsEnvelopeSchema, { id });
    if (!res) return { details: null };
    const raw = res.call;
    const filled =
      listed && raw !== null && typeof raw === "object" && !Array.isArray(raw) ? { ...listed, ...raw } : raw;
    const parsed = parseRecord(filled, ClariCallDetailsRecordSchema);
    if (!parsed.ok)
      return {
        skip: skippedRecord(
          "CALL",
          id,
          parsed.reasonCode,
          `The provider's call details (/call-details) could not be read: ${parsed.detail}`,
        ),
      };
    const { transcript, ...rest } = parsed.value;
    if (transcript === null || transcript === undefined) return { details: { ...rest, transcript: null } };
    if (!Array.isArray(transcript))
      return {
        details: { ...rest, transcript: null },
        transcriptUnreadable: true,
        transcriptSkip: transcriptSkipped(id, "UNREADABLE", `transcript is not a list`),
      };
    const segments = parseItems(transcript, ClariTranscriptSegmentSchema, "TRANSCRIPT", () => id, "segment");
    return {
      details: { ...rest, transcript: segments.items },
      transcriptSkip: transcriptPartsSkipped(id, segments.skipped, transcript.length, "segments"),
    };
  }

  /** A transcript that could not be read at all: the call is stored without one, to be asked again. */
  private withTranscript(read: DetailsRead, record: CallRecord): CallRecord {
    if (!read.transcriptUnreadable) return record;
    return {
      ...record,
      transcript: null,
      readiness: record.readiness === "READY" ? "TRANSCRIPT_PENDING" : record.readiness,
    };
  }

  goneCallIds: string[] = [];

  /**
   * One `GET /calls` page for the users' emails (a call with several of them counted once), with
   * `pagination.matched` counting the window; private calls only when the integration imports them.
   */
  async sampleCalls(users: ProviderUser[], window: TimeWindow): Promise<CallSample> {
    const emails = users.flatMap((u) => (u.email ? [u.email] : []));
    if (emails.length === 0 || window.toMs <= window.fromMs) return { total: 0, startedAt: [], more: false };
    const res = await this.get(this.listHttp, "/calls", ClariCallsEnvelopeSchema, {
      "filterUser[]": emails,
      filterTimeGt: iso(window.fromMs - 1),
      filterTimeLt: iso(window.toMs),
      sortTime: "asc",
      includePrivate: this.options.includePrivate ? "true" : "false",
      skip: 0,
      limit: this.pageSize,
      includePagination: "true",
    });
    const calls = res?.calls ?? [];
    const pagination = readClariPagination(res?.pagination);
    return {
      total: typeof pagination?.matched === "number" ? pagination.matched : null,
      startedAt: timesAt(calls, "time"),
      more: hasMorePages(pagination?.hasMore, calls.length, this.pageSize),
    };
  }

  async fetchCalls(providerCallIds: string[]): Promise<CallRecord[]> {
    const ids = [...new Set(providerCallIds)];
    this.goneCallIds = [];
    if (ids.length === 0) return [];
    const directory = await this.loadDirectory();
    const reads = await mapLimit(ids, this.options.detailsConcurrency ?? 4, (id) => this.fetchDetails(id, null));
    // 404 (or 400) on /call-details: unknown to Clari, or not ready while still processing; the
    // engine tells them apart by what it stored (sync/engine.ts markGone).
    this.goneCallIds = ids.filter((_, i) => {
      const r = reads[i];
      return r !== undefined && !("skip" in r) && r.details === null;
    });
    // Follow-ups re-read calls already counted at import: what cannot be read stays as stored.
    return reads.flatMap((r) =>
      "skip" in r || !r.details
        ? []
        : [this.withTranscript(r, this.withPrivacy(r.details, mapClariCall(r.details, r.details, directory)))],
    );
  }
}

/** What `/call-details` gave for one call: its details (null: none yet) and what of its transcript could not be read. */
interface DetailsRead {
  details: ClariCallDetails | null;
  transcriptSkip?: SkippedRecord | null;
  transcriptUnreadable?: boolean;
}

/** The most common email domain of the workspace's users, as a readable account name. */
function workspaceName(users: readonly ClariUser[]): string | null {
  const counts = new Map<string, number>();
  for (const u of users) {
    const domain = u.email?.split("@")[1]?.toLowerCase();
    if (domain) counts.set(domain, (counts.get(domain) ?? 0) + 1);
  }
  let best: string | null = null;
  for (const [domain, n] of counts) if (best === null || n > (counts.get(best) ?? 0)) best = domain;
  return best;
}

export function createClariClient(options: ClariClientOptions): ClariClient {
  return new ClariCopilotClient(options);
}

export function createClariPacer(options: PacerOptions = {}, quota: QuotaWindow[] = CLARI_QUOTA): Pacer {
  return new Pacer("clari", quota, options);
}

/**
 * Checks a key pair before it is saved (the connect step). Bad key or secret →
 * INVALID_API_CREDENTIALS; provider down or slow → PROVIDER_UNAVAILABLE / PROVIDER_TIMEOUT.
 */
export async function verifyClariCredentials(params: {
  apiKey: string;
  apiSecret: string;
  baseUrl?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  pacer?: Pacer;
}): Promise<ConnectedAccount> {
  const apiKey = params.apiKey.trim();
  const apiSecret = params.apiSecret.trim();
  if (!apiKey || !apiSecret)
    throw new ProviderError("INVALID_API_CREDENTIALS", "Both the Clari Copilot API key and API secret are required");
  const credentials = { kind: "apiKey" as const, apiKey, apiSecret };
  const client = createClariClient({
    session: {
      current: async () => credentials,
      refresh: async () => credentials,
    },
    pacer: params.pacer ?? createClariPacer(),
    paceKey: `clari:${sha(apiKey)}`,
    baseUrl: params.baseUrl,
    fetch: params.fetch,
    timeoutMs: params.timeoutMs ?? 10_000,
    attempts: 2,
  });
  return client.verify();
}
