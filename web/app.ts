/**
 * The callsync example client: how a web page uses the GraphQL API.
 *
 * - Queries and mutations: fetch POST /graphql with `Authorization: Bearer <token>`.
 * - Live updates: graphql-ws on the same /graphql path, the token in connectionParams.
 * - Every operation is a typed document string generated from web/operations/*.graphql.
 *
 * Views (hash routes): #/integrations (manage), #/connect[/PROVIDER] (the wizard:
 * Connect → Authorize → Backfill → Sync → Complete), #/deals, #/deals/<id>, #/calls/<id>.
 * The OAuth callback sends the browser back to /app/?provider=…&outcome=…&integrationId=….
 */
import { type Client, createClient } from "graphql-ws";
import {
  AppCallDocument,
  type AppCallQuery,
  AppChooseBackfillDocument,
  AppConnectDocument,
  AppDealDocument,
  type AppDealQuery,
  AppDealsDocument,
  AppDisconnectDocument,
  AppIntegrationDocument,
  AppIntegrationEventsDocument,
  AppIntegrationsDocument,
  AppRetryUserDocument,
  AppStartSyncDocument,
  AppSyncNowDocument,
  AppSyncProgressDocument,
  type AppSyncProgressSubscription,
  AppViewerDocument,
  type BackfillPeriod,
  type CallProvider,
  type IntegrationCardFragment,
  type RunSummaryFragment,
  type SyncUserRowFragment,
  type TypedDocumentString,
  type WizardStep,
} from "./generated/graphql.js";

// ---------------------------------------------------------------------------------------------
// API access
// ---------------------------------------------------------------------------------------------

const TOKEN_KEY = "callsync.token";
const GRAPHQL_PATH = "/graphql";

let token: string | null = null;
let wsClient: Client | null = null;

/** A GraphQL error the page shows: the server's human message and its stable code. */
class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

async function gql<R, V>(doc: TypedDocumentString<R, V>, variables: V): Promise<R> {
  const res = await fetch(GRAPHQL_PATH, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: doc.toString(), variables }),
  });
  let body: GraphQLResponse<R>;
  try {
    body = (await res.json()) as GraphQLResponse<R>;
  } catch {
    throw new ApiError(`The API answered ${res.status}.`, "NETWORK_ERROR");
  }
  const first = body.errors?.[0];
  if (first) {
    const error = new ApiError(first.message, first.extensions?.code ?? "ERROR", first.extensions?.field);
    if (error.code === "UNAUTHENTICATED") signOut();
    throw error;
  }
  if (!body.data) throw new ApiError("The API returned no data.", "ERROR");
  return body.data;
}

