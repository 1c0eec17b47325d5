/**
 * A Gong API v2 simulator: the OAuth authorize page and token endpoint, and the /v2 endpoints
 * callsync reads, with Gong's paths, verbs, status codes, JSON shapes, error bodies
 * ({requestId, errors[]}), scopes, cursor pagination (100 per page, signed cursors that
 * expire), quotas (429 + Retry-After seconds) and processing delays measured on a SimClock.
 *
 * Switches for what Gong does not document ([I] in providers/gong.md) live in
 * `GongSimulatorSwitches`; tests flip them on `sim.switches` at run time.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { transcriptCallId } from "../../providers/gong/mappers.js";
import type { GongCallData } from "../../providers/gong/schemas.js";
import { consentDecision, consentPage } from "../consent.js";
import { mountControls } from "../controls.js";
import {
  Behaviours,
  behaviourMiddleware,
  type ConsentOutcome,
  listen,
  type OAuthGrant,
  OAuthTokenStore,
  type QuotaRule,
  quotaResponse,
  RequestLog,
  SimClock,
} from "../kit.js";
import { defaultScenario } from "../scenario.js";
import { type GongDataset, generateGongDataset } from "./dataset.js";
import { GongWebhooks } from "./webhooks.js";

/** Gong's documented default quota per company. */
export const GONG_SIM_QUOTA: QuotaRule[] = [
  { points: 3, duration: 1 },
  { points: 10_000, duration: 86_400 },
];

export interface GongSimulatorSwitches {
  /** Records per page for users, calls and transcripts ([S] 100). */
  pageSize: number;
  /** Lifetime of a pagination cursor, measured on the SimClock ([S] cursors carry an `exp`). */
  cursorTtlMs: number;
  /** A call is listed this long after it ends ([S] ~1 h). */
  visibleAfterMs: number;
  /** Transcript and AI content appear this long after the call ends ([S] up to ~24 h). */
  contentAfterMs: number;
  /**
   * [I] How HubSpot objects are named in call `context`: "spec" keeps the OpenAPI enum
   * (Opportunity/Account), "hubspot" uses HubSpot's own words (Deal/Company).
   */
  hubspotObjectTypes: "spec" | "hubspot";
  /** [S] Key of the call id in transcripts: the spec's `callId`, or `callid` as one recording shows. */
  transcriptIdKey: "callId" | "callid";
  /** [I] When none of the requested calls has a transcript: 404 "No calls found…" or 200 with []. */
  transcriptsWhenNone: "404" | "empty";
  /** [I] Status of the "cursor has expired" answer. */
  cursorExpiredStatus: number;
  /** `api_base_url_for_customer` in token answers; null = this simulator's own origin. */
  apiBaseUrl: string | null;
  /**
   * A misbehaving provider: a request with a cursor gets the first page again, with that same
   * cursor — on every listing (true) or only on one ("users", "calls").
   */
  repeatCursor: boolean | "users" | "calls";
}

export const defaultGongSwitches = (): GongSimulatorSwitches => ({
  pageSize: 100,
  cursorTtlMs: 10 * 60_000,
  visibleAfterMs: 3_600_000,
  contentAfterMs: 86_400_000,
  hubspotObjectTypes: "spec",
  transcriptIdKey: "callId",
  transcriptsWhenNone: "404",
  cursorExpiredStatus: 400,
  apiBaseUrl: null,
  repeatCursor: false,
});

export interface GongSimulatorState {
  dataset: GongDataset;
  clock: SimClock;
  behaviours: Behaviours;
  log: RequestLog;
  oauth: OAuthTokenStore;
  switches: GongSimulatorSwitches;
  /** The registered OAuth app. */
  clientId: string;
  clientSecret: string;
  /** Access key → secret, for Basic auth (technical-admin keys). */
  accessKeys: Map<string, string>;
  cursorSecret: Buffer;
}

const ALL_SCOPES = [
  "api:users:read",
  "api:calls:read:basic",
  "api:calls:read:extensive",
  "api:calls:read:transcript",
  "api:workspaces:read",
].join(" ");

const requestId = () => {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  const bytes = randomBytes(19);
  return [...bytes].map((b) => alphabet[b % 36]).join("");
};

const errorBody = (...errors: string[]) => ({ requestId: requestId(), errors });

