/**
 * Gong API v2 client: the same code against api.gong.io, a customer's own API host and the
 * simulator; only base URLs differ.
 *
 * Request budget. One page of a user's calls costs exactly two requests: POST
 * /v2/calls/extensive (metadata, parties, CRM context, brief, key points, action items; 100
 * calls per page, Gong's fixed page size) and POST /v2/calls/transcript for those ≤ 100 call
 * ids. Users cost one GET /v2/users per 100 users. So importing U users owning C_u calls each
 * costs ⌈U/100⌉ + Σ_u 2·⌈C_u/100⌉ requests (an empty range costs one: Gong's 404 "No calls
 * found" is read as an empty page, no transcript request follows).
 *
 * Page cursor (opaque to the engine; a small versioned JSON string):
 *   {v:1, c: Gong cursor | null, from: ms the Gong cursor's request started at,
 *    at: started-ms of the last call already returned | null, ids: ids returned with started == at,
 *    fp/r: fingerprint of the last page and how often it came back in a row (paging.ts)}
 * Gong cursors are signed and expire. When Gong answers "cursor has expired" (or cannot verify
 * it), the window is re-queried from `at` — the last fully processed call's start, not the
 * window start — and calls in `ids` are dropped, so nothing is returned twice or skipped
 * (Gong lists calls in ascending start order).
 */
import { z } from "zod";
import { ProviderError } from "../errors.js";
import { type Classifier, describeBody, type HttpResponseInfo, ProviderHttp } from "../http.js";
import { Pacer, type PacerOptions, type QuotaWindow, slotIntervalMs } from "../pacer.js";
import { countRepeat, LoopGuard, pageFingerprint } from "../paging.js";
import {
  idAt,
  mapItems,
  parseItems,
  parseRecord,
  timesAt,
  transcriptPartsSkipped,
  transcriptSkipped,
} from "../records.js";
import type {
  CallPage,
  CallProviderClient,
  CallRecord,
  CallSample,
  ConnectedAccount,
  CredentialSession,
  ProviderCredentials,
  ProviderUser,
  SkippedRecord,
  TimeWindow,
  UserListing,
} from "../types.js";
import { mapCall, mapUser } from "./mappers.js";
import {
  type GongCallData,
  type GongCallTranscript,
  gongCallData,
  gongCallsEnvelope,
  gongCallTranscriptEnvelope,
  gongMonologue,
  gongTranscriptsEnvelope,
  gongUser,
  gongUsersEnvelope,
  gongWorkspacesResponse,
} from "./schemas.js";

export const GONG_API_BASE_URL = "https://api.gong.io";

/** Gong's documented default: 3 requests per second and 10,000 per day per company. */
export const GONG_QUOTA: QuotaWindow[] = [
  { points: 3, duration: 1 },
  { points: 10_000, duration: 86_400 },
];

/** Gong returns calls and transcripts 100 per page and accepts at most 100 ids per filter we send. */
export const GONG_BATCH_SIZE = 100;

/**
 * Spacing of two requests of one Gong account, across all its jobs and processes: Gong's 3 per
 * second plus 10 % (the shared Pacer's slots; see pacer.ts for why spacing, not windows).
 */
export const GONG_MIN_INTERVAL_MS = slotIntervalMs(GONG_QUOTA);

export function createGongPacer(options: PacerOptions & { quota?: QuotaWindow[] } = {}): Pacer {
  const { quota, ...rest } = options;
  return new Pacer("gong", quota ?? GONG_QUOTA, rest);
}

/** What /v2/calls/extensive is asked to expose: everything a call record needs, no media. */
export const GONG_CONTENT_SELECTOR = {
  context: "Extended",
  contextTiming: ["Now", "TimeOfCall"],
  exposedFields: {
    parties: true,
    content: {
      structure: false,
      topics: true,
      trackers: false,
      trackerOccurrences: false,
      pointsOfInterest: true,
      brief: true,
      outline: false,
      highlights: false,
      callOutcome: false,
      keyPoints: true,
    },
    interaction: { speakers: true, video: false, personInteractionStats: false, questions: false },
    collaboration: { publicComments: false },
    media: false,
  },
} as const;

const NO_CALLS = /no calls found corresponding to the provided filters/i;
const CURSOR_DEAD = /cursor has expired|failed to verify cursor/i;
const MISSING_SCOPE = /permission to use/i;

function messages(body: unknown): string {
  return describeBody(body);
}