function ws(): Client {
  wsClient ??= createClient({
    url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${GRAPHQL_PATH}`,
    connectionParams: () => (token ? { authorization: `Bearer ${token}` } : {}),
    lazy: true,
    retryAttempts: 10,
  });
  return wsClient;
}

/** Subscribes for as long as the current view is shown. */
function live<R, V>(doc: TypedDocumentString<R, V>, variables: V, onData: (data: R) => void): void {
  const dispose = ws().subscribe<R>(
    { query: doc.toString(), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.data) onData(result.data);
      },
      error: (e) => console.warn("subscription error", e),
      complete: () => {},
    },
  );
  viewDisposers.push(dispose);
}

function signOut(): void {
  token = null;
  localStorage.removeItem(TOKEN_KEY);
  void wsClient?.dispose();
  wsClient = null;
}

// ---------------------------------------------------------------------------------------------
// DOM helpers
// ---------------------------------------------------------------------------------------------

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

/** h("button", { class: "x", onclick: fn }, "Label") */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

const when = (iso: string | null | undefined) =>
  iso ? h("time", { datetime: iso }, DATE_TIME.format(new Date(iso))) : "—";
const day = (iso: string | null | undefined) => (iso ? h("time", { datetime: iso }, DATE.format(new Date(iso))) : "—");

function duration(ms: number | null | undefined): string {
  if (!ms) return "—";
  const minutes = Math.round(ms / 60_000);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function money(amount: string | null, currency: string | null): string {
  if (!amount) return "—";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency ?? "USD" }).format(Number(amount));
  } catch {
    return `${amount} ${currency ?? ""}`;
  }
}

function badge(value: string, label = humanize(value)): HTMLElement {
  return h("span", { class: `badge ${value}` }, label);
}

const humanize = (code: string) => code.charAt(0) + code.slice(1).toLowerCase().replaceAll("_", " ");

function alertBox(error: unknown): HTMLElement {
  const e = error instanceof ApiError ? error : null;
  return h(
    "div",
    { class: "alert", role: "alert", "data-code": e?.code ?? "ERROR" },
    e ? e.message : `Something went wrong: ${String(error)}`,
  );
}

/** Runs an action from a button: disables it meanwhile, shows a failure next to it. */
function action(button: HTMLButtonElement, run: () => Promise<void>, errorSlot?: HTMLElement): void {
  button.addEventListener("click", async () => {
    button.disabled = true;
    errorSlot?.replaceChildren();
    try {
      await run();
    } catch (e) {
      if (errorSlot) errorSlot.replaceChildren(alertBox(e));
      else button.after(alertBox(e));
    } finally {
      button.disabled = false;
    }
  });
}

/** Children for replaceChildren(): nested lists flattened, empty values dropped. */
function compact(children: (Child | Child[])[]): (Node | string)[] {
  return children
    .flat()
    .filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : String(c)));
}

function facts(rows: [string, Child | Child[]][]): HTMLElement {
  return h("dl", { class: "facts" }, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, ...[v].flat())]));
}

// ---------------------------------------------------------------------------------------------
// Providers and wizard vocabulary
// ---------------------------------------------------------------------------------------------

const PROVIDERS: Record<CallProvider, { name: string; oauth: boolean; blurb: string }> = {
  GONG: { name: "Gong", oauth: true, blurb: "Sign in with Gong (OAuth) and approve read access." },
  SALESLOFT: { name: "Salesloft", oauth: true, blurb: "Sign in with Salesloft (OAuth) and approve access." },
  CLARI_COPILOT: {
    name: "Clari Copilot",
    oauth: false,
    blurb: "Paste the API key and API secret from Clari Copilot's settings.",
  },
};
const PROVIDER_ORDER: CallProvider[] = ["GONG", "SALESLOFT", "CLARI_COPILOT"];
const isProvider = (p: string | null | undefined): p is CallProvider => !!p && p in PROVIDERS;

const STEPS: { step: WizardStep; label: string }[] = [
  { step: "CONNECT", label: "Connect" },
  { step: "AUTHORIZE", label: "Authorize" },
  { step: "BACKFILL", label: "Backfill" },
  { step: "SYNC", label: "Sync" },
  { step: "COMPLETE", label: "Complete" },
];

const BACKFILL: { period: BackfillPeriod; label: string }[] = [
  { period: "DAYS_30", label: "Last 30 days" },
  { period: "DAYS_60", label: "Last 60 days" },
  { period: "DAYS_90", label: "Last 90 days" },
  { period: "MONTHS_6", label: "Last 6 months (recommended)" },
  { period: "YEAR_1", label: "Last year" },
  { period: "ALL_TIME", label: "All time" },
  { period: "NONE", label: "Skip backfill — only new calls from now on" },
];
const backfillLabel = (p: BackfillPeriod | null) => BACKFILL.find((b) => b.period === p)?.label ?? "—";

/** Messages for the outcome codes the OAuth callback puts in the URL (the API has the same words). */
const OUTCOMES: Record<string, string> = {
  AUTHORIZATION_CANCELLED: "Authorization was cancelled. Start again and approve access to continue.",
  AUTHORIZATION_ACCESS_DENIED:
    "Your account is not allowed to authorize third-party apps. Ask a provider admin to connect, or to grant you that permission.",
  AUTHORIZATION_SESSION_EXPIRED: "The authorization session expired or was already used. Start again.",
  PROVIDER_UNAVAILABLE: "The provider did not answer in time. Try again in a few minutes.",
};

// ---------------------------------------------------------------------------------------------
// Live per-user progress of a sync run (the wizard's Sync step and the management view)
// ---------------------------------------------------------------------------------------------

type RunEvent = AppSyncProgressSubscription["syncProgress"];

const STATE_LABEL: Record<string, string> = {
  PENDING: "Pending",
  IN_PROGRESS: "Importing",
  COMPLETED: "Completed",
  FAILED: "Failed",
  SKIPPED: "Skipped",
};

/**
 * A table of a run's users that follows the syncProgress subscription. Rows carry
 * data-user and data-state; failed, retryable users get a Retry button.
 */
class RunProgress {
  readonly el = h("div", { class: "run-progress" });
  private readonly status = h("p", { class: "run-status", role: "status", "aria-live": "polite" });
  private readonly body = h("tbody");
  private readonly users = new Map<string, SyncUserRowFragment>();
  private run: { id: string; status: string; kind: string } | null = null;
  /** Retrying needs a live connection; a disconnected integration shows its last results only. */
  private canRetry = true;

  constructor(
    integrationId: string,
    run: RunSummaryFragment | null,
    private readonly onFinished: (runId: string) => void,
  ) {
    this.el.append(
      this.status,
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "User"),
            h("th", { scope: "col" }, "State"),
            h("th", { scope: "col" }, "Calls"),
            h("th", { scope: "col" }, "Details"),
            h("th", { scope: "col" }, h("span", { class: "muted" }, "Action")),
          ),
        ),
        this.body,
      ),
    );
    if (run) this.setRun(run);
    else this.renderStatus();
    live(AppSyncProgressDocument, { integrationId }, (data) => this.apply(data.syncProgress));
  }

  allowRetry(allowed: boolean): void {
    this.canRetry = allowed;
    this.renderAll();
  }

  /** A run as read by a query or returned by a mutation. */
  setRun(run: RunSummaryFragment): void {
    if (this.run?.id !== run.id) this.users.clear();
    this.run = { id: run.id, status: run.status, kind: run.kind };
    for (const user of run.users) this.merge(user);
    this.renderAll();
  }

  private apply(event: RunEvent): void {
    const wasRunning = this.run?.status === "RUNNING";
    if (this.run?.id !== event.run.id) {
      this.users.clear();
      this.run = { ...event.run };
    }
    this.run.status = event.run.status;
    if (event.user) this.merge(event.user);
    this.renderAll();
    if (wasRunning && event.run.status !== "RUNNING") this.onFinished(event.run.id);
  }

  /** Events may cross a query's answer: the newest write of a user wins. */
  private merge(user: SyncUserRowFragment): void {
    const known = this.users.get(user.id);
    if (!known || Date.parse(user.updatedAt) >= Date.parse(known.updatedAt)) this.users.set(user.id, user);
  }

  private renderStatus(): void {
    if (!this.run) {
      this.status.textContent = "No sync has run yet.";
      return;
    }
    const users = [...this.users.values()];
    const finished = users.filter((u) => u.state !== "PENDING" && u.state !== "IN_PROGRESS").length;
    const what = this.run.kind === "BACKFILL" ? "Initial import" : `${humanize(this.run.kind)} sync`;
    this.status.replaceChildren(`${what}: `, badge(this.run.status), ` — ${finished} of ${users.length} users done`);
    this.status.dataset.status = this.run.status;
  }

  private renderAll(): void {
    this.renderStatus();
    const users = [...this.users.values()].sort((a, b) => (a.email ?? a.id).localeCompare(b.email ?? b.id));
    this.body.replaceChildren(...users.map((u) => this.row(u)));
  }

  private row(u: SyncUserRowFragment): HTMLElement {
    const details: Child[] = [];
    if (u.waitingForRateLimitUntil)
      details.push(
        h("div", {}, "Waiting for the provider's rate limit until ", TIME.format(new Date(u.waitingForRateLimitUntil))),
      );
    if (u.state === "IN_PROGRESS" && u.estimatedSecondsLeft !== null)
      details.push(h("div", {}, `About ${u.estimatedSecondsLeft} s left`));
    if (u.error) details.push(h("div", { class: "error-text" }, u.error.message));
    if (u.retryAdvice) details.push(h("div", { class: "hint" }, u.retryAdvice));
    if (u.skipReason) details.push(h("div", {}, u.skipReason));

    const total = u.callsTotal;
    const calls =
      u.state === "SKIPPED"
        ? "—"
        : [
            total ? h("progress", { max: total, value: Math.min(u.callsDone, total), "aria-hidden": "true" }) : null,
            total !== null
              ? ` ${u.callsDone} / ${total}`
              : ` ${u.callsDone}${u.state === "IN_PROGRESS" ? " so far" : ""}`,
            u.callsImported > 0 ? h("span", { class: "muted" }, ` (${u.callsImported} new)`) : null,
          ];

    let actionCell: Child = null;
    if (u.state === "FAILED" && u.retryable !== false && this.canRetry) {
      const retry = h("button", { type: "button", class: "secondary" }, "Retry");
      retry.setAttribute("aria-label", `Retry ${u.name ?? u.email ?? "user"}`);
      const slot = h("div");
      action(
        retry,
        async () => {
          const data = await gql(AppRetryUserDocument, { id: u.id });
          if (this.run) this.run.status = "RUNNING";
          this.merge(data.retrySyncUser);
          this.renderAll();
        },
        slot,
      );
      actionCell = h("div", {}, retry, slot);
    }

    return h(
      "tr",
      { "data-user": u.email ?? u.id, "data-state": u.state },
      h(
        "td",
        {},
        h("div", {}, u.name ?? u.email ?? "Unknown user"),
        u.name ? h("div", { class: "muted" }, u.email) : null,
      ),
      h("td", {}, badge(u.state, STATE_LABEL[u.state] ?? u.state)),
      h("td", { class: "nowrap" }, ...[calls].flat()),
      h("td", {}, ...details),
      h("td", {}, actionCell),
    );
  }
}

function summaryView(run: RunSummaryFragment): HTMLElement {
  const s = run.summary;
  return h(
    "div",
    { class: "summary" },
    h(
      "p",
      { class: run.status === "COMPLETED" ? "success" : "notice", "data-status": run.status },
      `Imported ${s.callsImported} new call${s.callsImported === 1 ? "" : "s"} from ${s.usersCompleted} user${s.usersCompleted === 1 ? "" : "s"}.`,
      s.usersFailed > 0 ? ` ${s.usersFailed} failed — retry them below.` : "",
    ),
    facts([
      ["Calls imported", String(s.callsImported)],
      ["Calls updated", String(s.callsUpdated)],
      ["Calls unchanged", String(s.callsUnchanged)],
      ["Users completed", String(s.usersCompleted)],
      ["Users failed", String(s.usersFailed)],
      ["Users skipped", String(s.usersSkipped)],
    ]),
    s.skipped.length
      ? [
          h("h3", {}, "Skipped users"),
          h(
            "ul",
            { class: "skipped" },
            s.skipped.map((u) => h("li", {}, h("strong", {}, u.name ?? u.email ?? "Unknown"), ` — ${u.reason}`)),
          ),
        ]
      : null,
  );
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

const main = () => document.getElementById("main") as HTMLElement;
let viewDisposers: (() => void)[] = [];
let renderCount = 0;
/** Set once from the OAuth callback's redirect; the wizard shows it. */
let oauthOutcome: { provider: CallProvider; outcome: string } | null = null;

function show(title: string, ...content: Child[]): void {
  document.title = `${title} — callsync`;
  const heading = h("h1", { tabindex: -1 }, title);
  main().replaceChildren(heading, ...compact(content));
  heading.focus({ preventScroll: true });
}

async function render(): Promise<void> {
  for (const dispose of viewDisposers) dispose();
  viewDisposers = [];
  const mine = ++renderCount;
  const [, section = "integrations", id] = location.hash.split("/");
  for (const link of document.querySelectorAll<HTMLAnchorElement>("header nav a")) {
    if (link.getAttribute("href") === `#/${section}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!token) return signInView();
  try {
    const stale = () => mine !== renderCount;
    if (section === "connect") await wizardView(isProvider(id) ? id : null, stale);
    else if (section === "deals" && id) await dealView(decodeURIComponent(id), stale);
    else if (section === "deals") await dealsView(stale);
    else if (section === "calls" && id) await callView(decodeURIComponent(id), stale);
    else await integrationsView(stale);
  } catch (e) {
    if (mine !== renderCount) return;
    if (!token) return signInView();
    show("Something went wrong", alertBox(e));
  }
}

function signInView(): void {
  const input = h("input", { type: "password", id: "token", name: "token", autocomplete: "off", required: true });
  const form = h(
    "form",
    {},
    h("label", { for: "token" }, "API token"),
    h("p", { class: "hint", id: "token-hint" }, "`npm start` prints a link that signs you in, or run `npm run token`."),
    input,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Sign in")),
  );
  input.setAttribute("aria-describedby", "token-hint");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    void boot();
  });
  show("Sign in", h("div", { class: "card" }, form));
}

