/**
 * Salesloft REST API v2 client: Conversations (recorded meetings and dialer calls) with their
 * attendees, transcript sentences, AI summary, action items and the CRM ids of the linked
 * opportunity, account and person.
 *
 * Cost of one page of up to 100 conversations: 1 list request, 1 `/extensive` per
 * conversation (Salesloft has no batch form), 1 sentences request per 100 sentences of each
 * transcript, and at most one batched `ids[]` lookup each for opportunities, accounts, people and
 * call data records (cached per client, so a record is fetched once per import).
 *
 * Windows and cursors. Salesloft filters conversations by `created_at`/`updated_at` only, not by
 * start time. A conversation is created once its recording is in, so `created_at` ≥ its start;
 * the client windows on `created_at`, which partitions conversations exactly across consecutive
 * windows (nothing is missed or read twice at window edges). Pages are walked keyset-style
 * (`created_at[gte]` = the last seen `created_at`, always `page=1`), as Salesloft's own "cursor
 * poller" guide recommends: deep pages (> 100) cost up to 30× more, and a keyset cursor holds no
 * server state, so it never expires and resumes hours later in another process.
 */
import { z } from "zod";
import { ProviderError, type ProviderErrorCode, parseRetryAfter } from "../errors.js";
import { type HttpResponseInfo, ProviderHttp } from "../http.js";
import { Pacer, type PacerOptions, type QuotaWindow } from "../pacer.js";
import { countRepeat, hasMorePages, LoopGuard, pageFingerprint } from "../paging.js";
import { idAt, mapItems, parseItems, parseRecord, skippedRecord, timesAt, transcriptPartsSkipped } from "../records.js";
import type {
  CallPage,
  CallProviderClient,
  CallRecord,
  CallSample,
  ChangeWindow,
  ConnectedAccount,
  CredentialSession,
  ProviderCredentials,
  ProviderUser,
  SkippedRecord,
  TimeWindow,
  UserListing,
} from "../types.js";
import { type ConversationBundle, mapConversation, mapUser, type SalesloftMappingOptions } from "./mappers.js";
import {
  accountSchema,
  callDataRecordSchema,
  conversationSchema,
  extensiveConversationSchema,
  listEnvelopeOfAny,
  opportunitySchema,
  personSchema,
  type SalesloftConversation,
  type SalesloftExtensiveConversation,
  type SalesloftListEnvelope,
  type SalesloftSentence,
  sentenceSchema,
  singleEnvelope,
  teamSchema,
  userSchema,
} from "./schemas.js";

export const SALESLOFT_API_BASE_URL = "https://api.salesloft.com";
/** 600 cost points per minute per Salesloft team, shared by every integration of the team. */
export const SALESLOFT_QUOTA: QuotaWindow[] = [{ points: 600, duration: 60 }];
/** Salesloft's documented page size limit. */
export const SALESLOFT_MAX_PER_PAGE = 100;
/** Used when a 429 carries no Retry-After (its presence is not documented). */
export const SALESLOFT_DEFAULT_RETRY_AFTER_MS = 60_000;

/** Documented cost of a list request by page number: deep pages cost more. */
export function salesloftPageCost(page: number): number {
  if (page <= 100) return 1;
  if (page <= 150) return 3;
  if (page <= 250) return 8;
  if (page <= 500) return 10;
  return 30;
}

export function createSalesloftPacer(opts: PacerOptions = {}, quota: QuotaWindow[] = SALESLOFT_QUOTA): Pacer {
  return new Pacer("salesloft", quota, opts);
}

export interface SalesloftClientOptions extends SalesloftMappingOptions {
  session: CredentialSession;
  pacer: Pacer;
  /** The Salesloft team (all integrations of one team share its budget). */
  paceKey: string;
  /** REST API origin, default https://api.salesloft.com (the simulator's URL in tests). */
  apiBaseUrl?: string;
  /** Alias of apiBaseUrl. */
  baseUrl?: string;
  timeoutMs?: number;
  attempts?: number;
  maxInlineWaitMs?: number;
  /** Wait used when a 429 has no Retry-After; default 60 s. */
  defaultRetryAfterMs?: number;
  onWait?: (reason: "RATE_LIMIT" | "RETRY", untilMs: number) => void;
  /** The runner's lease: once aborted, the client sends nothing more (HttpClientOptions.signal). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Parallel `/extensive` and sentence requests per page (the pacer still bounds the rate). */
  concurrency?: number;
  /** How long opportunity/account/person/call-record lookups and the user directory are reused. */
  cacheTtlMs?: number;
}

