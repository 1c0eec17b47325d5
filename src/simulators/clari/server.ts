/**
 * A Clari Copilot REST API simulator: `GET /users`, `GET /calls`, `GET /call-details`, with the
 * real paths, `X-Api-Key` + `X-Api-Password` header auth, offset pagination limits, quotas,
 * the 6 MB response ceiling (502), processing delays against a SimClock, and switches for
 * every behaviour our sources only infer ([I] in providers/clari-copilot.md):
 *
 * | switch (`settings.*`) | default | the other reading |
 * | --- | --- | --- |
 * | authFailureStatus | 403 `{"message":"Forbidden"}` | 401 `{"message":"Unauthorized"}` |
 * | filterUserMatches | "participant": any Copilot user on the call | "organizer" only |
 * | sourceCrmSpelling | "asIs" (dataset: "salesforce") | "upper" / "lower" |
 * | detailsNotReady | 404 for a call still processing | 400, or "partial" (200 without transcript/summary) |
 * | notFoundStatus | 404 for an unknown call id | 400 |
 * | usersPageSize | null: /users not paginated | n: pages of n with `pagination` |
 * | defaultSort | "desc" when `sortTime` is absent | "asc" |
 * | behaviours.sendRetryAfter | false: 429 without Retry-After | true |
 * | privateFlag | "field": calls carry `is_private` | "absent": no flag on any call |
 * | repeatPages | false | true: `GET /calls` ignores `skip` (first page again, `hasMore` true) |
 *
 * Private calls (`is_private: true` in the dataset) are left out of `GET /calls` unless
 * `includePrivate=true`, as Clari documents; `GET /call-details` serves them by id.
 */
import { type Context, Hono } from "hono";
import { mountControls } from "../controls.js";
import { Behaviours, behaviourMiddleware, listen, type QuotaRule, RequestLog, SimClock } from "../kit.js";
import { defaultScenario } from "../scenario.js";
import { type ClariDataset, type ClariDatasetCall, generateClariDataset } from "./dataset.js";

export interface ClariAvailability {
  /** false: every call is served exactly as stored. */
  enabled: boolean;
  /** After the call ends: PROCESSING until then, transcript (status PROCESSED) from then. */
  transcriptDelayMs: number;
  /** After the call ends, the AI post-processing is done (POST_PROCESSING_DONE): 30–45 min for meetings. */
  meetingDelayMs: [number, number];
  /** The same for dialer calls: 1–1.5 h. */
  dialerDelayMs: [number, number];
}

export interface ClariSimSettings {
  authFailureStatus: 401 | 403;
  filterUserMatches: "participant" | "organizer";
  sourceCrmSpelling: "asIs" | "lower" | "upper";
  detailsNotReady: 404 | 400 | "partial";
  notFoundStatus: 404 | 400;
  usersPageSize: number | null;
  /** Larger answers become 502, as AWS's 6 MB Lambda payload limit does. */
  maxResponseBytes: number;
  /** Requests per API key per week (resets Sunday 00:00 GMT on the SimClock); null = unlimited. */
  weeklyQuota: number | null;
  defaultSort: "asc" | "desc";
  availability: ClariAvailability;
  privateFlag: "field" | "absent";
  /** A misbehaving provider: `GET /calls` answers its first page whatever `skip` says, claiming more. */
  repeatPages: boolean;
}

export const defaultClariSimSettings = (): ClariSimSettings => ({
  authFailureStatus: 403,
  filterUserMatches: "participant",
  sourceCrmSpelling: "asIs",
  detailsNotReady: 404,
  notFoundStatus: 404,
  usersPageSize: null,
  maxResponseBytes: 6 * 1024 * 1024,
  weeklyQuota: null,
  defaultSort: "desc",
  privateFlag: "field",
  repeatPages: false,
  availability: {
    enabled: true,
    transcriptDelayMs: 5 * 60_000,
    meetingDelayMs: [30 * 60_000, 45 * 60_000],
    dialerDelayMs: [60 * 60_000, 90 * 60_000],
  },
});