// --- Integrations (management) ---------------------------------------------------------------

async function integrationsView(stale: () => boolean): Promise<void> {
  const { integrations } = await gql(AppIntegrationsDocument, {});
  if (stale()) return;
  const byProvider = new Map(integrations.map((i) => [i.provider, i]));
  const cards = PROVIDER_ORDER.map((p) => {
    const integration = byProvider.get(p);
    return integration ? integrationCard(integration) : notConnectedCard(p);
  });
  show("Call integrations", ...cards);
}

function notConnectedCard(provider: CallProvider): HTMLElement {
  const info = PROVIDERS[provider];
  return h(
    "section",
    { class: "card", "aria-labelledby": `card-${provider}`, "data-provider": provider },
    h("h2", { id: `card-${provider}` }, info.name, " ", badge("NOT_CONNECTED", "Not connected")),
    h("p", {}, info.blurb),
    h("a", { class: "button", href: `#/connect/${provider}` }, `Connect ${info.name}`),
  );
}

function integrationCard(initial: IntegrationCardFragment): HTMLElement {
  const card = h("section", {
    class: "card",
    "aria-labelledby": `card-${initial.provider}`,
    "data-provider": initial.provider,
  });
  const name = PROVIDERS[initial.provider].name;
  const errors = h("div");
  let progress: RunProgress | null = null;

  const refresh = async () => {
    const { integration } = await gql(AppIntegrationDocument, { provider: initial.provider });
    if (integration) fill(integration);
  };

  const fill = (i: IntegrationCardFragment) => {
    const active = i.status === "CONNECTED";
    const buttons: HTMLElement[] = [];
    if (active && i.wizardStep === "COMPLETE") {
      const syncNow = h("button", { type: "button" }, "Sync now");
      action(
        syncNow,
        async () => {
          const { syncNow: run } = await gql(AppSyncNowDocument, { integrationId: i.id });
          progress?.setRun(run);
        },
        errors,
      );
      buttons.push(syncNow);
    }
    if (i.wizardStep !== "COMPLETE" || i.status !== "CONNECTED")
      buttons.push(
        h(
          "a",
          { class: "button", href: `#/connect/${i.provider}` },
          i.status === "CONNECTED" || i.status === "PENDING_AUTHORIZATION" ? "Continue setup" : `Reconnect ${name}`,
        ),
      );
    if (i.status !== "DISCONNECTED") {
      const disconnect = h("button", { type: "button", class: "danger" }, "Disconnect");
      disconnect.addEventListener("click", () => {
        const confirmButton = h("button", { type: "button", class: "danger" }, `Yes, disconnect ${name}`);
        const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
        const box = h(
          "div",
          { class: "notice", role: "group", "aria-label": "Confirm disconnect" },
          h("p", {}, `Stop syncing ${name} and delete its credentials? Imported calls and their deal links stay.`),
          h("div", { class: "actions" }, confirmButton, cancel),
        );
        cancel.addEventListener("click", () => {
          box.remove();
          disconnect.focus();
        });
        action(
          confirmButton,
          async () => {
            const { disconnectIntegration } = await gql(AppDisconnectDocument, { integrationId: i.id });
            fill(disconnectIntegration);
          },
          errors,
        );
        disconnect.parentElement?.after(box);
        confirmButton.focus();
      });
      buttons.push(disconnect);
    }

    const run = i.latestRun;
    if (!progress && i.status !== "DISCONNECTED")
      progress = new RunProgress(i.id, run, () => void refresh().catch((e) => errors.replaceChildren(alertBox(e))));
    else if (progress && run) progress.setRun(run);
    progress?.allowRetry(active);
    if (progress && run) progress.setRun(run);

    card.replaceChildren(
      ...compact([
        h("h2", { id: `card-${i.provider}` }, name, " ", badge(i.status)),
        i.error ? h("div", { class: "alert", role: "alert", "data-code": i.error.code }, i.error.message) : null,
        ...i.warnings
          .filter((w) => w.code !== "RECONNECT_NEEDED" || !i.error)
          .map((w) => h("p", { class: "notice", "data-code": w.code }, w.message)),
        facts([
          ["Account", i.connectedAccount?.name ?? i.connectedAccount?.id ?? "—"],
          ["Connected", i.connectedAt ? [when(i.connectedAt), i.connectedBy ? ` by ${i.connectedBy.name}` : ""] : "—"],
          ...(i.disconnectedAt ? [["Disconnected", when(i.disconnectedAt)] as [string, Child]] : []),
          ["Backfill", backfillLabel(i.backfillPeriod)],
          ["Calls imported", String(i.callCount)],
          [
            "Last sync",
            i.lastSyncAt
              ? [
                  when(i.lastSyncAt),
                  " ",
                  i.lastSyncStatus ? badge(i.lastSyncStatus) : null,
                  i.lastSyncError ? ` ${i.lastSyncError}` : "",
                ]
              : "Never",
          ],
          [
            "Next sync",
            i.nextSyncAt
              ? [when(i.nextSyncAt), h("span", { class: "muted" }, ` (every ${i.syncIntervalMinutes / 60} h)`)]
              : "Not scheduled",
          ],
        ]),
        h("div", { class: "actions" }, ...buttons),
        errors,
        progress && run ? [h("h3", {}, "Latest sync"), progress.el] : null,
      ]),
    );
  };
  fill(initial);
  return card;
}