/** Salesloft-specific reading of a non-2xx answer (bodies `{status, error}` or 422 `{errors: {field: [..]}}`). */
export function classifySalesloftResponse(
  res: Pick<HttpResponseInfo, "status" | "headers" | "body">,
  defaultRetryAfterMs = SALESLOFT_DEFAULT_RETRY_AFTER_MS,
  now = Date.now(),
): ProviderError {
  const { status } = res;
  const message = describeSalesloftError(res.body, status);
  const make = (code: ProviderErrorCode, extra: { retryAt?: number } = {}) =>
    new ProviderError(code, `Salesloft: ${message}`, { status, ...extra });
  if (status === 429) {
    const retryAt = parseRetryAfter(res.headers.get("retry-after"), now) ?? now + defaultRetryAfterMs;
    return make("RATE_LIMITED", { retryAt });
  }
  if (status === 401) return make("AUTH_FAILED");
  if (status === 403) return make("MISSING_SCOPE");
  if (status === 404) return make("NOT_FOUND");
  if (status === 408 || status >= 500) return make("PROVIDER_UNAVAILABLE");
  if (status >= 400) return make("BAD_REQUEST");
  return make("BAD_RESPONSE");
}

function describeSalesloftError(body: unknown, status: number): string {
  if (body && typeof body === "object") {
    const o = body as Record<string, unknown>;
    if (typeof o.error === "string") return `${status} ${o.error}`;
    if (o.errors && typeof o.errors === "object" && !Array.isArray(o.errors)) {
      const parts = Object.entries(o.errors as Record<string, unknown>).map(
        ([field, msgs]) => `${field} ${Array.isArray(msgs) ? msgs.join(", ") : String(msgs)}`,
      );
      return `${status} ${parts.join("; ")}`.slice(0, 300);
    }
  }
  if (typeof body === "string" && body.length > 0) return `${status} ${body.slice(0, 200)}`;
  return `HTTP ${status}`;
}

/**
 * Whether a list answer has another page: `metadata.paging.next_page` when Salesloft sent it,
 * else (real answers can come without paging) while the page is full.
 */
export function salesloftHasMore(res: SalesloftListEnvelope, perPage = SALESLOFT_MAX_PER_PAGE): boolean {
  const next = res.metadata?.paging?.next_page;
  return hasMorePages(next === undefined ? null : next !== null, res.data.length, perPage);
}

const rawId = idAt("guid", "id");

/**
 * The checkpoint: conversations created at or after `after`, minus `skip` (already returned at
 * that instant); `fp`/`r`: the last page's fingerprint and how often it came back in a row.
 */
const cursorSchema = z.object({
  v: z.literal(1),
  after: z.string(),
  skip: z.array(z.string()),
  page: z.number().int().min(1),
  fp: z.string().optional(),
  r: z.number().int().nonnegative().optional(),
});
type Cursor = z.infer<typeof cursorSchema>;

export function encodeSalesloftCursor(cursor: Cursor): string {
  return JSON.stringify(cursor);
}

/** An unreadable or older-version cursor restarts the window: imports are idempotent, so that is safe. */
export function decodeSalesloftCursor(raw: string | null, window: TimeWindow): Cursor {
  const start: Cursor = { v: 1, after: new Date(window.fromMs).toISOString(), skip: [], page: 1 };
  if (!raw) return start;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return start;
    const after = Date.parse(parsed.data.after);
    if (Number.isNaN(after) || after < window.fromMs) return start;
    return parsed.data;
  } catch {
    return start;
  }
}

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

class TtlCache<T> {
  private entries = new Map<string, { value: T; at: number }>();
  constructor(private readonly ttlMs: number) {}
  get(key: string): { value: T } | undefined {
    const e = this.entries.get(key);
    if (!e || Date.now() - e.at > this.ttlMs) return undefined;
    return { value: e.value };
  }
  set(key: string, value: T): void {
    this.entries.set(key, { value, at: Date.now() });
  }
}