/**
 * Gong specifics on top of the shared status classification:
 * - 404 "No calls found corresponding to the provided filters" is an empty result;
 * - "cursor has expired" / "failed to verify cursor" (any status) → CURSOR_EXPIRED;
 * - 403 (documented for users/workspaces: insufficient permission) → ACCESS_DENIED, no refresh.
 * A 401 stays AUTH_FAILED here so the token is refreshed once; see `finalizeGongError`.
 */
export const classifyGongResponse: Classifier = (res: HttpResponseInfo) => {
  const message = messages(res.body);
  if (res.status === 404 && NO_CALLS.test(message)) return "empty";
  if (CURSOR_DEAD.test(message)) return new ProviderError("CURSOR_EXPIRED", message, { status: res.status });
  if (res.status === 403) return new ProviderError("ACCESS_DENIED", message, { status: res.status });
  return null;
};

/**
 * Applied to what leaves ProviderHttp, i.e. after its one refresh: a 401 that still names a
 * permission ("You don't have permission to use 'api:…' in your app.") is a missing scope,
 * not a revoked token.
 */
export function finalizeGongError(e: unknown): unknown {
  if (
    e instanceof ProviderError &&
    e.code === "AUTH_FAILED" &&
    e.details.status === 401 &&
    MISSING_SCOPE.test(e.message)
  )
    return new ProviderError("MISSING_SCOPE", e.message, { status: 401, cause: e });
  return e;
}

const pageCursor = z.object({
  v: z.literal(1),
  c: z.string().nullable(),
  from: z.number(),
  at: z.number().nullable(),
  ids: z.array(z.string()),
  fp: z.string().optional(),
  r: z.number().int().nonnegative().optional(),
});
type PageCursor = z.infer<typeof pageCursor>;

export function encodePageCursor(state: PageCursor): string {
  return JSON.stringify(state);
}

export function decodePageCursor(cursor: string): PageCursor {
  try {
    return pageCursor.parse(JSON.parse(cursor));
  } catch (e) {
    throw new ProviderError("BAD_REQUEST", "Unreadable Gong page cursor", { cause: e });
  }
}

export interface GongClientOptions {
  session: CredentialSession;
  pacer: Pacer;
  paceKey: string;
  /** Used when the credentials carry no api_base_url_for_customer (access keys). */
  baseUrl?: string;
  timeoutMs?: number;
  /** Attempts for transient failures (default 4). */
  attempts?: number;
  /** A rate limit longer than this is surfaced as RATE_LIMITED instead of waited for. */
  maxInlineWaitMs?: number;
  onWait?: (reason: "RATE_LIMIT" | "RETRY", untilMs: number) => void;
  /** The runner's lease: once aborted, the client sends nothing more (HttpClientOptions.signal). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** Access tokens closer than this to their expiry are refreshed before use. */
const REFRESH_AHEAD_MS = 60_000;

function authorize(credentials: ProviderCredentials): Record<string, string> {
  if (credentials.kind === "oauth") return { authorization: `Bearer ${credentials.accessToken}` };
  const basic = Buffer.from(`${credentials.apiKey}:${credentials.apiSecret}`).toString("base64");
  return { authorization: `Basic ${basic}` };
}

const iso = (ms: number) => new Date(ms).toISOString();

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createGongClient(options: GongClientOptions): CallProviderClient {
  const http = new ProviderHttp({
    pacer: options.pacer,
    paceKey: options.paceKey,
    session: options.session,
    authorize,
    classify: classifyGongResponse,
    timeoutMs: options.timeoutMs,
    attempts: options.attempts,
    maxInlineWaitMs: options.maxInlineWaitMs,
    onWait: options.onWait,
    signal: options.signal,
    fetch: options.fetch,
  });

  async function base(): Promise<string> {
    const credentials = await options.session.current();
    const url = (credentials.kind === "oauth" ? credentials.apiBaseUrl : null) ?? options.baseUrl ?? GONG_API_BASE_URL;
    return url.replace(/\/+$/, "");
  }

  /** Refreshes ahead of a known expiry, so a sync does not spend a 401 round trip on it. */
  async function ensureFresh(): Promise<void> {
    const credentials = await options.session.current();
    if (credentials.kind === "oauth" && credentials.expiresAt !== null && credentials.refreshToken)
      if (credentials.expiresAt - Date.now() < REFRESH_AHEAD_MS) await options.session.refresh(credentials);
  }

  async function request<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    schema: S,
    extra: { query?: Record<string, string | undefined>; json?: unknown } = {},
  ): Promise<z.infer<S> | null> {
    try {
      await ensureFresh();
      return await http.json({ method, url: `${await base()}${path}`, schema, ...extra });
    } catch (e) {
      const final = finalizeGongError(e);
      if (
        final instanceof ProviderError &&
        final.code === "AUTH_FAILED" &&
        (await options.session.current()).kind === "apiKey"
      )
        throw new ProviderError("INVALID_API_CREDENTIALS", "Gong rejected the access key", {
          ...final.details,
          cause: final,
        });
      throw final;
    }
  }