/** The documented limits: 10 requests per second (here) and 100,000 per week (`settings.weeklyQuota`). */
export const CLARI_SIM_PER_SECOND: QuotaRule[] = [{ points: 10, duration: 1 }];
export const CLARI_SIM_WEEKLY = 100_000;

/** Key pairs the simulated workspace accepts. */
export class ClariApiKeys {
  private readonly pairs = new Map<string, { secret: string; revoked: boolean }>();
  readonly default = { apiKey: "sim-clari-api-key", apiSecret: "sim-clari-api-secret" };
  constructor() {
    this.add(this.default.apiKey, this.default.apiSecret);
  }
  add(apiKey: string, apiSecret: string): void {
    this.pairs.set(apiKey, { secret: apiSecret, revoked: false });
  }
  /** The admin regenerated or deleted the key: it stops working. */
  revoke(apiKey = this.default.apiKey): void {
    const pair = this.pairs.get(apiKey);
    if (pair) pair.revoked = true;
  }
  restore(apiKey = this.default.apiKey): void {
    const pair = this.pairs.get(apiKey);
    if (pair) pair.revoked = false;
  }
  check(apiKey: string | undefined, apiSecret: string | undefined): boolean {
    const pair = apiKey ? this.pairs.get(apiKey) : undefined;
    return !!pair && !pair.revoked && pair.secret === apiSecret;
  }
}

export interface ClariSimState {
  dataset: ClariDataset;
  clock: SimClock;
  behaviours: Behaviours;
  log: RequestLog;
  apiKeys: ClariApiKeys;
  settings: ClariSimSettings;
}

const DONE = ["PROCESSED", "POST_PROCESSING_DONE"];
const PENDING = ["SCHEDULED", "INITIATED", "INPROGRESS", "WAITING_IN_QUEUE", "PROCESSING"];
const DETAILS_ONLY = ["transcript", "summary", "competitor_sentiments", "deal_stage_live"] as const;

const gatewayMessage = (status: number): string =>
  ({
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    502: "Internal server error",
    503: "Service Unavailable",
    504: "Endpoint request timed out",
  })[status] ?? "Internal server error";

/** A stable fraction in [0, 1) per call id, so a call's delay does not change between requests. */
const fraction = (id: string): number => {
  let h = 2166136261;
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) / 4294967296;
};

const isDialer = (type: unknown) => typeof type === "string" && /DIAL|PHONE/i.test(type);
const iso = (ms: number) => new Date(ms).toISOString();

type Stage = "none" | "transcript" | "full";

/** The call as Clari would show it at `now`, and how much of its content is available. */
export function clariCallAt(
  call: ClariDatasetCall,
  now: number,
  availability: ClariAvailability,
): { call: ClariDatasetCall; stage: Stage } {
  const finalStage: Stage =
    call.status === "POST_PROCESSING_DONE" ? "full" : call.status === "PROCESSED" ? "transcript" : "none";
  if (!availability.enabled || PENDING.includes(call.status)) return { call, stage: finalStage };
  const start = Date.parse(call.time);
  const end = start + (call.metrics?.call_duration ?? 0) * 1000;
  const [lo, hi] = isDialer(call.type) ? availability.dialerDelayMs : availability.meetingDelayMs;
  const transcriptAt = end + availability.transcriptDelayMs;
  const doneAt = end + Math.max(availability.transcriptDelayMs, lo + (hi - lo) * fraction(call.id));
  const at = (status: string, modifiedMs: number, stage: Stage) => ({
    call: { ...call, status, last_modified_time: iso(modifiedMs) },
    stage,
  });
  if (now < start) return at("SCHEDULED", start - 86_400_000, "none");
  if (now < end) return at("INPROGRESS", start, "none");
  if (now < transcriptAt) return at("PROCESSING", end, "none");
  if (call.status === "POST_PROCESSING_DONE" && now < doneAt) return at("PROCESSED", transcriptAt, "transcript");
  return { call, stage: finalStage };
}