const lookups = {
  opportunities: opportunitySchema,
  accounts: accountSchema,
  people: personSchema,
  call_data_records: callDataRecordSchema,
} as const;
type LookupPath = keyof typeof lookups;
type LookupRecord<P extends LookupPath> = z.infer<(typeof lookups)[P]>;

export function createSalesloftClient(options: SalesloftClientOptions): CallProviderClient {
  return new SalesloftClient(options);
}

class SalesloftClient implements CallProviderClient {
  readonly provider = "SALESLOFT" as const;
  private readonly http: ProviderHttp;
  private readonly base: string;
  private readonly concurrency: number;
  private readonly caches: { [P in LookupPath]: TtlCache<LookupRecord<P> | null> };
  private directoryCache: { users: ProviderUser[]; at: number } | null = null;

  constructor(private readonly options: SalesloftClientOptions) {
    this.base = (options.apiBaseUrl ?? options.baseUrl ?? SALESLOFT_API_BASE_URL).replace(/\/+$/, "");
    this.concurrency = options.concurrency ?? 4;
    const ttl = options.cacheTtlMs ?? 60 * 60_000;
    this.caches = {
      opportunities: new TtlCache(ttl),
      accounts: new TtlCache(ttl),
      people: new TtlCache(ttl),
      call_data_records: new TtlCache(ttl),
    };
    const defaultRetryAfterMs = options.defaultRetryAfterMs ?? SALESLOFT_DEFAULT_RETRY_AFTER_MS;
    this.http = new ProviderHttp({
      pacer: options.pacer,
      paceKey: options.paceKey,
      session: options.session,
      authorize: (c: ProviderCredentials) => ({
        authorization: `Bearer ${c.kind === "oauth" ? c.accessToken : c.apiKey}`,
      }),
      classify: (res) => classifySalesloftResponse(res, defaultRetryAfterMs),
      timeoutMs: options.timeoutMs,
      attempts: options.attempts,
      maxInlineWaitMs: options.maxInlineWaitMs,
      defaultRetryAfterMs,
      onWait: options.onWait,
      signal: options.signal,
      fetch: options.fetch,
    });
  }

  private async get<S extends z.ZodType>(
    path: string,
    schema: S,
    query: Record<string, string | number | boolean | string[] | undefined> = {},
  ): Promise<z.infer<S>> {
    const page = typeof query.page === "number" ? query.page : 1;
    const result = await this.http.json({
      method: "GET",
      url: `${this.base}${path}`,
      query,
      schema,
      cost: salesloftPageCost(page),
    });
    if (result === null) throw new ProviderError("BAD_RESPONSE", `Empty answer from ${path}`);
    return result;
  }

  async verify(): Promise<ConnectedAccount> {
    const me = await this.get("/v2/me", singleEnvelope(userSchema));
    let name: string | null = null;
    try {
      name = (await this.get("/v2/team", singleEnvelope(teamSchema))).data.name ?? null;
    } catch (e) {
      // The team name is cosmetic; a token without access to /v2/team still connects.
      if (!(e instanceof ProviderError) || (e.code !== "MISSING_SCOPE" && e.code !== "NOT_FOUND")) throw e;
    }
    const teamId = me.data.team?.id;
    if (!teamId) throw new ProviderError("BAD_RESPONSE", "Salesloft /v2/me has no team");
    return { accountId: teamId, name, authorizedBy: me.data.email ?? null };
  }

  async listUsers(): Promise<UserListing> {
    const users: ProviderUser[] = [];
    const skipped: SkippedRecord[] = [];
    const guard = new LoopGuard("page of users");
    for (let page = 1; ; page++) {
      const res = await this.get("/v2/users", listEnvelopeOfAny, { per_page: SALESLOFT_MAX_PER_PAGE, page });
      guard.page(res.data.map((u) => rawId(u) ?? ""));
      const parsed = parseItems(res.data, userSchema, "USER", rawId);
      users.push(...parsed.items.map(mapUser));
      skipped.push(...parsed.skipped);
      if (!salesloftHasMore(res)) break;
    }
    this.directoryCache = { users, at: Date.now() };
    return { users, skipped };
  }

