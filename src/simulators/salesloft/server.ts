/**
 * A Salesloft simulator speaking the REST API v2 subset callsync uses, plus the OAuth
 * authorize/token endpoints of accounts.salesloft.com (one server plays both hosts).
 *
 * Reproduced: Bearer auth (`{"status":401,"error":"Unauthorized"}`), the list envelope with
 * `metadata.paging` (with `total_count`/`total_pages` when `include_paging_counts=true`),
 * `page`/`per_page` (1–100), `ids[]`/`user_guids[]` (with or without `[]`),
 * `created_at[...]`/`updated_at[...]` filters, `sort_by`/`sort_direction`, the `.json` suffix,
 * the cost-based team quota (600/min documented; deep pages cost more) with
 * `x-ratelimit-endpoint-cost` / `x-ratelimit-remaining-minute`, 429s, error bodies, and the
 * conversation lifecycle against the SimClock: listed once `created_at` has passed, transcript
 * after `transcriptDelayMs`, AI blocks after `aiDelayMs` (both bump `updated_at`).
 *
 * Switches for undocumented behaviour ([I] in the provider notes):
 * - `behaviours.sendRetryAfter`: whether a 429 carries Retry-After.
 * - `switches.pendingStatus`: the `status` an unfinished AI block shows; `switches.pendingAiAs`:
 *   whether an unfinished block is sent with that status ("status") or as `null` ("null").
 * - `switches.extensiveNotFound`: `/extensive` answers 404 (tenant without the AI add-on).
 * - `switches.transcriptDelayMs` / `aiDelayMs`: availability delays (not documented; default 15/30 min).
 * - `switches.listPaging`: "omitted" sends list answers without `metadata.paging` (seen in real answers).
 * - `switches.repeatPages`: every list request answers page 1 again, claiming a next page.
 * - `oauth.accessTokenTtlSeconds`: token lifetime (default 7200, the usual observation).
 */
import { type Context, Hono } from "hono";
import { consentDecision, consentPage } from "../consent.js";
import { mountControls } from "../controls.js";
import {
  Behaviours,
  behaviourMiddleware,
  type ConsentOutcome,
  listen,
  OAuthTokenStore,
  quotaResponse,
  RequestLog,
  SimClock,
} from "../kit.js";
import { defaultScenario } from "../scenario.js";
import {
  generateSalesloftDataset,
  type SalesloftConversationPayload,
  type SalesloftDataset,
  salesloftTime,
} from "./dataset.js";
import { SalesloftWebhooks } from "./webhooks.js";

/** Documented team budget. */
export const SALESLOFT_SIM_QUOTA = [{ points: 600, duration: 60 }];

export interface SalesloftSwitches {
  transcriptDelayMs: number;
  aiDelayMs: number;
  pendingStatus: string;
  pendingAiAs: "status" | "null";
  extensiveNotFound: boolean;
  /**
   * [S] Whether list answers carry `metadata.paging`: real `/v2/users` answers were recorded
   * without it ("omitted"), so a client must page on full pages alone.
   */
  listPaging: "metadata" | "omitted";
  /** A misbehaving provider: every list request answers its first page again (and says there is more). */
  repeatPages: boolean;
}

export interface SalesloftSimState {
  dataset: SalesloftDataset;
  behaviours: Behaviours;
  log: RequestLog;
  oauth: OAuthTokenStore;
  clock: SimClock;
  switches: SalesloftSwitches;
  clientId: string;
  clientSecret: string;
  /** User-generated API keys (also sent as Bearer). */
  apiKeys: Set<string>;
}

export interface SalesloftSimulatorOptions {
  dataset?: SalesloftDataset;
  port?: number;
  clock?: SimClock;
  clientId?: string;
  clientSecret?: string;
  switches?: Partial<SalesloftSwitches>;
}