// --- The wizard ------------------------------------------------------------------------------

function stepper(current: WizardStep): HTMLElement {
  const index = STEPS.findIndex((s) => s.step === current);
  return h(
    "ol",
    { class: "steps", "aria-label": "Setup steps" },
    STEPS.map((s, i) =>
      h(
        "li",
        { class: i < index ? "done" : null, "aria-current": i === index ? "step" : null, "data-step": s.step },
        s.label,
      ),
    ),
  );
}

/** Which step to show: the server's wizardStep, except that a new or lost connection authorizes again. */
function currentStep(i: IntegrationCardFragment | null): WizardStep {
  if (!i || i.status === "DISCONNECTED" || i.status === "RECONNECT_NEEDED" || i.status === "PENDING_AUTHORIZATION")
    return "AUTHORIZE";
  return i.wizardStep === "CONNECT" ? "AUTHORIZE" : i.wizardStep;
}

async function wizardView(provider: CallProvider | null, stale: () => boolean): Promise<void> {
  if (!provider) {
    show(
      "Connect a call recorder",
      stepper("CONNECT"),
      h("p", {}, "Pick the provider your team records calls with. You can connect all three."),
      h(
        "div",
        { class: "cards" },
        PROVIDER_ORDER.map((p) =>
          h(
            "section",
            { class: "card", "aria-labelledby": `pick-${p}` },
            h("h2", { id: `pick-${p}` }, PROVIDERS[p].name),
            h("p", {}, PROVIDERS[p].blurb),
            h("a", { class: "button", href: `#/connect/${p}` }, `Connect ${PROVIDERS[p].name}`),
          ),
        ),
      ),
    );
    return;
  }
  const { integration } = await gql(AppIntegrationDocument, { provider });
  if (stale()) return;
  const step = currentStep(integration);
  const name = PROVIDERS[provider].name;
  const title = `Connect ${name}`;
  const rerender = () => void render();
  if (step === "AUTHORIZE") return show(title, stepper(step), authorizeStep(provider, integration, rerender));
  if (!integration) return;
  if (step === "BACKFILL") return show(title, stepper(step), backfillStep(integration, rerender));
  if (step === "SYNC") return show(title, stepper(step), syncStep(integration, rerender));
  show(title, stepper("COMPLETE"), completeStep(integration));
}