  private async directory(): Promise<Map<string, ProviderUser>> {
    const ttl = this.options.cacheTtlMs ?? 60 * 60_000;
    const users =
      this.directoryCache && Date.now() - this.directoryCache.at <= ttl
        ? this.directoryCache.users
        : (await this.listUsers()).users;
    const byEmail = new Map<string, ProviderUser>();
    for (const u of users) if (u.email) byEmail.set(u.email.toLowerCase(), u);
    return byEmail;
  }

  listCallsPage(user: ProviderUser, window: TimeWindow, rawCursor: string | null): Promise<CallPage> {
    return this.listPage(user, "created_at", window, rawCursor);
  }

  /**
   * Conversations changed after the high-water mark, by `updated_at[gt]` sorted ascending (the
   * "cursor poller" of providers/salesloft.md §3): the same keyset walk as the created_at window,
   * so an edit made while paging moves its conversation to the end and is read there, not lost.
   */
  listChangedCallsPage(user: ProviderUser, window: ChangeWindow, rawCursor: string | null): Promise<CallPage> {
    return this.listPage(
      user,
      "updated_at",
      { fromMs: window.modifiedAfterMs, toMs: window.untilMs },
      rawCursor,
      window.fromMs,
    );
  }

  private async listPage(
    user: ProviderUser,
    field: "created_at" | "updated_at",
    window: TimeWindow,
    rawCursor: string | null,
    createdFromMs?: number,
  ): Promise<CallPage> {
    const cursor = decodeSalesloftCursor(rawCursor, window);
    const start = cursor.page === 1 && cursor.skip.length === 0 && Date.parse(cursor.after) === window.fromMs;
    const bounds =
      field === "created_at"
        ? { "created_at[gte]": cursor.after, "created_at[lt]": new Date(window.toMs).toISOString() }
        : // Strictly after the mark at first; then from the last seen instant, minus what was read at it.
          {
            ...(start ? { "updated_at[gt]": cursor.after } : { "updated_at[gte]": cursor.after }),
            ...(createdFromMs === undefined ? {} : { "created_at[gte]": new Date(createdFromMs).toISOString() }),
          };
    const res = await this.get("/v2/conversations", listEnvelopeOfAny, {
      "user_guids[]": [user.providerUserId],
      ...bounds,
      sort_by: field,
      sort_direction: "ASC",
      per_page: SALESLOFT_MAX_PER_PAGE,
      page: cursor.page,
    });
    const hasMore = salesloftHasMore(res);
    // The same page again (Salesloft ignoring `page`, or a keyset that does not move): bounded.
    const repeat = hasMore
      ? countRepeat(cursor, pageFingerprint(res.data.map((c) => rawId(c) ?? "")), "page of conversations")
      : null;
    const parsed = parseItems(res.data, conversationSchema, "CALL", rawId);
    const listed = parsed.items;
    const skip = new Set(cursor.skip);
    const fresh = listed.filter((c) => !skip.has(c.id));
    const { records: calls, skipped } = await this.enrich(fresh, user);

    let nextCursor: string | null = null;
    if (hasMore) {
      const lastRow = listed.at(-1) as SalesloftConversation | undefined;
      const last = (lastRow && (field === "created_at" ? lastRow.created_at : lastRow.updated_at)) || cursor.after;
      nextCursor =
        last === cursor.after
          ? // The whole page shares one instant: step to the next page of that instant.
            encodeSalesloftCursor({
              v: 1,
              after: last,
              skip: [...skip, ...fresh.map((c) => c.id)],
              page: cursor.page + 1,
              ...repeat,
            })
          : encodeSalesloftCursor({
              v: 1,
              after: last,
              skip: listed
                .filter((c) => (field === "created_at" ? c.created_at : c.updated_at) === last)
                .map((c) => c.id),
              page: 1,
              ...repeat,
            });
    }
    return { calls, skipped: [...parsed.skipped, ...skipped], nextCursor, total: null };
  }