function withoutDetails(call: ClariDatasetCall): ClariDatasetCall {
  const copy: Record<string, unknown> = { ...call };
  for (const key of DETAILS_ONLY) delete copy[key];
  return copy as ClariDatasetCall;
}

const isPrivateCall = (call: ClariDatasetCall) => (call as { is_private?: unknown }).is_private === true;

function shownPrivacy(call: ClariDatasetCall, settings: ClariSimSettings): ClariDatasetCall {
  const { is_private: _flag, ...rest } = call as ClariDatasetCall & { is_private?: unknown };
  return settings.privateFlag === "absent" ? rest : { ...rest, is_private: isPrivateCall(call) };
}

function respell(call: ClariDatasetCall, spelling: ClariSimSettings["sourceCrmSpelling"]): ClariDatasetCall {
  const source = call.crm_info?.source_crm;
  if (spelling === "asIs" || !call.crm_info || !source) return call;
  return {
    ...call,
    crm_info: { ...call.crm_info, source_crm: spelling === "upper" ? source.toUpperCase() : source.toLowerCase() },
  };
}

const lastSunday = (now: number): number => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - d.getUTCDay());
};

const intParam = (raw: string | undefined, fallback: number, min: number, max: number): number | null => {
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return n >= min && n <= max ? n : null;
};