function authorizeStep(
  provider: CallProvider,
  integration: IntegrationCardFragment | null,
  rerender: () => void,
): HTMLElement {
  const info = PROVIDERS[provider];
  const errors = h("div");
  const box = h("section", { class: "card", "aria-labelledby": "authorize-title" });
  box.append(h("h2", { id: "authorize-title" }, `Authorize callsync in ${info.name}`));

  // Back from the OAuth redirect with a failure, or a problem the API recorded.
  const outcome = oauthOutcome?.provider === provider ? oauthOutcome.outcome : null;
  oauthOutcome = null;
  if (outcome && outcome !== "connected")
    errors.append(
      h(
        "div",
        { class: "alert", role: "alert", "data-code": outcome },
        integration?.error?.code === outcome ? integration.error.message : (OUTCOMES[outcome] ?? outcome),
      ),
    );
  else if (integration?.error)
    errors.append(
      h("div", { class: "alert", role: "alert", "data-code": integration.error.code }, integration.error.message),
    );
  if (integration?.status === "DISCONNECTED")
    box.append(
      h(
        "p",
        { class: "notice" },
        "This provider was disconnected. Reconnecting picks up the calls from the gap; nothing is imported twice.",
      ),
    );
  box.append(errors);

  if (info.oauth) {
    const go = h("button", { type: "button" }, `Continue to ${info.name}`);
    box.append(
      h("p", {}, `You will be sent to ${info.name} to approve read access to users and calls, then brought back here.`),
      h("div", { class: "actions" }, go),
    );
    action(
      go,
      async () => {
        const { connectIntegration } = await gql(AppConnectDocument, { provider });
        if (!connectIntegration.authorizationUrl) return rerender();
        location.assign(connectIntegration.authorizationUrl);
      },
      errors,
    );
    // Authorized in another tab or window: the subscription says so at once.
    if (integration?.status === "PENDING_AUTHORIZATION")
      live(AppIntegrationEventsDocument, { integrationId: integration.id }, (data) => {
        if (data.integrationEvents.type === "AUTHORIZED") rerender();
      });
    return box;
  }

  // API key providers: two distinct fields, verified by the API before they are saved.
  const apiKey = h("input", { type: "text", id: "apiKey", name: "apiKey", autocomplete: "off", required: true });
  const apiSecret = h("input", {
    type: "password",
    id: "apiSecret",
    name: "apiSecret",
    autocomplete: "off",
    required: true,
  });
  const submit = h("button", { type: "submit" }, "Verify and connect");
  const form = h(
    "form",
    { novalidate: true },
    h(
      "p",
      { class: "hint", id: "keys-hint" },
      `In ${info.name}, open Settings → Integrations → Copilot API. Copy the API Key and the API Secret: two different values.`,
    ),
    h("label", { for: "apiKey" }, "API key"),
    apiKey,
    h("label", { for: "apiSecret" }, "API secret"),
    apiSecret,
    h("div", { class: "actions" }, submit),
  );
  apiKey.setAttribute("aria-describedby", "keys-hint");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    errors.replaceChildren();
    apiKey.removeAttribute("aria-invalid");
    apiSecret.removeAttribute("aria-invalid");
    try {
      await gql(AppConnectDocument, { provider, apiKey: apiKey.value, apiSecret: apiSecret.value });
      rerender();
    } catch (error) {
      errors.replaceChildren(alertBox(error));
      const field = error instanceof ApiError ? error.field : undefined;
      const invalid = field === "apiKey" ? [apiKey] : field === "apiSecret" ? [apiSecret] : [apiKey, apiSecret];
      for (const input of invalid) input.setAttribute("aria-invalid", "true");
      invalid[0]?.focus();
    } finally {
      submit.disabled = false;
    }
  });
  box.append(form);
  return box;
}