  /**
   * One page of the users' conversations created in the window, with `include_paging_counts=true`
   * so `metadata.paging.total_count` counts them (absent in some answers: then the page is the sample).
   */
  async sampleCalls(users: ProviderUser[], window: TimeWindow): Promise<CallSample> {
    const res = await this.get("/v2/conversations", listEnvelopeOfAny, {
      "user_guids[]": users.map((u) => u.providerUserId),
      "created_at[gte]": new Date(window.fromMs).toISOString(),
      "created_at[lt]": new Date(window.toMs).toISOString(),
      sort_by: "created_at",
      sort_direction: "ASC",
      per_page: SALESLOFT_MAX_PER_PAGE,
      page: 1,
      include_paging_counts: true,
    });
    return {
      total: res.metadata?.paging?.total_count ?? null,
      startedAt: timesAt(res.data, "created_at"),
      more: salesloftHasMore(res),
    };
  }

  goneCallIds: string[] = [];

  async fetchCalls(providerCallIds: string[]): Promise<CallRecord[]> {
    const ids = [...new Set(providerCallIds)];
    const found: SalesloftConversation[] = [];
    const gone: string[] = [];
    for (const part of chunk(ids, SALESLOFT_MAX_PER_PAGE)) {
      const res = await this.get("/v2/conversations", listEnvelopeOfAny, {
        "ids[]": part,
        per_page: SALESLOFT_MAX_PER_PAGE,
        page: 1,
      });
      // An `ids[]` lookup returns every conversation that exists: one it leaves out was deleted.
      const returned = new Set(res.data.map((c) => rawId(c)));
      gone.push(...part.filter((id) => !returned.has(id)));
      // Follow-ups re-read calls already counted at import: what cannot be read stays as stored.
      found.push(...parseItems(res.data, conversationSchema, "CALL", rawId).items);
    }
    this.goneCallIds = gone;
    return (await this.enrich(found, null)).records;
  }

  private async enrich(
    conversations: SalesloftConversation[],
    owner: ProviderUser | null,
  ): Promise<{ records: CallRecord[]; skipped: SkippedRecord[] }> {
    if (conversations.length === 0) return { records: [], skipped: [] };
    const details = await mapLimit(conversations, this.concurrency, (c) => this.extensive(c));
    const skipped: SkippedRecord[] = [];
    const fetched: { conversation: SalesloftExtensiveConversation; extensive: boolean }[] = [];
    for (const d of details) {
      if ("skipped" in d) skipped.push(d.skipped);
      else fetched.push(d);
    }
    const full = fetched.map((f) => f.conversation);
    const [transcripts, opportunities, accounts, people, cdrs, usersByEmail] = await Promise.all([
      mapLimit(full, this.concurrency, async (c) => (c.transcription?.id ? this.sentences(c.transcription.id) : null)),
      this.lookup(
        "opportunities",
        full.map((c) => c.opportunity?.id),
      ),
      this.lookup(
        "accounts",
        full.map((c) => c.account?.id),
      ),
      this.lookup(
        "people",
        full.map((c) => c.person?.id),
      ),
      this.lookup(
        "call_data_records",
        full.map((c) => c.call_id),
      ),
      this.directory(),
    ]);
    if (owner?.email && !usersByEmail.has(owner.email.toLowerCase()))
      usersByEmail.set(owner.email.toLowerCase(), owner);
    const mapped = mapItems(
      full.map((c, i) => ({ c, i })),
      ({ c, i }) => {
        const bundle: ConversationBundle = {
          conversation: c,
          extensive: fetched[i]?.extensive ?? false,
          sentences: transcripts[i]?.sentences ?? null,
          opportunity: (c.opportunity?.id && opportunities.get(c.opportunity.id)) || null,
          account: (c.account?.id && accounts.get(c.account.id)) || null,
          person: (c.person?.id && people.get(c.person.id)) || null,
          callDataRecord: (c.call_id && cdrs.get(c.call_id)) || null,
          usersByEmail,
        };
        return mapConversation(bundle, this.options);
      },
      "CALL",
      ({ c }) => c.id,
    );
    // Sentences that could not be read were left out of their (stored) call's transcript: counted.
    const stored = new Set(mapped.records.map((r) => r.providerCallId));
    for (const [i, c] of full.entries()) {
      const t = transcripts[i];
      const partial = t && stored.has(c.id) ? transcriptPartsSkipped(c.id, t.unreadable, t.total, "sentences") : null;
      if (partial) skipped.push(partial);
    }
    return { records: mapped.records, skipped: [...skipped, ...mapped.skipped] };
  }