export interface SalesloftSimulator {
  url: string;
  port: number;
  behaviours: Behaviours;
  log: RequestLog;
  oauth: OAuthTokenStore;
  clock: SimClock;
  dataset: SalesloftDataset;
  switches: SalesloftSwitches;
  apiKeys: Set<string>;
  clientId: string;
  clientSecret: string;
  /** Webhook subscriptions that deliver conversation events (webhooks.ts). */
  webhooks: SalesloftWebhooks;
  /**
   * Deletes a conversation: no longer listed, 404 by id, left out of `ids[]` lookups; webhook
   * subscriptions deliver `conversation_deleted`. False when unknown.
   */
  deleteConversation(id: string): boolean;
  close(): Promise<void>;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
const errorBody = (status: number) => ({ status, error: STATUS_TEXT[status] ?? "Error" });

/** Documented cost of a request by page number. */
export function pageCost(page: number): number {
  if (page <= 100) return 1;
  if (page <= 150) return 3;
  if (page <= 250) return 8;
  if (page <= 500) return 10;
  return 30;
}

const EXTENSIVE_ONLY = [
  "owner_email",
  "opportunity",
  "summary",
  "action_items",
  "key_moments",
  "attendees",
  "invitees",
  "meddpicc",
] as const;

class Query {
  constructor(private readonly url: URL) {}
  /** `name[]=a&name[]=b` or `name=a,b` / repeated `name`. */
  multi(name: string): string[] | null {
    const values = [...this.url.searchParams.getAll(`${name}[]`), ...this.url.searchParams.getAll(name)];
    if (values.length === 0) return null;
    return values.flatMap((v) => v.split(",")).filter((v) => v.length > 0);
  }
  get(name: string): string | null {
    return this.url.searchParams.get(name);
  }
  /** Applies `field[gt|gte|lt|lte]` filters; returns an error message for unreadable values. */
  timeFilter(field: string): ((iso: string | null | undefined) => boolean) | string {
    const checks: ((ms: number) => boolean)[] = [];
    for (const op of ["gt", "gte", "lt", "lte"] as const) {
      const raw = this.get(`${field}[${op}]`);
      if (raw === null) continue;
      const bound = Date.parse(raw);
      if (Number.isNaN(bound)) return `${field}[${op}] is not a valid date-time`;
      checks.push(
        op === "gt"
          ? (ms) => ms > bound
          : op === "gte"
            ? (ms) => ms >= bound
            : op === "lt"
              ? (ms) => ms < bound
              : (ms) => ms <= bound,
      );
    }
    return (iso) => {
      if (checks.length === 0) return true;
      const ms = iso ? Date.parse(iso) : Number.NaN;
      return !Number.isNaN(ms) && checks.every((f) => f(ms));
    };
  }
}

export function createSalesloftApp(state: SalesloftSimState): Hono {
  const app = new Hono();
  /** `switches.repeatPages`: the first answer of each listing, served again. */
  const repeated = new Map<string, unknown>();
  mountControls(app, {
    provider: "Salesloft",
    behaviours: state.behaviours,
    users: () => state.dataset.users.map((u) => ({ email: u.email, name: u.name })),
  });
  app.use("*", behaviourMiddleware(state.behaviours, state.log, errorBody));
  const meter = { windowStart: 0, used: 0 };

  const authorize = (c: Context, q: Record<string, string>, outcome?: ConsentOutcome) => {
    const redirectUri = q.redirect_uri;
    if (q.client_id !== state.clientId || !redirectUri || q.response_type !== "code")
      return c.json({ error: "invalid_request", error_description: "Unknown client or missing parameters" }, 400);
    const scope = "conversations:read users:read opportunities:read accounts:read people:read calls:read";
    if (!outcome && state.oauth.consentPage)
      return consentPage(c, {
        provider: "Salesloft",
        company: state.dataset.team.name ?? "your team",
        scope,
        adminEmail: state.oauth.consentingUser,
        query: q,
      });
    const target = state.oauth.consentRedirect({
      redirectUri,
      state: q.state ?? "",
      clientId: state.clientId,
      grant: { accountId: String(state.dataset.team.id), scope },
      codeChallenge: q.code_challenge,
      codeChallengeMethod: q.code_challenge_method,
      outcome,
    });
    if (target.searchParams.has("code")) {
      target.searchParams.set("context", `/teams/${state.dataset.team.id}`);
      target.searchParams.set("scope", scope);
    }
    return c.redirect(target.toString(), 302);
  };
  app.get("/oauth/authorize", (c) => authorize(c, c.req.query()));
  app.post("/oauth/authorize", async (c) => {
    const { query, outcome } = await consentDecision(c);
    return authorize(c, query, outcome);
  });

  app.post("/oauth/token", async (c) => {
    const type = c.req.header("content-type") ?? "";
    const raw = await c.req.text();
    let body: Record<string, string> = {};
    if (type.includes("json")) {
      try {
        body = JSON.parse(raw) as Record<string, string>;
      } catch {
        return c.json({ error: "invalid_request", error_description: "Malformed JSON" }, 400);
      }
    } else body = Object.fromEntries(new URLSearchParams(raw));
    const basic = c.req.header("authorization");
    if (basic?.startsWith("Basic ")) {
      const [id, secret] = Buffer.from(basic.slice(6), "base64").toString().split(":");
      body.client_id ??= decodeURIComponent(id ?? "");
      body.client_secret ??= decodeURIComponent(secret ?? "");
    }
    if (body.client_id !== state.clientId || body.client_secret !== state.clientSecret)
      return c.json(
        {
          error: "invalid_client",
          error_description:
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        },
        401,
      );
    const invalidGrant = () =>
      c.json(
        {
          error: "invalid_grant",
          error_description:
            "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
        },
        400,
      );
    let grant: ReturnType<OAuthTokenStore["redeemCode"]>;
    if (body.grant_type === "authorization_code") {
      grant = state.oauth.redeemCode(body.code ?? "", state.clientId, body.redirect_uri, body.code_verifier);
    } else if (body.grant_type === "refresh_token") {
      grant = state.oauth.redeemRefresh(body.refresh_token ?? "");
    } else
      return c.json({ error: "unsupported_grant_type", error_description: "The grant type is not supported." }, 400);
    if (grant === "invalid_grant") return invalidGrant();
    const tokens = state.oauth.issueTokens(grant);
    return c.json({
      access_token: tokens.accessToken,
      token_type: "bearer",
      expires_in: tokens.expiresIn,
      refresh_token: tokens.refreshToken,
      scope: grant.scope,
      created_at: Math.floor(Date.now() / 1000),
    });
  });

  app.get("/v2/*", async (c) => {
    const authorization = c.req.header("authorization");
    const apiKey = authorization?.startsWith("Bearer ") ? authorization.slice(7) : null;
    let userEmail: string | null = null;
    if (apiKey && state.apiKeys.has(apiKey)) userEmail = state.dataset.users[0]?.email ?? null;
    else {
      const entry = state.oauth.check(authorization);
      if (typeof entry === "string") return c.json(errorBody(401), 401);
      userEmail = entry.userEmail;
    }

    const url = new URL(c.req.url);
    const query = new Query(url);
    const page = Number(query.get("page") ?? "1");
    const perPage = Number(query.get("per_page") ?? "25");
    const cost = pageCost(Number.isFinite(page) ? page : 1);
    const key = `team:${state.dataset.team.id}`;
    const limited = quotaResponse(c, state.behaviours, key, cost, errorBody(429));
    const rule = state.behaviours.quota?.[0] ?? SALESLOFT_SIM_QUOTA[0];
    const now = Date.now();
    if (!meter.windowStart || now - meter.windowStart >= (rule?.duration ?? 60) * 1000) {
      meter.windowStart = now;
      meter.used = 0;
    }
    if (limited) {
      limited.headers.set("x-ratelimit-endpoint-cost", String(cost));
      limited.headers.set("x-ratelimit-remaining-minute", String(Math.max(0, (rule?.points ?? 600) - meter.used)));
      return limited;
    }
    meter.used += cost;
    c.header("x-ratelimit-endpoint-cost", String(cost));
    c.header("x-ratelimit-remaining-minute", String(Math.max(0, (rule?.points ?? 600) - meter.used)));

    if (!Number.isInteger(page) || page < 1) return c.json({ errors: { page: ["must be greater than 0"] } }, 422);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100)
      return c.json({ errors: { per_page: ["must be between 1 and 100"] } }, 422);

    const segments = url.pathname
      .replace(/^\/v2\//, "")
      .replace(/\.json$/, "")
      .split("/")
      .filter(Boolean)
      .map(decodeURIComponent);
    // Repeats hit the two listings a client pages through (users, conversations), not lookups by id.
    const listing = segments.length === 1 && (segments[0] === "users" || segments[0] === "conversations");
    const modes = {
      omitPaging: state.switches.listPaging === "omitted",
      counts: query.get("include_paging_counts") === "true",
      repeat: state.switches.repeatPages && listing && query.multi("ids") === null,
    };
    if (!modes.repeat) return route(c, state, segments, query, { page, perPage, ...modes }, userEmail);
    // The listing's first answer, served again whatever the page or keyset asked for.
    const listingKey = `${segments[0]}:${query.multi("user_guids")?.join(",") ?? ""}`;
    let first = repeated.get(listingKey);
    if (!first) {
      const res = route(c, state, segments, query, { page, perPage, ...modes }, userEmail);
      if (!res.ok) return res;
      first = await res.json();
      repeated.set(listingKey, first);
    }
    return c.json(first as object);
  });

  app.all("*", (c) => c.json(errorBody(404), 404));
  return app;
}

interface Paging {
  page: number;
  perPage: number;
  /** `switches.listPaging === "omitted"`: no `metadata.paging` in the answer. */
  omitPaging?: boolean;
  /** `include_paging_counts=true`: `total_count` and `total_pages` in `metadata.paging`. */
  counts?: boolean;
  /** `switches.repeatPages`: page 1 again, whatever was asked, with a next page. */
  repeat?: boolean;
}

function list<T>(c: Context, items: T[], paging: Paging, sorting: { sort_by: string; sort_direction: string }) {
  const start = paging.repeat ? 0 : (paging.page - 1) * paging.perPage;
  const data = items.slice(start, start + paging.perPage);
  const hasNext = paging.repeat || start + paging.perPage < items.length;
  if (paging.omitPaging) return c.json({ metadata: { filtering: {}, sorting }, data });
  return c.json({
    metadata: {
      filtering: {},
      paging: {
        per_page: paging.perPage,
        current_page: paging.page,
        next_page: hasNext ? paging.page + 1 : null,
        prev_page: paging.page > 1 ? paging.page - 1 : null,
        ...(paging.counts ? { total_count: items.length, total_pages: Math.ceil(items.length / paging.perPage) } : {}),
      },
      sorting,
    },
    data,
  });
}

const notFound = (c: Context) => c.json(errorBody(404), 404);

function byIds<T extends { id: number | string }>(
  c: Context,
  items: T[],
  query: Query,
  paging: Paging,
  filter: (item: T) => boolean = () => true,
) {
  const ids = query.multi("ids");
  const selected = items.filter((i) => (ids === null || ids.includes(String(i.id))) && filter(i));
  return list(c, selected, paging, { sort_by: "id", sort_direction: "ASC" });
}

function route(
  c: Context,
  state: SalesloftSimState,
  segments: string[],
  query: Query,
  paging: Paging,
  userEmail: string | null,
): Response {
  const { dataset } = state;
  const [resource, id, sub] = segments;
  const one = <T extends { id: number | string }>(items: T[]) => {
    const found = items.find((i) => String(i.id) === id);
    return found ? c.json({ data: found }) : notFound(c);
  };
  switch (resource) {
    case "me": {
      const me = dataset.users.find((u) => u.email === userEmail) ?? dataset.users[0];
      return me && !id ? c.json({ data: me }) : notFound(c);
    }
    case "team":
      return id ? notFound(c) : c.json({ data: dataset.team });
    case "users": {
      if (id) return one(dataset.users);
      const active = query.get("active");
      const guids = query.multi("guid");
      return byIds(
        c,
        dataset.users,
        query,
        paging,
        (u) => (active === null || String(u.active ?? true) === active) && (guids === null || guids.includes(u.guid)),
      );
    }
    case "opportunities":
      return id ? one(dataset.opportunities) : byIds(c, dataset.opportunities, query, paging);
    case "accounts":
      return id ? one(dataset.accounts) : byIds(c, dataset.accounts, query, paging);
    case "people":
      return id ? one(dataset.people) : byIds(c, dataset.people, query, paging);
    case "call_data_records":
      return id ? one(dataset.callDataRecords) : byIds(c, dataset.callDataRecords, query, paging);
    case "conversations":
      return conversations(c, state, id, sub, query, paging);
    case "transcriptions":
      return transcriptions(c, state, id, sub, paging);
    default:
      return notFound(c);
  }
}

/** A conversation as the API shows it at the simulated `now`, or null while it is not listed yet. */
export function renderConversation(
  state: SalesloftSimState,
  conv: SalesloftConversationPayload,
  extensive: boolean,
): Record<string, unknown> | null {
  const now = state.clock.now();
  const createdMs = Date.parse(conv.created_at);
  if (createdMs > now) return null;
  const transcriptAt = createdMs + state.switches.transcriptDelayMs;
  const aiAt = createdMs + state.switches.aiDelayMs;
  const out: Record<string, unknown> = { ...conv };
  let updated = createdMs;
  if (transcriptAt > now) {
    out.transcription = null;
    out.transcription_sentences = null;
    out.transcription_artifact = null;
  } else updated = Math.max(updated, transcriptAt);
  if (aiAt > now) {
    const pending =
      state.switches.pendingAiAs === "null"
        ? () => null
        : (block: unknown, empty: Record<string, unknown>) =>
            block == null ? null : { ...empty, status: state.switches.pendingStatus };
    out.summary = pending(conv.summary, { id: null, text: null, created_at: null });
    out.action_items = pending(conv.action_items, { items: [] });
    out.key_moments = pending(conv.key_moments, { items: [] });
  } else updated = Math.max(updated, aiAt);
  const stored = conv.updated_at ? Date.parse(conv.updated_at) : createdMs;
  if (transcriptAt <= now && aiAt <= now) updated = Math.max(updated, Number.isNaN(stored) ? 0 : stored);
  out.updated_at = salesloftTime(updated);
  if (!extensive) for (const k of EXTENSIVE_ONLY) delete out[k];
  return out;
}

function conversations(
  c: Context,
  state: SalesloftSimState,
  id: string | undefined,
  sub: string | undefined,
  query: Query,
  paging: Paging,
): Response {
  if (id) {
    const conv = state.dataset.conversations.find((x) => x.id === id);
    if (sub === "extensive" && state.switches.extensiveNotFound) return notFound(c);
    if (sub !== undefined && sub !== "extensive") return notFound(c);
    const rendered = conv ? renderConversation(state, conv, sub === "extensive") : null;
    return rendered ? c.json({ data: rendered }) : notFound(c);
  }
  const created = query.timeFilter("created_at");
  const updated = query.timeFilter("updated_at");
  if (typeof created === "string") return c.json({ errors: { created_at: [created] } }, 422);
  if (typeof updated === "string") return c.json({ errors: { updated_at: [updated] } }, 422);
  const ids = query.multi("ids");
  const userGuids = query.multi("user_guids");
  const failure = state.behaviours.userFailure(
    (userGuids ?? []).map((guid) => state.dataset.users.find((u) => u.guid === guid)?.email),
  );
  if (failure) return c.json(errorBody(failure), failure);
  const ownerIds = query.multi("owner_ids");
  const accountIds = query.multi("account_ids");
  const personIds = query.multi("person_ids");
  const sortBy = query.get("sort_by") === "created_at" ? "created_at" : "updated_at";
  const direction = (query.get("sort_direction") ?? "DESC").toUpperCase() === "ASC" ? "ASC" : "DESC";
  const rows = state.dataset.conversations
    .map((conv) => renderConversation(state, conv, false))
    .filter((r): r is Record<string, unknown> => r !== null)
    .filter((r) => {
      const ref = (k: string) => (r[k] as { id?: unknown } | null)?.id;
      return (
        (ids === null || ids.includes(String(r.id))) &&
        (userGuids === null || userGuids.includes(String(r.user_guid))) &&
        (ownerIds === null || ownerIds.includes(String(r.owner_id))) &&
        (accountIds === null || accountIds.includes(String(ref("account")))) &&
        (personIds === null || personIds.includes(String(ref("person")))) &&
        created(r.created_at as string) &&
        updated(r.updated_at as string)
      );
    })
    .sort((a, b) => {
      const d = Date.parse(a[sortBy] as string) - Date.parse(b[sortBy] as string);
      return (direction === "ASC" ? d : -d) || String(a.id).localeCompare(String(b.id));
    });
  return list(c, rows, paging, {
    sort_by: sortBy,
    sort_direction: direction === "ASC" ? "ASC NULLS FIRST" : "DESC NULLS LAST",
  });
}

function transcriptions(
  c: Context,
  state: SalesloftSimState,
  id: string | undefined,
  sub: string | undefined,
  paging: Paging,
): Response {
  if (!id) return notFound(c);
  const conv = state.dataset.conversations.find((x) => x.transcription?.id === id);
  const rendered = conv ? renderConversation(state, conv, false) : null;
  const sentences = state.dataset.sentences[id];
  if (!conv || !rendered || rendered.transcription === null || !sentences) return notFound(c);
  if (sub === "sentences") return list(c, sentences, paging, { sort_by: "order_number", sort_direction: "ASC" });
  if (sub !== undefined) return notFound(c);
  return c.json({
    data: {
      id,
      language_code: conv.language_code ?? "en-US",
      created_at: rendered.updated_at,
      updated_at: rendered.updated_at,
      conversation: { id: conv.id, _href: `https://api.salesloft.com/v2/conversations/${conv.id}` },
      transcription_sentences: { id, _href: `https://api.salesloft.com/v2/transcriptions/${id}/sentences` },
      transcription_artifact: { id, _href: `https://api.salesloft.com/v2/transcriptions/${id}/artifact` },
    },
  });
}

export async function startSalesloftSimulator(options: SalesloftSimulatorOptions = {}): Promise<SalesloftSimulator> {
  const dataset = options.dataset ?? generateSalesloftDataset(defaultScenario());
  const oauth = new OAuthTokenStore();
  oauth.accessTokenTtlSeconds = 7200;
  const first = dataset.users[0]?.email;
  if (first) oauth.consentingUser = first;
  const state: SalesloftSimState = {
    dataset,
    behaviours: new Behaviours(),
    log: new RequestLog(),
    oauth,
    clock: options.clock ?? new SimClock(),
    switches: {
      transcriptDelayMs: 15 * 60_000,
      aiDelayMs: 30 * 60_000,
      pendingStatus: "processing",
      pendingAiAs: "status",
      extensiveNotFound: false,
      listPaging: "metadata",
      repeatPages: false,
      ...options.switches,
    },
    clientId: options.clientId ?? "salesloft-sim-client",
    clientSecret: options.clientSecret ?? "salesloft-sim-secret",
    apiKeys: new Set(),
  };
  const server = await listen(createSalesloftApp(state), options.port ?? 0);
  const webhooks = new SalesloftWebhooks(() =>
    state.dataset.conversations
      .map((conv) => renderConversation(state, conv, false))
      .filter((c): c is Record<string, unknown> => c !== null),
  );
  return {
    webhooks,
    url: server.url,
    port: server.port,
    behaviours: state.behaviours,
    log: state.log,
    oauth: state.oauth,
    clock: state.clock,
    dataset: state.dataset,
    switches: state.switches,
    apiKeys: state.apiKeys,
    clientId: state.clientId,
    clientSecret: state.clientSecret,
    deleteConversation: (id) => {
      const i = state.dataset.conversations.findIndex((c) => c.id === id);
      if (i < 0) return false;
      state.dataset.conversations.splice(i, 1);
      return true;
    },
    close: () => {
      webhooks.clear();
      return server.close();
    },
  };
}