function backfillStep(integration: IntegrationCardFragment, rerender: () => void): HTMLElement {
  const chosen = integration.backfillPeriod ?? "MONTHS_6";
  const errors = h("div");
  const submit = h("button", { type: "submit" }, "Continue");
  const form = h(
    "form",
    { class: "card" },
    h(
      "p",
      { class: "success" },
      `Connected to ${PROVIDERS[integration.provider].name}`,
      integration.connectedAccount?.name ? ` (${integration.connectedAccount.name})` : "",
      ".",
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "How far back should callsync import calls?"),
      BACKFILL.map((b) =>
        h(
          "label",
          {},
          h("input", { type: "radio", name: "period", value: b.period, checked: b.period === chosen }),
          ` ${b.label}`,
        ),
      ),
    ),
    h("p", { class: "hint" }, "Saved with the integration. To change it later, disconnect and reconnect."),
    errors,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const period = new FormData(form).get("period") as BackfillPeriod;
    submit.disabled = true;
    try {
      await gql(AppChooseBackfillDocument, { integrationId: integration.id, period });
      rerender();
    } catch (error) {
      errors.replaceChildren(alertBox(error));
      submit.disabled = false;
    }
  });
  return form;
}

function syncStep(integration: IntegrationCardFragment, rerender: () => void): HTMLElement {
  const errors = h("div");
  const box = h("section", { class: "card", "aria-labelledby": "sync-title" });
  // Subscribed before the run starts, so no change is missed; the run's own state is merged in.
  const progress = new RunProgress(integration.id, integration.latestRun, () => rerender());
  box.append(h("h2", { id: "sync-title" }, "Import calls"));
  if (!integration.latestRun) {
    const start = h("button", { type: "button" }, "Start import");
    box.append(
      h(
        "p",
        {},
        `callsync imports ${backfillLabel(integration.backfillPeriod).toLowerCase()} of calls, one provider user at a time. `,
        "You can watch each user's progress here, or leave: the import runs in the background.",
      ),
      h("div", { class: "actions" }, start),
    );
    action(
      start,
      async () => {
        const { startSync } = await gql(AppStartSyncDocument, { integrationId: integration.id });
        start.closest(".actions")?.remove();
        progress.setRun(startSync);
      },
      errors,
    );
  }
  box.append(errors, progress.el);
  return box;
}