const FAILURE_MESSAGES: Record<number, string> = {
  500: "Internal server error occurred",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function gongError(c: Context, status: number, ...errors: string[]) {
  return c.json(errorBody(...errors), status as 400);
}

// ---- cursors: JWT-like, HMAC-signed, with the position after the last record returned ----

interface CursorPayload {
  /** Start ms and id of the last record returned (ordering key). */
  t: number;
  id: string;
  pageNumber: number;
  total: number;
  exp: number;
  /** Fingerprint of the request, so a cursor only continues the identical request. */
  fp: string;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

function signCursor(state: GongSimulatorState, payload: CursorPayload): string {
  const head = b64url(JSON.stringify({ alg: "HS256" }));
  const body = b64url(JSON.stringify(payload));
  const sig = createHmac("sha256", state.cursorSecret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

function readCursor(state: GongSimulatorState, cursor: string, fp: string): CursorPayload | "invalid" | "expired" {
  const [head, body, sig] = cursor.split(".");
  if (!head || !body || !sig) return "invalid";
  const expected = createHmac("sha256", state.cursorSecret).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
  const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as CursorPayload;
  if (payload.fp !== fp) return "invalid";
  if (payload.exp <= state.clock.now()) return "expired";
  return payload;
}

interface Ordered<T> {
  t: number;
  id: string;
  item: T;
}

/** One page after the cursor's position; items must be sorted by (t, id). */
function paginate<T>(
  c: Context,
  state: GongSimulatorState,
  items: Ordered<T>[],
  cursor: string | undefined,
  fp: string,
  listing: "users" | "calls" | "transcripts",
): { page: T[]; records: Record<string, unknown> } | Response {
  let after: CursorPayload | null = null;
  const repeat = state.switches.repeatCursor;
  if (cursor && (repeat === true || repeat === listing)) {
    const first = paginate(c, state, items, undefined, fp, listing);
    if (first instanceof Response) return first;
    return { page: first.page, records: { ...first.records, cursor } };
  }
  if (cursor) {
    const read = readCursor(state, cursor, fp);
    if (read === "invalid") return gongError(c, 400, "failed to verify cursor");
    if (read === "expired") return gongError(c, state.switches.cursorExpiredStatus, "cursor has expired");
    after = read;
  }
  const rest = after
    ? items.filter((x) => x.t > (after as CursorPayload).t || (x.t === after?.t && x.id > after.id))
    : items;
  const size = state.switches.pageSize;
  const page = rest.slice(0, size);
  const pageNumber = after ? after.pageNumber + 1 : 0;
  const total = after ? after.total : items.length;
  const records: Record<string, unknown> = {
    totalRecords: total,
    currentPageSize: page.length,
    currentPageNumber: pageNumber,
  };
  const last = page[page.length - 1];
  if (rest.length > size && last)
    records.cursor = signCursor(state, {
      t: last.t,
      id: last.id,
      pageNumber,
      total,
      exp: state.clock.now() + state.switches.cursorTtlMs,
      fp,
    });
  return { page: page.map((x) => x.item), records };
}

const byOrder = <T>(a: Ordered<T>, b: Ordered<T>) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

// ---- request bodies ----

const dateString = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 date-time");
const callsFilter = z.looseObject({
  fromDateTime: dateString.optional(),
  toDateTime: dateString.optional(),
  workspaceId: z.string().optional(),
  callIds: z.array(z.string()).optional(),
  primaryUserIds: z.array(z.string()).optional(),
});
const contentSelector = z.looseObject({
  context: z.enum(["None", "Basic", "Extended"]).optional(),
  contextTiming: z.array(z.enum(["Now", "TimeOfCall"])).optional(),
  exposedFields: z
    .looseObject({
      parties: z.boolean().optional(),
      content: z.record(z.string(), z.boolean()).optional(),
      interaction: z.record(z.string(), z.boolean()).optional(),
      collaboration: z.record(z.string(), z.boolean()).optional(),
      media: z.boolean().optional(),
    })
    .optional(),
});
const extensiveBody = z.looseObject({
  filter: callsFilter,
  contentSelector: contentSelector.optional(),
  cursor: z.string().optional(),
});
const transcriptBody = z.looseObject({
  filter: callsFilter.omit({ primaryUserIds: true }),
  cursor: z.string().optional(),
});

type CallsFilter = z.infer<typeof callsFilter>;
type Selector = z.infer<typeof contentSelector>;

function fingerprint(value: unknown): string {
  return createHmac("sha256", "fp").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

// ---- availability and projection ----

/**
 * Recorded payloads are loaded as they are (dataset.ts), so a call may lack what the client
 * would skip it for: the simulator still serves it, ordered by `started`, else `scheduled`.
 */
const metaOf = (call: GongCallData): Partial<GongCallData["metaData"]> => call.metaData ?? {};
export function startedOf(call: GongCallData): number {
  const meta = metaOf(call);
  for (const value of [meta.started, meta.scheduled]) {
    const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
    if (!Number.isNaN(ms)) return ms;
  }
  return 0;
}
const idOf = (call: GongCallData) => String(metaOf(call).id ?? "");
const endOf = (call: GongCallData) => startedOf(call) + (Number(metaOf(call).duration) || 0) * 1000;
const isVisible = (state: GongSimulatorState, call: GongCallData) =>
  endOf(call) + state.switches.visibleAfterMs <= state.clock.now();
const isProcessed = (state: GongSimulatorState, call: GongCallData) =>
  endOf(call) + state.switches.contentAfterMs <= state.clock.now();

function matches(call: GongCallData, filter: CallsFilter): boolean {
  const started = startedOf(call);
  const meta = metaOf(call);
  if (filter.fromDateTime && started < Date.parse(filter.fromDateTime)) return false;
  if (filter.toDateTime && started >= Date.parse(filter.toDateTime)) return false;
  if (filter.workspaceId && meta.workspaceId !== filter.workspaceId) return false;
  if (filter.callIds && !filter.callIds.includes(idOf(call))) return false;
  if (filter.primaryUserIds && !filter.primaryUserIds.includes(String(meta.primaryUserId ?? ""))) return false;
  return true;
}

const HUBSPOT_NAMES: Record<string, Record<string, string>> = {
  spec: { deal: "Opportunity", company: "Account" },
  hubspot: { opportunity: "Deal", account: "Company" },
};

function contextFor(
  state: GongSimulatorState,
  contexts: { system: string; objects?: { objectType: string; timing?: string | null }[] | null }[] | null | undefined,
  selector: Selector | undefined,
) {
  const mode = selector?.context ?? "None";
  const timings: string[] = selector?.contextTiming ?? ["Now"];
  return (contexts ?? []).map((ctx) => ({
    ...ctx,
    objects: (ctx.objects ?? [])
      .filter((o) => timings.includes(o.timing ?? "Now"))
      .map((o) => {
        const renamed =
          ctx.system.toLowerCase() === "hubspot"
            ? (HUBSPOT_NAMES[state.switches.hubspotObjectTypes]?.[o.objectType.toLowerCase()] ?? o.objectType)
            : o.objectType;
        const { fields: _fields, ...basic } = o as typeof o & { fields?: unknown };
        return mode === "Basic" ? { ...basic, objectType: renamed } : { ...o, objectType: renamed };
      }),
  }));
}

function project(state: GongSimulatorState, call: GongCallData, selector: Selector | undefined) {
  const out: Record<string, unknown> = { metaData: call.metaData };
  const mode = selector?.context ?? "None";
  const exposed = selector?.exposedFields;
  const processed = isProcessed(state, call);
  if (mode !== "None") out.context = contextFor(state, call.context, selector);
  if (exposed?.parties)
    out.parties = (call.parties ?? []).map((p) => {
      const { context, ...rest } = p;
      return mode === "None" ? rest : { ...rest, context: contextFor(state, context, selector) };
    });
  if (exposed?.content && processed && call.content) {
    const content: Record<string, unknown> = {};
    for (const [key, wanted] of Object.entries(exposed.content))
      if (wanted && key in call.content) content[key] = call.content[key];
    out.content = content;
  }
  if (exposed?.interaction && processed && call.interaction) {
    const interaction: Record<string, unknown> = {};
    for (const [key, wanted] of Object.entries(exposed.interaction))
      if (wanted && key in call.interaction) interaction[key] = call.interaction[key];
    out.interaction = interaction;
  }
  return out;
}

// ---- app ----

type Env = { Variables: { grant: OAuthGrant } };

function requireScope(c: Context<Env>, scope: string): Response | null {
  const granted = c.get("grant").scope.split(/\s+/);
  if (granted.includes(scope)) return null;
  return gongError(c, 401, `You don't have permission to use '${scope}' in your app.`);
}

async function readJson(c: Context): Promise<unknown | Response> {
  if (!(c.req.header("content-type") ?? "").includes("application/json"))
    return gongError(c, 415, "Unsupported Media Type");
  try {
    return await c.req.json();
  } catch {
    return gongError(c, 400, "Malformed JSON request body");
  }
}

function basicCredentials(header: string | undefined): [string, string] | null {
  if (!header?.startsWith("Basic ")) return null;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const i = decoded.indexOf(":");
  return i < 0 ? null : [decoded.slice(0, i), decoded.slice(i + 1)];
}

export function createGongApp(state: GongSimulatorState): Hono<Env> {
  const app = new Hono<Env>();
  const companyId = () => state.dataset.workspaces[0]?.id ?? "0";

  mountControls(app as unknown as Hono, {
    provider: "Gong",
    behaviours: state.behaviours,
    users: () =>
      state.dataset.users.map((u) => ({
        email: u.emailAddress,
        name: `${u.firstName ?? ""} ${u.lastName ?? ""}`.trim(),
      })),
  });

  app.use(
    "*",
    behaviourMiddleware(state.behaviours, state.log, (status) =>
      errorBody(FAILURE_MESSAGES[status] ?? "An error has occurred"),
    ),
  );

  // -- OAuth --
  const authorize = (c: Context, q: Record<string, string>, outcome?: ConsentOutcome) => {
    if (q.client_id !== state.clientId || q.response_type !== "code" || !q.redirect_uri)
      return c.text("Invalid OAuth request", 400);
    if (!outcome && state.oauth.consentPage)
      return consentPage(c, {
        provider: "Gong",
        company: state.dataset.workspaces[0]?.name ?? "your company",
        scope: q.scope ?? "",
        adminEmail: state.oauth.consentingUser,
        query: q,
      });
    const url = state.oauth.consentRedirect({
      redirectUri: q.redirect_uri,
      state: q.state ?? "",
      clientId: q.client_id,
      grant: { accountId: companyId(), scope: q.scope ?? "" },
      codeChallenge: q.code_challenge,
      codeChallengeMethod: q.code_challenge_method,
      outcome,
    });
    return c.redirect(url.toString(), 302);
  };
  app.get("/oauth2/authorize", (c) => authorize(c, c.req.query()));
  app.post("/oauth2/authorize", async (c) => {
    const { query, outcome } = await consentDecision(c);
    return authorize(c, query, outcome);
  });

  // Gong's guide sends the parameters in the query string; generic OAuth clients send a form body.
  app.post("/oauth2/generate-customer-token", async (c) => {
    const params: Record<string, string> = { ...c.req.query() };
    if ((c.req.header("content-type") ?? "").includes("application/x-www-form-urlencoded"))
      Object.assign(params, Object.fromEntries(new URLSearchParams(await c.req.text())));
    const client = basicCredentials(c.req.header("authorization"));
    if (!client || client[0] !== state.clientId || client[1] !== state.clientSecret)
      return c.json({ error: "invalid_client", error_description: "Client authentication failed" }, 401);
    let grant: OAuthGrant | "invalid_grant";
    if (params.grant_type === "authorization_code")
      grant = state.oauth.redeemCode(params.code ?? "", client[0], params.redirect_uri, params.code_verifier);
    else if (params.grant_type === "refresh_token") grant = state.oauth.redeemRefresh(params.refresh_token ?? "");
    else return c.json({ error: "unsupported_grant_type", error_description: "Unsupported grant type" }, 400);
    if (grant === "invalid_grant")
      return c.json({ error: "invalid_grant", error_description: "Invalid authorization grant" }, 400);
    const tokens = state.oauth.issueTokens(grant);
    return c.json({
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      scope: grant.scope,
      token_type: "bearer",
      expires_in: tokens.expiresIn,
      api_base_url_for_customer: state.switches.apiBaseUrl ?? new URL(c.req.url).origin,
    });
  });

  // -- API auth and quota --
  app.use("/v2/*", async (c, next) => {
    const header = c.req.header("authorization");
    const basic = basicCredentials(header);
    if (basic) {
      if (state.accessKeys.get(basic[0]) !== basic[1]) return gongError(c, 401, "Invalid access key");
      c.set("grant", { accountId: companyId(), scope: ALL_SCOPES, userEmail: "" });
    } else {
      const checked = state.oauth.check(header);
      if (typeof checked === "string") {
        const message = {
          missing: "Authorization header is missing",
          invalid: "Invalid access token",
          expired: "Access token has expired",
          revoked: "Access token has been revoked",
        }[checked];
        return gongError(c, 401, message);
      }
      c.set("grant", checked);
    }
    const limited = quotaResponse(
      c,
      state.behaviours,
      c.get("grant").accountId,
      1,
      errorBody("API request limit exceeded"),
    );
    if (limited) return limited;
    await next();
  });

  // -- endpoints --
  app.get("/v2/workspaces", (c) => {
    const denied = requireScope(c, "api:workspaces:read");
    if (denied) return denied;
    return c.json({ requestId: requestId(), workspaces: state.dataset.workspaces });
  });

  app.get("/v2/users", (c) => {
    const denied = requireScope(c, "api:users:read");
    if (denied) return denied;
    const items = state.dataset.users.map((u, i) => ({ t: i, id: String(u.id ?? i), item: u }));
    const result = paginate(c, state, items, c.req.query("cursor"), "users", "users");
    if (result instanceof Response) return result;
    return c.json({ requestId: requestId(), records: result.records, users: result.page });
  });

  app.get("/v2/calls/:id{[0-9]+}", (c) => {
    const denied = requireScope(c, "api:calls:read:basic");
    if (denied) return denied;
    const call = state.dataset.calls.find((x) => idOf(x) === c.req.param("id") && isVisible(state, x));
    if (!call) return gongError(c, 404, `Call ID ${c.req.param("id")} was not found`);
    return c.json({ requestId: requestId(), call: call.metaData });
  });

  app.post("/v2/calls/extensive", async (c) => {
    const denied = requireScope(c, "api:calls:read:extensive");
    if (denied) return denied;
    const raw = await readJson(c);
    if (raw instanceof Response) return raw;
    const body = extensiveBody.safeParse(raw);
    if (!body.success) return gongError(c, 400, ...body.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
    const { filter, contentSelector: selector, cursor } = body.data;
    const emails = (filter.primaryUserIds ?? []).map(
      (id) => state.dataset.users.find((u) => u.id === id)?.emailAddress,
    );
    const userFailure = state.behaviours.userFailure(emails);
    if (userFailure) return gongError(c, userFailure, FAILURE_MESSAGES[userFailure] ?? "Service Unavailable");
    if (selector?.exposedFields?.media) {
      const mediaDenied = requireScope(c, "api:calls:read:media-url");
      if (mediaDenied) return mediaDenied;
    }
    const items = state.dataset.calls
      .filter((call) => isVisible(state, call) && matches(call, filter))
      .map((call) => ({ t: startedOf(call), id: idOf(call), item: call }))
      .sort(byOrder);
    if (items.length === 0) return gongError(c, 404, "No calls found corresponding to the provided filters");
    const result = paginate(c, state, items, cursor, fingerprint({ filter, selector }), "calls");
    if (result instanceof Response) return result;
    return c.json({
      requestId: requestId(),
      records: result.records,
      calls: result.page.map((call) => project(state, call, selector)),
    });
  });

  app.post("/v2/calls/transcript", async (c) => {
    const denied = requireScope(c, "api:calls:read:transcript");
    if (denied) return denied;
    const raw = await readJson(c);
    if (raw instanceof Response) return raw;
    const body = transcriptBody.safeParse(raw);
    if (!body.success) return gongError(c, 400, ...body.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
    const { filter, cursor } = body.data;
    const transcripts = new Map(state.dataset.callTranscripts.map((t) => [transcriptCallId(t), t]));
    const items = state.dataset.calls
      .filter((call) => isVisible(state, call) && isProcessed(state, call) && matches(call, filter))
      .filter((call) => transcripts.has(idOf(call)))
      .map((call) => ({ t: startedOf(call), id: idOf(call), item: idOf(call) }))
      .sort(byOrder);
    if (items.length === 0 && state.switches.transcriptsWhenNone === "404")
      return gongError(c, 404, "No calls found corresponding to the provided filters");
    const result = paginate(c, state, items, cursor, fingerprint({ filter }), "transcripts");
    if (result instanceof Response) return result;
    return c.json({
      requestId: requestId(),
      records: result.records,
      callTranscripts: result.page.map((id) => {
        const { callId: _a, callid: _b, ...rest } = transcripts.get(id)!;
        return { [state.switches.transcriptIdKey]: id, ...rest };
      }),
    });
  });

  app.notFound((c) => gongError(c, 404, "Not Found"));
  app.onError((err, c) => gongError(c, 500, `Internal server error occurred: ${err.message}`));
  return app;
}

export interface GongSimulatorOptions {
  dataset?: GongDataset;
  port?: number;
  clock?: SimClock;
  switches?: Partial<GongSimulatorSwitches>;
  /** true = Gong's documented quota (3/s, 10,000/day); a list = custom windows; default off. */
  quota?: boolean | QuotaRule[];
  clientId?: string;
  clientSecret?: string;
}

export interface GongSimulator {
  url: string;
  port: number;
  behaviours: Behaviours;
  log: RequestLog;
  oauth: OAuthTokenStore;
  clock: SimClock;
  /** Mutable: tests add or change calls, users and transcripts between requests. */
  dataset: GongDataset;
  switches: GongSimulatorSwitches;
  clientId: string;
  clientSecret: string;
  accessKeys: Map<string, string>;
  /** Automation rules that fire webhooks when calls are processed (webhooks.ts). */
  webhooks: GongWebhooks;
  /** Issues tokens as a completed consent would (no HTTP), for tests and benches. */
  grantTokens(scope?: string): { accessToken: string; refreshToken: string; expiresIn: number };
  /**
   * Deletes a call as a Gong user would: it is no longer listed nor returned by id. Gong sends no
   * delete event; callsync finds it missing when it re-reads the window. False when unknown.
   */
  deleteCall(callId: string): boolean;
  close(): Promise<void>;
}

/** The variables that point callsync's Gong OAuth client (config.ts) at a simulator. */
export function gongOAuthEnv(sim: Pick<GongSimulator, "clientId" | "clientSecret" | "url">): Record<string, string> {
  return {
    GONG_CLIENT_ID: sim.clientId,
    GONG_CLIENT_SECRET: sim.clientSecret,
    GONG_AUTHORIZE_URL: `${sim.url}/oauth2/authorize`,
    GONG_TOKEN_URL: `${sim.url}/oauth2/generate-customer-token`,
  };
}

export async function startGongSimulator(options: GongSimulatorOptions = {}): Promise<GongSimulator> {
  const behaviours = new Behaviours();
  if (options.quota) behaviours.quota = options.quota === true ? GONG_SIM_QUOTA : options.quota;
  const state: GongSimulatorState = {
    dataset: options.dataset ?? generateGongDataset(defaultScenario()),
    clock: options.clock ?? new SimClock(),
    behaviours,
    log: new RequestLog(),
    oauth: new OAuthTokenStore(),
    switches: { ...defaultGongSwitches(), ...options.switches },
    clientId: options.clientId ?? "gong-sim-client",
    clientSecret: options.clientSecret ?? "gong-sim-secret",
    accessKeys: new Map(),
    cursorSecret: randomBytes(32),
  };
  const server = await listen(createGongApp(state) as unknown as Hono, options.port ?? 0);
  const webhooks = new GongWebhooks({
    calls: () => state.dataset.calls,
    isProcessed: (call) => isVisible(state, call) && isProcessed(state, call),
  });
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
    clientId: state.clientId,
    clientSecret: state.clientSecret,
    accessKeys: state.accessKeys,
    grantTokens: (scope = ALL_SCOPES) =>
      state.oauth.issueTokens({
        accountId: state.dataset.workspaces[0]?.id ?? "0",
        scope,
        userEmail: state.oauth.consentingUser,
      }),
    deleteCall: (callId) => {
      const i = state.dataset.calls.findIndex((c) => c.metaData.id === callId);
      if (i < 0) return false;
      state.dataset.calls.splice(i, 1);
      return true;
    },
    close: () => {
      webhooks.clear();
      return server.close();
    },
  };
}