  async function extensivePage(filter: Record<string, unknown>, cursor: string | null) {
    return request("POST", "/v2/calls/extensive", gongCallsEnvelope, {
      json: { filter, contentSelector: GONG_CONTENT_SELECTOR, ...(cursor ? { cursor } : {}) },
    });
  }

  /**
   * Transcripts of `callIds`, ≤ 100 ids per request; calls without one are absent from `found`.
   * A monologue that cannot be read is left out and a transcript that cannot be read at all is
   * absent (the call waits for it like one not transcribed yet); `skipped` says which, per call.
   */
  async function transcripts(
    callIds: string[],
  ): Promise<{ found: Map<string, GongCallTranscript>; skipped: Map<string, SkippedRecord> }> {
    const found = new Map<string, GongCallTranscript>();
    const skipped = new Map<string, SkippedRecord>();
    for (const batch of chunks(callIds, GONG_BATCH_SIZE)) {
      const guard = new LoopGuard("page of transcripts");
      let cursor: string | null = null;
      do {
        const res: z.infer<typeof gongTranscriptsEnvelope> | null = await request(
          "POST",
          "/v2/calls/transcript",
          gongTranscriptsEnvelope,
          {
            json: { filter: { callIds: batch }, ...(cursor ? { cursor } : {}) },
          },
        );
        if (!res) break;
        cursor = res.records?.cursor ?? null;
        guard.page(
          res.callTranscripts.map((t) => transcriptIdOf(t) ?? ""),
          cursor,
        );
        for (const raw of res.callTranscripts) {
          const id = transcriptIdOf(raw);
          if (!id) continue;
          const read = parseRecord(raw, gongCallTranscriptEnvelope);
          if (!read.ok) {
            skipped.set(id, transcriptSkipped(id, read.reasonCode, read.detail));
            continue;
          }
          const monologues = parseItems(read.value.transcript, gongMonologue, "TRANSCRIPT", () => id, "monologue");
          found.set(id, { ...read.value, transcript: monologues.items });
          const partial = transcriptPartsSkipped(id, monologues.skipped, read.value.transcript.length, "monologues");
          if (partial) skipped.set(id, partial);
        }
      } while (cursor);
    }
    return { found, skipped };
  }

  /**
   * Calls with their transcripts; a call the contract cannot take (no start time) is skipped, and
   * a stored call whose transcript could not be read (in part or whole) is counted as TRANSCRIPT.
   */
  async function enrich(
    calls: GongCallData[],
    owner?: ProviderUser,
  ): Promise<{ records: CallRecord[]; skipped: SkippedRecord[] }> {
    if (calls.length === 0) return { records: [], skipped: [] };
    const read = await transcripts(calls.map((c) => c.metaData.id));
    const mapped = mapItems(
      calls,
      (c) => mapCall(c, read.found.get(c.metaData.id) ?? null, owner ? { owner } : {}),
      "CALL",
      (c) => c.metaData.id,
    );
    const transcriptSkips = mapped.records.flatMap((r) => read.skipped.get(r.providerCallId) ?? []);
    return { records: mapped.records, skipped: [...mapped.skipped, ...transcriptSkips] };
  }

  const callIdOf = idAt("metaData.id");
  /** One recorded response spells it `callid` (amp-labs fixture). */
  const transcriptIdOf = idAt("callId", "callid");