function completeStep(integration: IntegrationCardFragment): HTMLElement {
  const run = integration.latestRun;
  const box = h("section", { class: "card", "aria-labelledby": "complete-title" });
  box.append(h("h2", { id: "complete-title" }, "Import finished"));
  if (run) {
    box.append(summaryView(run), h("h3", {}, "Per-user results"));
    const progress = new RunProgress(integration.id, run, () => void render());
    box.append(progress.el);
  }
  box.append(
    h(
      "p",
      {},
      `From now on ${PROVIDERS[integration.provider].name} syncs automatically every ${integration.syncIntervalMinutes / 60} hours`,
      integration.nextSyncAt ? [" (next: ", when(integration.nextSyncAt), ")"] : "",
      ".",
    ),
    h(
      "div",
      { class: "actions" },
      h("a", { class: "button", href: "#/integrations" }, "Manage integrations"),
      h("a", { class: "button secondary", href: "#/deals" }, "Browse deals"),
    ),
  );
  return box;
}

// --- Deals and calls -------------------------------------------------------------------------

async function dealsView(stale: () => boolean): Promise<void> {
  const params = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const text = params.get("q") ?? "";
  const { deals } = await gql(AppDealsDocument, { first: 100, filter: text ? { text } : null });
  if (stale()) return;
  const search = h("input", { type: "search", id: "deal-search", name: "q", value: text });
  const form = h("form", { role: "search" }, h("label", { for: "deal-search" }, "Find a deal or account"), search);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `#/deals?q=${encodeURIComponent(search.value)}`;
  });
  show(
    "Deals",
    form,
    h("p", { class: "muted" }, `${deals.totalCount} deal${deals.totalCount === 1 ? "" : "s"}`),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Deal", "Account", "Stage", "Amount", "Close date", "Calls"].map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h(
        "tbody",
        {},
        deals.edges.map(({ node: d }) =>
          h(
            "tr",
            {},
            h("td", {}, h("a", { href: `#/deals/${encodeURIComponent(d.id)}` }, d.name)),
            h("td", {}, d.account?.name ?? "—"),
            h("td", {}, d.stage ?? "—"),
            h("td", {}, money(d.amount, d.currency)),
            h("td", {}, day(d.closeDate)),
            h("td", {}, String(d.calls.totalCount)),
          ),
        ),
      ),
    ),
  );
}

async function dealView(id: string, stale: () => boolean): Promise<void> {
  const { deal } = await gql(AppDealDocument, { id });
  if (stale()) return;
  if (!deal) return show("Deal not found", h("p", {}, h("a", { href: "#/deals" }, "Back to deals")));
  show(
    deal.name,
    h("nav", { "aria-label": "Breadcrumb" }, h("a", { href: "#/deals" }, "← All deals")),
    h(
      "div",
      { class: "card" },
      facts([
        ["Account", [deal.account?.name ?? "—", deal.account?.domain ? ` (${deal.account.domain})` : ""]],
        ["Stage", deal.stage ?? "—"],
        ["Amount", money(deal.amount, deal.currency)],
        ["Close date", day(deal.closeDate)],
        ["Owner", deal.ownerName ?? deal.ownerEmail ?? "—"],
        ["CRM", `${humanize(deal.crmProvider)} ${deal.crmId}`],
      ]),
    ),
    h("h2", {}, `Calls (${deal.calls.totalCount})`),
    deal.calls.edges.length
      ? h(
          "ul",
          { class: "calls" },
          deal.calls.edges.map(({ node }) => callItem(node)),
        )
      : h("p", { class: "muted" }, "No calls on this deal yet."),
  );
}

type DealCall = NonNullable<AppDealQuery["deal"]>["calls"]["edges"][number]["node"];

function callItem(c: DealCall): HTMLElement {
  const external = c.participants.filter((p) => !p.isInternal).map((p) => p.name ?? "Unknown");
  return h(
    "li",
    {},
    h("a", { href: `#/calls/${encodeURIComponent(c.id)}` }, c.title ?? "Untitled call"),
    " ",
    c.readiness !== "READY" ? badge(c.readiness) : null,
    h(
      "div",
      { class: "muted" },
      when(c.startedAt),
      ` · ${duration(c.durationMs)} · ${PROVIDERS[c.provider].name}`,
      external.length ? ` · with ${external.join(", ")}` : "",
    ),
  );
}