  /**
   * `/extensive`; tenants without the AI add-on answer 404, then the listed conversation is all
   * there is. A field `/extensive` leaves out is taken from the listed conversation (next best);
   * a detail that still cannot be read skips that conversation, with its id and the reason.
   */
  private async extensive(
    c: SalesloftConversation,
  ): Promise<{ conversation: SalesloftExtensiveConversation; extensive: boolean } | { skipped: SkippedRecord }> {
    let raw: unknown;
    try {
      raw = (await this.get(`/v2/conversations/${encodeURIComponent(c.id)}/extensive`, singleEnvelope(z.unknown())))
        .data;
    } catch (e) {
      if (e instanceof ProviderError && e.code === "NOT_FOUND") return { conversation: c, extensive: false };
      throw e;
    }
    const withListed = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? { ...c, ...raw } : raw;
    const parsed = parseRecord(withListed, extensiveConversationSchema);
    if (parsed.ok) return { conversation: parsed.value, extensive: true };
    return {
      skipped: skippedRecord(
        "CALL",
        c.id,
        parsed.reasonCode,
        `The provider's call details (/extensive) could not be read: ${parsed.detail}`,
      ),
    };
  }

  /**
   * All sentences of a transcription, with the ones that could not be read (left out, counted
   * by the caller); null when Salesloft does not have them (yet).
   */
  private async sentences(
    transcriptionId: string,
  ): Promise<{ sentences: SalesloftSentence[]; unreadable: SkippedRecord[]; total: number } | null> {
    const sentences: SalesloftSentence[] = [];
    const unreadable: SkippedRecord[] = [];
    let total = 0;
    const guard = new LoopGuard("page of transcript sentences");
    try {
      for (let page = 1; ; page++) {
        const res = await this.get(
          `/v2/transcriptions/${encodeURIComponent(transcriptionId)}/sentences`,
          listEnvelopeOfAny,
          { per_page: SALESLOFT_MAX_PER_PAGE, page },
        );
        // Sentences carry the transcription's id, not their own: a page is told by its text and times.
        guard.page(res.data.map((x) => JSON.stringify(x)));
        const parsed = parseItems(res.data, sentenceSchema, "TRANSCRIPT", () => transcriptionId, "sentence");
        sentences.push(...parsed.items);
        unreadable.push(...parsed.skipped);
        total += res.data.length;
        if (!salesloftHasMore(res)) break;
      }
    } catch (e) {
      if (e instanceof ProviderError && e.code === "NOT_FOUND") return null;
      throw e;
    }
    return { sentences, unreadable, total };
  }

  /** Batched `ids[]` lookups on a list endpoint, through the cache; ids Salesloft does not return map to null. */
  private async lookup<P extends LookupPath>(
    path: P,
    rawIds: (string | null | undefined)[],
  ): Promise<Map<string, LookupRecord<P> | null>> {
    const cache = this.caches[path] as TtlCache<LookupRecord<P> | null>;
    const ids = [...new Set(rawIds.filter((id): id is string => !!id))];
    const out = new Map<string, LookupRecord<P> | null>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = cache.get(id);
      if (hit) out.set(id, hit.value);
      else missing.push(id);
    }
    for (const part of chunk(missing, SALESLOFT_MAX_PER_PAGE)) {
      const res = await this.get(`/v2/${path}`, listEnvelopeOfAny, {
        "ids[]": part,
        per_page: SALESLOFT_MAX_PER_PAGE,
        page: 1,
      });
      // A linked record of an unexpected shape counts as not found: the call keeps its other ids.
      const records = parseItems(res.data, lookups[path], "CALL", rawId).items as LookupRecord<P>[];
      const byId = new Map(records.map((r) => [String(r.id), r]));
      for (const id of part) {
        const record = byId.get(id) ?? null;
        cache.set(id, record);
        out.set(id, record);
      }
    }
    return out;
  }
}