export function createClariApp(state: ClariSimState): Hono {
  const app = new Hono();
  const weekly = new Map<string, { weekStart: number; used: number }>();
  /**
   * `behaviours.quota` read as API Gateway throttling does: a token bucket per rule holding
   * `points` tokens, refilled at points/duration per second. Returns seconds to wait, or null.
   */
  const buckets = new Map<string, { tokens: number; at: number }>();
  const throttle = (key: string, now: number): number | null => {
    const rules = behaviours.quota;
    if (!rules) return null;
    let wait: number | null = null;
    const states = rules.map((rule, i) => {
      const id = `${key}:${i}:${rule.points}:${rule.duration}`;
      const rate = rule.points / (rule.duration * 1000);
      const previous = buckets.get(id) ?? { tokens: rule.points, at: now };
      const tokens = Math.min(rule.points, previous.tokens + (now - previous.at) * rate);
      if (tokens < 1) wait = Math.max(wait ?? 0, rate > 0 ? Math.ceil((1 - tokens) / rate / 1000) : rule.duration);
      return { id, tokens };
    });
    for (const { id, tokens } of states) buckets.set(id, { tokens: wait === null ? tokens - 1 : tokens, at: now });
    return wait;
  };
  const { behaviours, log } = state;

  mountControls(app, {
    provider: "Clari Copilot",
    behaviours,
    users: () => state.dataset.users.map((u) => ({ email: u.email, name: u.name })),
  });
  app.use(
    "*",
    behaviourMiddleware(behaviours, log, (status) => ({ message: gatewayMessage(status) })),
  );

  // Header auth, then the per-second and weekly quotas of the key.
  app.use("*", async (c, next) => {
    const apiKey = c.req.header("x-api-key");
    if (!state.apiKeys.check(apiKey, c.req.header("x-api-password"))) {
      const status = state.settings.authFailureStatus;
      return c.json({ message: gatewayMessage(status) }, status);
    }
    const key = apiKey as string;
    const wait = throttle(key, Date.now());
    if (wait !== null) {
      if (behaviours.sendRetryAfter) c.header("Retry-After", String(wait));
      return c.json({ message: "Too Many Requests" }, 429);
    }
    const limit = state.settings.weeklyQuota;
    if (limit !== null) {
      const weekStart = lastSunday(state.clock.now());
      let usage = weekly.get(key);
      if (!usage || usage.weekStart !== weekStart) {
        usage = { weekStart, used: 0 };
        weekly.set(key, usage);
      }
      if (usage.used >= limit) {
        if (behaviours.sendRetryAfter)
          c.header("Retry-After", String(Math.ceil((weekStart + 7 * 86_400_000 - state.clock.now()) / 1000)));
        return c.json({ message: "Limit Exceeded" }, 429);
      }
      usage.used++;
    }
    await next();
  });

  const sized = (c: Context, body: object) => {
    const text = JSON.stringify(body);
    if (Buffer.byteLength(text) > state.settings.maxResponseBytes) return c.json({ message: gatewayMessage(502) }, 502);
    return c.body(text, 200, { "content-type": "application/json" });
  };

  app.get("/users", (c) => {
    const users = state.dataset.users;
    const pageSize = state.settings.usersPageSize;
    if (pageSize === null) return sized(c, { users });
    const skip = intParam(c.req.query("skip"), 0, 0, 10_000);
    const limit = intParam(c.req.query("limit"), pageSize, 1, 100);
    if (skip === null || limit === null) return c.json({ message: "Invalid skip or limit" }, 400);
    const page = users.slice(skip, skip + Math.min(limit, pageSize));
    const hasMore = skip + page.length < users.length;
    return sized(c, {
      users: page,
      pagination: { matched: users.length, hasMore, ...(hasMore ? { nextPageSkip: skip + page.length } : {}) },
    });
  });

  app.get("/calls", (c) => {
    const skip = intParam(c.req.query("skip"), 0, 0, 10_000);
    if (skip === null) return c.json({ message: "skip must be an integer between 0 and 10000" }, 400);
    const limit = intParam(c.req.query("limit"), 25, 1, 100);
    if (limit === null) return c.json({ message: "limit must be an integer between 1 and 100" }, 400);
    const bound = (name: string): number | null | "bad" => {
      const raw = c.req.query(name);
      if (raw === undefined) return null;
      const ms = Date.parse(raw);
      return Number.isNaN(ms) ? "bad" : ms;
    };
    const timeGt = bound("filterTimeGt");
    const timeLt = bound("filterTimeLt");
    const modGt = bound("filterModifiedGt");
    const modLt = bound("filterModifiedLt");
    if ([timeGt, timeLt, modGt, modLt].includes("bad")) return c.json({ message: "Invalid date-time filter" }, 400);
    const list = (name: string) =>
      [...(c.req.queries(`${name}[]`) ?? []), ...(c.req.queries(name) ?? [])].map((v) => v.toLowerCase());
    const users = list("filterUser");
    const failure = behaviours.userFailure(users);
    if (failure) return c.json({ message: gatewayMessage(failure) }, failure);
    const attendees = list("filterAttendees");
    const statuses = list("filterStatus");
    const types = list("filterType");
    const sort = (c.req.query("sortTime") ?? state.settings.defaultSort) === "asc" ? 1 : -1;
    const includePrivate = c.req.query("includePrivate") === "true";
    const now = state.clock.now();

    const matches = state.dataset.calls
      .map((call) => clariCallAt(call, now, state.settings.availability).call)
      .filter((call) => {
        const time = Date.parse(call.time);
        const modified = call.last_modified_time ? Date.parse(call.last_modified_time) : time;
        if (isPrivateCall(call) && !includePrivate) return false;
        if (typeof timeGt === "number" && !(time > timeGt)) return false;
        if (typeof timeLt === "number" && !(time < timeLt)) return false;
        if (typeof modGt === "number" && !(modified > modGt)) return false;
        if (typeof modLt === "number" && !(modified < modLt)) return false;
        if (statuses.length > 0 && !statuses.includes(call.status.toLowerCase())) return false;
        if (types.length > 0 && !types.includes((call.type ?? "").toLowerCase())) return false;
        if (users.length > 0) {
          const internal = call.users ?? [];
          const considered =
            state.settings.filterUserMatches === "organizer"
              ? internal.filter((u, i) => u.isOrganizer === true || (i === 0 && !internal.some((x) => x.isOrganizer)))
              : internal;
          // A call's users may come without their email: Clari still knows who they are.
          const emailOf = (u: (typeof internal)[number]) =>
            u.userEmail ?? state.dataset.users.find((x) => x.id === u.userId)?.email ?? "";
          if (!considered.some((u) => users.includes(emailOf(u).toLowerCase()))) return false;
        }
        if (attendees.length > 0) {
          const people = [...(call.externalParticipants ?? []), ...(call.joinedParticipants ?? [])];
          if (!people.some((p) => attendees.includes((p.email ?? "").toLowerCase()))) return false;
        }
        return true;
      })
      .sort((a, b) => sort * (Date.parse(a.time) - Date.parse(b.time)) || a.id.localeCompare(b.id));

    const from = state.settings.repeatPages ? 0 : skip;
    const page = matches
      .slice(from, from + limit)
      .map((call) => withoutDetails(shownPrivacy(respell(call, state.settings.sourceCrmSpelling), state.settings)));
    const hasMore = state.settings.repeatPages || from + page.length < matches.length;
    const body =
      c.req.query("includePagination") === "false"
        ? { calls: page }
        : {
            calls: page,
            pagination: {
              matched: matches.length,
              hasMore,
              ...(hasMore ? { nextPageSkip: skip + page.length } : {}),
            },
          };
    return sized(c, body);
  });

  app.get("/call-details", (c) => {
    const id = c.req.query("id");
    const stored = id ? state.dataset.calls.find((call) => call.id === id) : undefined;
    if (!stored) return c.json({ error: "Call not found" }, state.settings.notFoundStatus);
    const { call, stage } = clariCallAt(stored, state.clock.now(), state.settings.availability);
    const shown = shownPrivacy(respell(call, state.settings.sourceCrmSpelling), state.settings);
    if (stage === "full" || !DONE.includes(call.status)) {
      if (PENDING.includes(call.status)) {
        const mode = state.settings.detailsNotReady;
        if (mode !== "partial") return c.json({ error: "Call details not available yet" }, mode);
        return sized(c, { call: withoutDetails(shown) });
      }
      return sized(c, { call: shown });
    }
    // PROCESSED: transcript in, AI post-processing still running.
    const { summary: _summary, ...rest } = shown;
    return sized(c, { call: rest });
  });

  app.all("*", (c) => c.json({ message: "Not Found" }, 404));
  return app;
}