  const client: CallProviderClient = {
    provider: "GONG",

    async verify(): Promise<ConnectedAccount> {
      const res = await request("GET", "/v2/workspaces", gongWorkspacesResponse);
      const first = res?.workspaces[0];
      if (!first) throw new ProviderError("BAD_RESPONSE", "Gong returned no workspace for this account");
      return { accountId: first.id, name: first.name ?? null, authorizedBy: null };
    },

    async listUsers(): Promise<UserListing> {
      const users: ProviderUser[] = [];
      const skipped: SkippedRecord[] = [];
      const guard = new LoopGuard("page of users");
      let cursor: string | undefined;
      do {
        const res = await request("GET", "/v2/users", gongUsersEnvelope, { query: { cursor } });
        if (!res) break;
        cursor = res.records?.cursor ?? undefined;
        guard.page(
          res.users.map((u) => idAt("id")(u) ?? ""),
          cursor ?? null,
        );
        const page = parseItems(res.users, gongUser, "USER", idAt("id"));
        users.push(...page.items.map(mapUser));
        skipped.push(...page.skipped);
      } while (cursor);
      return { users, skipped };
    },

    async listCallsPage(user: ProviderUser, window: TimeWindow, cursor: string | null): Promise<CallPage> {
      let state: PageCursor = cursor
        ? decodePageCursor(cursor)
        : { v: 1, c: null, from: window.fromMs, at: null, ids: [] };
      const filter = (from: number) => ({
        fromDateTime: iso(from),
        toDateTime: iso(window.toMs),
        primaryUserIds: [user.providerUserId],
      });
      let res: z.infer<typeof gongCallsEnvelope> | null;
      try {
        res = await extensivePage(filter(state.from), state.c);
      } catch (e) {
        if (!(e instanceof ProviderError && e.code === "CURSOR_EXPIRED" && state.c !== null)) throw e;
        state = { ...state, c: null, from: state.at ?? state.from };
        res = await extensivePage(filter(state.from), null);
      }
      if (!res) return { calls: [], nextCursor: null, total: state.at === null ? 0 : null };

      const next = res.records?.cursor ?? null;
      // The same page again (a cursor Gong hands back unchanged): counted, bounded (paging.ts).
      const repeat = next
        ? countRepeat(
            state,
            pageFingerprint(
              res.calls.map((c) => callIdOf(c) ?? ""),
              next,
            ),
            "page of calls",
          )
        : null;
      const parsed = parseItems(res.calls, gongCallData, "CALL", callIdOf);
      const done = new Set(state.ids);
      const fresh = parsed.items.filter((c) => !done.has(c.metaData.id));
      const { records: calls, skipped } = await enrich(fresh, user);

      let at = state.at;
      let ids = state.ids;
      for (const c of calls) {
        if (at === null || c.startedAt > at) {
          at = c.startedAt;
          ids = [];
        }
        if (c.startedAt === at) ids = [...ids, c.providerCallId];
      }
      return {
        calls,
        skipped: [...parsed.skipped, ...skipped],
        nextCursor: next ? encodePageCursor({ v: 1, c: next, from: state.from, at, ids, ...repeat }) : null,
        total: res.records?.totalRecords ?? null,
      };
    },

    /**
     * `/v2/calls/extensive` for the users' ids without a content selector: metadata only, and
     * `records.totalRecords` counts the window (`GET /v2/calls` counts too, but cannot filter by
     * host). No calls is Gong's 404 "No calls found", read as a total of 0.
     */
    async sampleCalls(users: ProviderUser[], window: TimeWindow): Promise<CallSample> {
      const res = await request("POST", "/v2/calls/extensive", gongCallsEnvelope, {
        json: {
          filter: {
            fromDateTime: iso(window.fromMs),
            toDateTime: iso(window.toMs),
            primaryUserIds: users.map((u) => u.providerUserId),
          },
        },
      });
      if (!res) return { total: 0, startedAt: [], more: false };
      return {
        total: res.records?.totalRecords ?? null,
        startedAt: timesAt(res.calls, "metaData.started", "metaData.scheduled"),
        more: Boolean(res.records?.cursor),
      };
    },

    async fetchCalls(providerCallIds: string[]): Promise<CallRecord[]> {
      const records: CallRecord[] = [];
      for (const batch of chunks([...new Set(providerCallIds)], GONG_BATCH_SIZE)) {
        const calls: GongCallData[] = [];
        const guard = new LoopGuard("page of calls");
        let cursor: string | null = null;
        do {
          const res: z.infer<typeof gongCallsEnvelope> | null = await extensivePage({ callIds: batch }, cursor);
          if (!res) break;
          cursor = res.records?.cursor ?? null;
          guard.page(
            res.calls.map((c) => callIdOf(c) ?? ""),
            cursor,
          );
          // Follow-ups re-read calls already counted at import: what cannot be read stays as stored.
          calls.push(...parseItems(res.calls, gongCallData, "CALL", callIdOf).items);
        } while (cursor);
        records.push(...(await enrich(calls)).records);
      }
      return records;
    },
  };
  return client;
}