async function callView(id: string, stale: () => boolean): Promise<void> {
  const { call } = await gql(AppCallDocument, { id });
  if (stale()) return;
  if (!call) return show("Call not found", h("p", {}, h("a", { href: "#/deals" }, "Back to deals")));
  show(
    call.title ?? "Untitled call",
    h(
      "nav",
      { "aria-label": "Breadcrumb" },
      call.deal
        ? h("a", { href: `#/deals/${encodeURIComponent(call.deal.id)}` }, `← ${call.deal.name}`)
        : h("a", { href: "#/deals" }, "← All deals"),
    ),
    h(
      "div",
      { class: "card" },
      facts([
        ["When", when(call.startedAt)],
        ["Duration", duration(call.durationMs)],
        ["Provider", PROVIDERS[call.provider].name],
        ["Direction", humanize(call.direction)],
        ["Deal", call.deal ? call.deal.name : (call.dealLink.reason ?? humanize(call.dealLink.status))],
      ]),
      call.providerUrl
        ? h(
            "a",
            { href: call.providerUrl, target: "_blank", rel: "noopener noreferrer" },
            `Open the recording in ${PROVIDERS[call.provider].name}`,
          )
        : null,
    ),
    h(
      "div",
      { class: "two-col" },
      h(
        "section",
        { class: "card", "aria-labelledby": "summary-title" },
        h("h2", { id: "summary-title" }, "Summary"),
        call.summary?.brief ? h("p", {}, call.summary.brief) : h("p", { class: "muted" }, "No summary."),
        call.summary?.keyPoints.length
          ? h(
              "ul",
              {},
              call.summary.keyPoints.map((k) => h("li", {}, k)),
            )
          : null,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "actions-title" },
        h("h2", { id: "actions-title" }, "Action items"),
        call.actionItems.length
          ? h(
              "ul",
              { class: "action-items" },
              call.actionItems.map((a) =>
                h(
                  "li",
                  {},
                  a.text,
                  a.owner?.name || a.ownerName
                    ? h("span", { class: "muted" }, ` — ${a.owner?.name ?? a.ownerName}`)
                    : null,
                ),
              ),
            )
          : h("p", { class: "muted" }, "No action items."),
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "people-title" },
        h("h2", { id: "people-title" }, "Participants"),
        h(
          "ul",
          {},
          call.participants.map((p) =>
            h(
              "li",
              {},
              p.name ?? p.email ?? "Unknown",
              h("span", { class: "muted" }, p.isInternal ? " (internal)" : " (external)"),
            ),
          ),
        ),
      ),
    ),
    transcriptView(call),
  );
}

function transcriptView(call: NonNullable<AppCallQuery["call"]>): HTMLElement {
  const t = call.transcript;
  const section = h(
    "section",
    { "aria-labelledby": "transcript-title" },
    h("h2", { id: "transcript-title" }, `Transcript (${t.segmentCount} segments)`),
  );
  if (t.readiness !== "READY" && t.segmentCount === 0) {
    const why: Record<string, string> = {
      PROCESSING: "The provider is still processing this call.",
      TRANSCRIPT_PENDING: "The provider has not published the transcript yet; callsync checks again on every sync.",
      TRANSCRIPT_GAVE_UP: "The transcript did not arrive in time.",
      FAILED: "The provider could not process this call.",
    };
    section.append(h("p", { class: "notice" }, why[t.readiness] ?? "No transcript."));
    return section;
  }
  section.append(
    h(
      "ol",
      { class: "transcript" },
      t.segments.edges.map(({ node: s }) =>
        h(
          "li",
          { "data-position": s.position },
          h("time", {}, clock(s.startMs)),
          h(
            "span",
            { class: `speaker${s.speaker?.isInternal === false ? " external" : ""}` },
            s.speaker?.name ?? "Unknown speaker",
          ),
          h("span", { class: "text" }, s.text),
        ),
      ),
    ),
  );
  return section;
}

// ---------------------------------------------------------------------------------------------
// Start-up
// ---------------------------------------------------------------------------------------------

function setToken(value: string): void {
  token = value || null;
  if (token) localStorage.setItem(TOKEN_KEY, token);
}

async function boot(): Promise<void> {
  const url = new URL(location.href);
  const q = url.searchParams;
  // `npm start` prints /app/?token=…; keep it in localStorage and out of the address bar.
  if (q.get("token")) setToken(q.get("token") ?? "");
  else token ??= localStorage.getItem(TOKEN_KEY);
  // Back from the provider's consent page through callsync's OAuth callback.
  const provider = q.get("provider");
  if (isProvider(provider) && q.get("outcome")) {
    oauthOutcome = { provider, outcome: q.get("outcome") ?? "" };
    url.hash = `#/connect/${provider}`;
  }
  for (const key of ["token", "provider", "outcome", "integrationId"]) url.searchParams.delete(key);
  history.replaceState(null, "", url);

  const viewer = document.getElementById("viewer") as HTMLElement;
  const workspace = document.getElementById("workspace") as HTMLElement;
  if (token) {
    try {
      const data = await gql(AppViewerDocument, {});
      workspace.textContent = data.viewer.workspace.name;
      const out = h("button", { type: "button", class: "secondary" }, "Sign out");
      out.addEventListener("click", () => {
        signOut();
        viewer.replaceChildren();
        workspace.replaceChildren();
        void render();
      });
      viewer.replaceChildren(`${data.viewer.user.name} (${humanize(data.viewer.user.role)}) `, out);
    } catch {
      // render() shows the sign-in form when the token is refused.
    }
  }
  await render();
}

window.addEventListener("hashchange", () => void render());
void boot();