export interface ClariSimulatorOptions {
  dataset?: ClariDataset;
  port?: number;
  clock?: SimClock;
  /** Enforce the documented quota (10/s, 100,000/week). Off by default so tests opt in. */
  quota?: boolean;
  settings?: Partial<ClariSimSettings>;
}

export interface ClariSimulator {
  url: string;
  port: number;
  behaviours: Behaviours;
  log: RequestLog;
  clock: SimClock;
  /** Mutable: tests add or change calls and users. */
  dataset: ClariDataset;
  apiKeys: ClariApiKeys;
  settings: ClariSimSettings;
  /** Deletes a call: no longer listed, `/call-details` answers 404 (Clari has no webhooks). False when unknown. */
  deleteCall(id: string): boolean;
  close(): Promise<void>;
}

export async function startClariSimulator(options: ClariSimulatorOptions = {}): Promise<ClariSimulator> {
  const behaviours = new Behaviours();
  behaviours.sendRetryAfter = false;
  const settings = { ...defaultClariSimSettings(), ...options.settings };
  if (options.quota) {
    behaviours.quota = CLARI_SIM_PER_SECOND.map((r) => ({ ...r }));
    settings.weeklyQuota ??= CLARI_SIM_WEEKLY;
  }
  const state: ClariSimState = {
    dataset: options.dataset ?? generateClariDataset(defaultScenario()),
    clock: options.clock ?? new SimClock(),
    behaviours,
    log: new RequestLog(),
    apiKeys: new ClariApiKeys(),
    settings,
  };
  const server = await listen(createClariApp(state), options.port ?? 0);
  return {
    url: server.url,
    port: server.port,
    behaviours,
    log: state.log,
    clock: state.clock,
    get dataset() {
      return state.dataset;
    },
    set dataset(value: ClariDataset) {
      state.dataset = value;
    },
    apiKeys: state.apiKeys,
    settings,
    deleteCall: (id) => {
      const i = state.dataset.calls.findIndex((c) => c.id === id);
      if (i < 0) return false;
      state.dataset.calls.splice(i, 1);
      return true;
    },
    close: () => server.close(),
  };
}
