import type { IntegrationEvent, SyncProgressEvent } from "../../events/pubsub.js";
import {
  LIFECYCLE_ACTIONS,
  LIFECYCLE_STATES,
  lifecycleState,
  nextActions,
  TRANSITIONS,
  wizardStepOf,
} from "../../integrations/lifecycle.js";
import { humanMessage, runProblem } from "../../integrations/messages.js";
import { paceKeyOf, REQUEST_COST } from "../../integrations/providers.js";
import { setPrivateCalls } from "../../privacy/settings.js";
import { visibleCallWhere } from "../../privacy/visibility.js";
import { accountBudget, estimateSecondsLeft } from "../../sync/eta.js";
import { builder } from "../builder.js";
import { type Context, viewerWorkspace } from "../context.js";
import { cursorOfSameParent } from "../cursors.js";
import { badInput, notFound } from "../errors.js";
import { loadOncePerEvent } from "../event-loads.js";
import { localId } from "../ids.js";
import { CallProviderEnum } from "./calls.js";
import { UserType } from "./viewer.js";

const IntegrationStatusEnum = builder.enumType("IntegrationStatus", {
  values: {
    PENDING_AUTHORIZATION: { description: "The wizard is under way; the provider has not authorised callsync yet." },
    CONNECTED: {},
    RECONNECT_NEEDED: {
      description: "The provider no longer accepts the credentials; syncing is paused until reconnected.",
    },
    DISCONNECTED: { description: "Disconnected; imported calls stay." },
  } as const,
});
const WizardStepEnum = builder.enumType("WizardStep", {
  values: ["CONNECT", "AUTHORIZE", "BACKFILL", "SYNC", "COMPLETE"] as const,
});
const LifecycleStateEnum = builder.enumType("IntegrationState", {
  description:
    "Where an integration is in its lifecycle (one state machine, SPEC §3). Integration.nextActions lists what may happen next.",
  values: LIFECYCLE_STATES,
});
const LifecycleActionEnum = builder.enumType("IntegrationAction", {
  description: "A mutation of the integration lifecycle; refused ones answer a stable code saying why.",
  values: {
    CONNECT: { description: "connectIntegration (also reconnecting)." },
    CHOOSE_BACKFILL: { description: "chooseBackfill." },
    START_SYNC: { description: "startSync: the initial import of a connection." },
    SYNC_NOW: { description: "syncNow." },
    RETRY_FAILED_USERS: { description: "retryFailedUsers, or retrySyncUser for one user of the latest run." },
    DISCONNECT: { description: "disconnectIntegration." },
    PURGE_CALL_DATA: { description: "purgeCallData for the integration." },
  } satisfies Record<(typeof LIFECYCLE_ACTIONS)[number], { description: string }>,
});
const RefusedAction = builder.simpleObject("RefusedAction", {
  description: "An action the current state does not allow, with the code and message the mutation would answer.",
  fields: (t) => ({
    action: t.field({ type: LifecycleActionEnum }),
    code: t.string(),
    message: t.string(),
  }),
});
export const BackfillPeriodEnum = builder.enumType("BackfillPeriod", {
  values: {
    DAYS_30: {},
    DAYS_60: {},
    DAYS_90: {},
    MONTHS_6: { description: "Recommended, and the default." },
    YEAR_1: {},
    ALL_TIME: {},
    NONE: { description: "Skip backfill: only calls from now on." },
  } as const,
});
const SyncKindEnum = builder.enumType("SyncKind", { values: ["BACKFILL", "SCHEDULED", "MANUAL", "RETRY"] as const });
const SyncRunStatusEnum = builder.enumType("SyncRunStatus", {
  values: ["RUNNING", "COMPLETED", "PARTIAL", "FAILED", "CANCELLED"] as const,
});
const SyncUserStateEnum = builder.enumType("SyncUserState", {
  values: ["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "SKIPPED"] as const,
});
const IntegrationEventTypeEnum = builder.enumType("IntegrationEventType", {
  values: [
    "AUTHORIZED",
    "AUTHORIZATION_FAILED",
    "STEP_CHANGED",
    "STATUS_CHANGED",
    "SYNC_STARTED",
    "SYNC_FINISHED",
  ] as const,
});
const WarningCodeEnum = builder.enumType("IntegrationWarningCode", {
  values: {
    NO_CRM_CONNECTED: { description: "Calls cannot be linked to deals until a CRM is connected." },
    RECONNECT_NEEDED: { description: "The credentials were revoked or expired; reconnect to resume syncing." },
    PROVIDER_NOT_CONFIGURED: { description: "The server has no OAuth app for this provider." },
  } as const,
});

export const Problem = builder.simpleObject("Problem", {
  description: "A stable code and a message a person can act on.",
  fields: (t) => ({ code: t.string(), message: t.string() }),
});
const Warning = builder.simpleObject("IntegrationWarning", {
  fields: (t) => ({ code: t.field({ type: WarningCodeEnum }), message: t.string() }),
});
const ConnectedAccount = builder.simpleObject("ConnectedAccount", {
  fields: (t) => ({ id: t.string(), name: t.string({ nullable: true }) }),
});

const SyncWaitCodeEnum = builder.enumType("SyncWaitCode", {
  values: {
    RATE_LIMIT: { description: "The provider's per-second or per-minute rate limit (a short wait)." },
    PROVIDER_QUOTA: {
      description:
        "The provider account's request quota for the day or week is spent (shared by every job of the account); the import resumes when it refills.",
    },
  } as const,
});
const SyncWait = builder.simpleObject("SyncWait", {
  description: "What an import waits for, and until when.",
  fields: (t) => ({
    code: t.field({ type: SyncWaitCodeEnum }),
    until: t.field({ type: "DateTime" }),
    message: t.string({ description: 'For example "Waiting for provider quota until 2026-12-03T00:00:00.000Z".' }),
  }),
});

/** The wait of an open user, from what the engine stored: `waitingUntil` and the code of the wait. */
function syncWaitOf(s: { state: string; waitingUntil: Date | null; errorCode: string | null }) {
  if ((s.state !== "IN_PROGRESS" && s.state !== "PENDING") || !s.waitingUntil) return null;
  if (s.waitingUntil.getTime() <= Date.now()) return null;
  const code = s.errorCode === "QUOTA_EXHAUSTED" ? ("PROVIDER_QUOTA" as const) : ("RATE_LIMIT" as const);
  const until = s.waitingUntil;
  const message =
    code === "PROVIDER_QUOTA"
      ? `Waiting for provider quota until ${until.toISOString()}`
      : `Waiting for the provider's rate limit until ${until.toISOString()}`;
  return { code, until, message };
}

const retryAdvice: Record<string, string> = {
  // The error's own message already says "retry later": the advice says how, without repeating it.
  RATE_LIMITED: "Retry failed users tries again now; the next scheduled sync does too.",
  PROVIDER_UNAVAILABLE: "Retry failed users tries again now; the next scheduled sync does too.",
  PROVIDER_TIMEOUT: "Retry failed users tries again now; the next scheduled sync does too.",
  AUTH_FAILED: "Reconnect the integration, then retry.",
};

export const PrivateCallHandlingEnum = builder.enumType("PrivateCallHandling", {
  description: "What an integration does with calls the provider marks private.",
  values: {
    SKIP: {
      description: 'Not imported; counted as not imported with the reason "Private in <provider>". The default.',
    },
    PARTICIPANTS_AND_ADMINS: {
      description: "Imported, visible only to the call's internal participants, its owner and admins.",
    },
  } as const,
});

const SkippedRecordKindEnum = builder.enumType("SkippedRecordKind", {
  values: {
    CALL: { description: "A call that was not imported." },
    USER: { description: "A provider user the listing carried that could not be read." },
    TRANSCRIPT: {
      description: "A call imported without its transcript, or without the part of it that could not be read.",
    },
  } as const,
});

/** At most this many records are listed per user or run; the counts are always complete. */
const NOT_IMPORTED_LIST_LIMIT = 100;

/** Calls left out by a privacy rule are explained to admins; members do not learn they exist. */
const notImportedVisibleTo = (ctx: Context) =>
  ctx.viewer?.role === "ADMIN" ? {} : { reasonCode: { notIn: ["PRIVATE", "EXCLUDED", "RETENTION"] } };

builder.prismaObject("SkippedRecord", {
  name: "NotImportedRecord",
  description:
    "A call (or user) the provider listed that could not be imported, or an imported call's transcript that could not be read, and why.",
  fields: (t) => ({
    kind: t.expose("kind", { type: SkippedRecordKindEnum }),
    providerRecordId: t.exposeString("providerRecordId", {
      description: "The provider's id of the call (also for TRANSCRIPT) or user.",
    }),
    reasonCode: t.exposeString("reasonCode", {
      description:
        "UNREADABLE, MISSING_FIELD, PRIVATE, EXCLUDED or RETENTION (the last three are listed to admins only).",
    }),
    reason: t.exposeString("reason"),
    at: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const SyncUserProgressType = builder.prismaNode("SyncUserStatus", {
  name: "SyncUserProgress",
  id: { field: "id" },
  select: { id: true },
  findUnique: (id, ctx) => ({ id, run: { workspaceId: viewerWorkspace(ctx) } }),
  fields: (t) => ({
    state: t.expose("state", { type: SyncUserStateEnum }),
    providerUserId: t.string({
      select: { providerUser: { select: { providerUserId: true } } },
      resolve: (s) => s.providerUser.providerUserId,
    }),
    email: t.string({
      nullable: true,
      select: { providerUser: { select: { email: true } } },
      resolve: (s) => s.providerUser.email,
    }),
    name: t.string({
      nullable: true,
      select: { providerUser: { select: { name: true } } },
      resolve: (s) => s.providerUser.name,
    }),
    callsImported: t.exposeInt("callsImported", { description: "New calls stored by this sync." }),
    callsUpdated: t.exposeInt("callsUpdated"),
    callsUnchanged: t.exposeInt("callsUnchanged"),
    callsDone: t.int({
      description: "Calls processed so far (new, updated and unchanged).",
      select: { callsImported: true, callsUpdated: true, callsUnchanged: true },
      resolve: (s) => s.callsImported + s.callsUpdated + s.callsUnchanged,
    }),
    callsTotal: t.exposeInt("callsTotal", {
      nullable: true,
      description: "Total calls to import, when the provider tells it.",
    }),
    skipReason: t.exposeString("skipReason", { nullable: true }),
    callsSkipped: t.exposeInt("callsSkipped", {
      description: "Calls of this user that could not be imported (see callsNotImported).",
    }),
    callsNotImported: t.relation("skipped", {
      description: `Calls of this user that could not be imported, with the reason (at most ${NOT_IMPORTED_LIST_LIMIT}).`,
      query: (_args, ctx) => ({
        where: { kind: "CALL", ...notImportedVisibleTo(ctx) },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        take: NOT_IMPORTED_LIST_LIMIT,
      }),
    }),
    transcriptsNotImported: t.relation("skipped", {
      description: `Calls of this user imported without their transcript, or without the part of it that could not be read, with the reason (at most ${NOT_IMPORTED_LIST_LIMIT}).`,
      query: {
        where: { kind: "TRANSCRIPT" },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        take: NOT_IMPORTED_LIST_LIMIT,
      },
    }),
    error: t.field({
      type: Problem,
      nullable: true,
      select: { errorCode: true, errorMessage: true, state: true },
      resolve: (s) =>
        s.state === "FAILED" && s.errorCode ? { code: s.errorCode, message: humanMessage(s.errorCode) } : null,
    }),
    retryable: t.boolean({
      nullable: true,
      description: "For a failed user: whether retrying is worth it.",
      select: { retryable: true, state: true },
      resolve: (s) => (s.state === "FAILED" ? (s.retryable ?? true) : null),
    }),
    retryAdvice: t.string({
      nullable: true,
      select: { errorCode: true, state: true },
      resolve: (s) => (s.state === "FAILED" && s.errorCode ? (retryAdvice[s.errorCode] ?? null) : null),
    }),
    waiting: t.field({
      type: SyncWait,
      nullable: true,
      description:
        "Set while the import waits for the provider: its rate limit, or its quota for the day or week (the job is rescheduled for then and frees its worker).",
      select: { waitingUntil: true, state: true, errorCode: true },
      resolve: (s) => syncWaitOf(s),
    }),
    waitingForRateLimitUntil: t.field({
      type: "DateTime",
      nullable: true,
      description: "Set while the import waits for the provider's rate limit.",
      select: { waitingUntil: true, state: true },
      resolve: (s) => (s.state === "IN_PROGRESS" || s.state === "PENDING" ? s.waitingUntil : null),
    }),
    estimatedSecondsLeft: t.int({
      nullable: true,
      description:
        "Estimate from the observed import rate, plus any wait, plus the refills of the provider account's day/week quota that the calls left need (read from the shared quota count); null until the provider tells the total.",
      select: {
        state: true,
        startedAt: true,
        callsImported: true,
        callsUpdated: true,
        callsUnchanged: true,
        callsTotal: true,
        waitingUntil: true,
        run: { select: { integration: { select: { id: true, provider: true, connectedAccountId: true } } } },
      },
      resolve: async (s, _args, ctx) => {
        if (s.state !== "IN_PROGRESS" || s.callsTotal === null || !s.startedAt) return null;
        const done = s.callsImported + s.callsUpdated + s.callsUnchanged;
        const left = Math.max(0, s.callsTotal - done);
        const waitMs = s.waitingUntil ? Math.max(0, s.waitingUntil.getTime() - Date.now()) : 0;
        if (left === 0) return Math.ceil(waitMs / 1000);
        // Time spent waiting for a spent quota is not the import's pace.
        const elapsed = (Date.now() - s.startedAt.getTime() - waitMs) / 1000;
        if (done === 0 || elapsed <= 0) return null;
        const integration = s.run.integration;
        const budget = await accountBudget(ctx.providers[integration.provider].pacer, paceKeyOf(integration)).catch(
          () => null,
        );
        return estimateSecondsLeft({
          callsLeft: left,
          secondsPerCall: elapsed / done,
          requestsPerCall: REQUEST_COST[integration.provider].requestsPerCall,
          budget,
          waitMs,
        });
      },
    }),
    attempts: t.exposeInt("attempts"),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    workspaceUser: t.field({
      type: UserType,
      nullable: true,
      description: "The workspace user this provider user was matched to by email.",
      select: { providerUser: { select: { workspaceUserId: true } } },
      resolve: async (s, _args, ctx) =>
        s.providerUser.workspaceUserId
          ? await ctx.prisma.user.findUnique({ where: { id: s.providerUser.workspaceUserId } })
          : null,
    }),
  }),
});

const SkippedUser = builder.simpleObject("SkippedUser", {
  fields: (t) => ({ email: t.string({ nullable: true }), name: t.string({ nullable: true }), reason: t.string() }),
});
const SyncSummary = builder.simpleObject("SyncSummary", {
  description: "What the Complete step shows.",
  fields: (t) => ({
    callsImported: t.int(),
    callsUpdated: t.int(),
    callsUnchanged: t.int(),
    usersCompleted: t.int(),
    usersFailed: t.int(),
    usersSkipped: t.int(),
    usersPending: t.int(),
    callsSkipped: t.int({ description: "Calls that could not be imported, over all users." }),
    transcriptsSkipped: t.int({
      description: "Calls imported without their transcript, or without part of it, because it could not be read.",
    }),
    skipped: t.field({ type: [SkippedUser] }),
  }),
});

export const SyncRunType = builder.prismaNode("SyncRun", {
  id: { field: "id" },
  select: { id: true },
  findUnique: (id, ctx) => ({ id, workspaceId: viewerWorkspace(ctx) }),
  fields: (t) => ({
    kind: t.expose("kind", { type: SyncKindEnum }),
    status: t.expose("status", { type: SyncRunStatusEnum }),
    windowFrom: t.expose("windowFrom", { type: "DateTime", nullable: true }),
    windowTo: t.expose("windowTo", { type: "DateTime" }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    error: t.string({
      nullable: true,
      description: "Why the run failed as a whole (before listing users, or cancelled), in words.",
      select: { error: true },
      resolve: (run) => runProblem(run.error)?.message ?? null,
    }),
    failure: t.field({
      type: Problem,
      nullable: true,
      description: "The run's failure as a stable code and the human message.",
      select: { error: true },
      resolve: (run) => runProblem(run.error),
    }),
    waiting: t.field({
      type: SyncWait,
      nullable: true,
      description:
        "While every open user of the run waits (a spent provider quota, a long rate limit): what for and until when the first resumes.",
      select: {
        status: true,
        users: {
          where: { state: { in: ["PENDING", "IN_PROGRESS"] } },
          select: { state: true, waitingUntil: true, errorCode: true },
        },
      },
      resolve: (run) => {
        if (run.status !== "RUNNING" || run.users.length === 0) return null;
        const waits = run.users.map(syncWaitOf);
        if (waits.some((w) => w === null)) return null;
        return waits.reduce((a, b) => (b!.until < a!.until ? b : a));
      },
    }),
    users: t.relation("users", { query: { orderBy: [{ state: "asc" }, { id: "asc" }] } }),
    callsNotImported: t.relation("skipped", {
      description: `Calls that could not be imported in this run, with the reason (at most ${NOT_IMPORTED_LIST_LIMIT}).`,
      query: (_args, ctx) => ({
        where: { kind: "CALL", ...notImportedVisibleTo(ctx) },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        take: NOT_IMPORTED_LIST_LIMIT,
      }),
    }),
    transcriptsNotImported: t.relation("skipped", {
      description: `Calls imported in this run without their transcript, or without the part of it that could not be read, with the reason (at most ${NOT_IMPORTED_LIST_LIMIT}).`,
      query: {
        where: { kind: "TRANSCRIPT" },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        take: NOT_IMPORTED_LIST_LIMIT,
      },
    }),
    usersNotImported: t.relation("skipped", {
      description: "Provider users the listing carried that could not be read, with the reason.",
      query: { where: { kind: "USER" }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: NOT_IMPORTED_LIST_LIMIT },
    }),
    summary: t.field({
      type: SyncSummary,
      select: {
        _count: { select: { skipped: { where: { kind: "TRANSCRIPT" } } } },
        users: {
          select: {
            state: true,
            callsImported: true,
            callsUpdated: true,
            callsUnchanged: true,
            callsSkipped: true,
            skipReason: true,
            providerUser: { select: { email: true, name: true } },
          },
        },
      },
      resolve: (run) => {
        const count = (state: string) => run.users.filter((u) => u.state === state).length;
        const sum = (k: "callsImported" | "callsUpdated" | "callsUnchanged" | "callsSkipped") =>
          run.users.reduce((a, u) => a + u[k], 0);
        return {
          callsImported: sum("callsImported"),
          callsUpdated: sum("callsUpdated"),
          callsUnchanged: sum("callsUnchanged"),
          usersCompleted: count("COMPLETED"),
          usersFailed: count("FAILED"),
          usersSkipped: count("SKIPPED"),
          usersPending: count("PENDING") + count("IN_PROGRESS"),
          callsSkipped: sum("callsSkipped"),
          transcriptsSkipped: run._count.skipped,
          skipped: run.users
            .filter((u) => u.state === "SKIPPED")
            .map((u) => ({
              email: u.providerUser.email,
              name: u.providerUser.name,
              reason: u.skipReason ?? "Skipped",
            })),
        };
      },
    }),
  }),
});

const lifecycleSelect = {
  status: true,
  wizardStep: true,
  backfillPeriod: true,
  connectedAt: true,
  runs: { orderBy: { startedAt: "desc" }, take: 1, select: { kind: true, status: true, startedAt: true } },
} as const;

export const IntegrationType = builder.prismaNode("Integration", {
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, workspaceId: viewerWorkspace(ctx) }),
  fields: (t) => ({
    provider: t.expose("provider", { type: CallProviderEnum }),
    status: t.expose("status", { type: IntegrationStatusEnum }),
    wizardStep: t.field({
      type: WizardStepEnum,
      description: "The wizard step to show, derived from `state` (a failed initial import stays on SYNC).",
      select: lifecycleSelect,
      resolve: (i) => {
        const state = lifecycleState(i, i.runs[0]);
        return wizardStepOf(state, i.wizardStep, i.runs[0] ?? null);
      },
    }),
    state: t.field({
      type: LifecycleStateEnum,
      select: lifecycleSelect,
      resolve: (i) => lifecycleState(i, i.runs[0]),
    }),
    nextActions: t.field({
      type: [LifecycleActionEnum],
      description: "What the viewer's admins may do next in this state; every other action is refused.",
      select: lifecycleSelect,
      resolve: (i) => nextActions(lifecycleState(i, i.runs[0])),
    }),
    refusedActions: t.field({
      type: [RefusedAction],
      description: "Every action this state refuses, with the code and message the mutation would answer.",
      select: lifecycleSelect,
      resolve: (i) => {
        const row = TRANSITIONS[lifecycleState(i, i.runs[0])];
        return LIFECYCLE_ACTIONS.flatMap((action) => {
          const cell = row[action];
          return "refused" in cell
            ? [{ action, code: cell.refused, message: cell.message ?? humanMessage(cell.refused) }]
            : [];
        });
      },
    }),
    connectedAccount: t.field({
      type: ConnectedAccount,
      nullable: true,
      select: { connectedAccountId: true, connectedAccountName: true },
      resolve: (i) => (i.connectedAccountId ? { id: i.connectedAccountId, name: i.connectedAccountName } : null),
    }),
    connectedAt: t.expose("connectedAt", { type: "DateTime", nullable: true }),
    connectedBy: t.relation("connectedBy", { nullable: true }),
    disconnectedAt: t.expose("disconnectedAt", { type: "DateTime", nullable: true }),
    backfillPeriod: t.expose("backfillPeriod", { type: BackfillPeriodEnum, nullable: true }),
    backfillFrom: t.expose("backfillFrom", { type: "DateTime", nullable: true }),
    syncIntervalMinutes: t.exposeInt("syncIntervalMinutes"),
    lastSyncAt: t.expose("lastSyncAt", { type: "DateTime", nullable: true }),
    lastSyncStatus: t.expose("lastSyncStatus", { type: SyncRunStatusEnum, nullable: true }),
    lastSyncError: t.string({
      nullable: true,
      select: { lastSyncError: true },
      resolve: (i) => runProblem(i.lastSyncError)?.message ?? null,
    }),
    nextSyncAt: t.expose("nextSyncAt", { type: "DateTime", nullable: true }),
    error: t.field({
      type: Problem,
      nullable: true,
      description: "The last problem that needs a person (failed authorization, revoked credentials).",
      select: { errorCode: true, errorMessage: true },
      resolve: (i) => (i.errorCode ? { code: i.errorCode, message: humanMessage(i.errorCode, i.errorMessage) } : null),
    }),
    warnings: t.field({
      type: [Warning],
      select: { status: true, provider: true, workspace: { select: { crm: { select: { id: true } } } } },
      resolve: (i, _args, ctx) => {
        const warnings: {
          code: "NO_CRM_CONNECTED" | "RECONNECT_NEEDED" | "PROVIDER_NOT_CONFIGURED";
          message: string;
        }[] = [];
        if (!i.workspace.crm)
          warnings.push({
            code: "NO_CRM_CONNECTED",
            message: "Connect Salesforce or HubSpot so calls are linked to deals automatically.",
          });
        if (i.status === "RECONNECT_NEEDED")
          warnings.push({
            code: "RECONNECT_NEEDED",
            message: "The provider revoked access. Reconnect to resume syncing.",
          });
        const adapter = ctx.providers[i.provider];
        if (adapter.kind === "oauth" && !adapter.oauth)
          warnings.push({ code: "PROVIDER_NOT_CONFIGURED", message: "The server has no OAuth app for this provider." });
        return warnings;
      },
    }),
    latestRun: t.field({
      type: SyncRunType,
      nullable: true,
      select: (_args, _ctx, nested) => ({ runs: nested({ orderBy: { startedAt: "desc" }, take: 1 }) }),
      resolve: (i) => i.runs[0] ?? null,
    }),
    runs: t.relatedConnection("runs", {
      cursor: "id",
      query: (args) => ({
        where: cursorOfSameParent(args, (id) => ({ integration: { runs: { some: { id } } } })),
        orderBy: { startedAt: "desc" },
      }),
    }),
    callCount: t.relationCount("calls", {
      description: "Calls of this integration the viewer can see.",
      where: (_args, ctx) => visibleCallWhere(ctx.viewer),
    }),
  }),
});

// --- queries ------------------------------------------------------------------------------

export async function ownIntegration(ctx: Context, globalId: string | number) {
  const id = localId(String(globalId), "Integration");
  const integration = id
    ? await ctx.prisma.integration.findFirst({ where: { id, workspaceId: viewerWorkspace(ctx) } })
    : null;
  if (!integration) throw notFound("integration");
  return integration;
}

builder.queryFields((t) => ({
  integrations: t.prismaField({
    type: ["Integration"],
    description: "The workspace's call integrations (one per provider once started).",
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.integration.findMany({
        ...query,
        where: { workspaceId: viewerWorkspace(ctx) },
        orderBy: { provider: "asc" },
      }),
  }),
  integration: t.prismaField({
    type: "Integration",
    nullable: true,
    args: { id: t.arg.id({ required: false }), provider: t.arg({ type: CallProviderEnum, required: false }) },
    resolve: (query, _root, args, ctx) => {
      const workspaceId = viewerWorkspace(ctx);
      if (args.provider)
        return ctx.prisma.integration.findFirst({ ...query, where: { workspaceId, provider: args.provider } });
      const id = args.id ? localId(String(args.id), "Integration") : null;
      if (!args.id) throw badInput("Give the integration id or the provider.", "id");
      return id ? ctx.prisma.integration.findFirst({ ...query, where: { id, workspaceId } }) : null;
    },
  }),
}));

// --- mutations (admins) -------------------------------------------------------------------

const ConnectPayload = builder.simpleObject("ConnectIntegrationPayload", {
  fields: (t) => ({
    integration: t.field({ type: IntegrationType }),
    authorizationUrl: t.string({
      nullable: true,
      description:
        "OAuth providers: callsync's start route. POST it with the same admin's Authorization header (from a page on callsync's site, so its cookie binds this browser); the answer's `location` is the provider's consent page to send the browser to. Opening it by navigation, or with anyone else's token, is refused. A subscription reports when authorization completes.",
    }),
  }),
});

const PurgeInput = builder.inputType("PurgeCallDataInput", {
  description:
    "Exactly one of integrationId (all calls of an integration) or email (every call the person took part in).",
  fields: (t) => ({ integrationId: t.id({ required: false }), email: t.string({ required: false }) }),
});
const PurgePayload = builder.simpleObject("PurgeCallDataPayload", {
  fields: (t) => ({ callsPurged: t.int(), auditId: t.string() }),
});

const admin = { authScopes: { admin: true } } as const;

builder.mutationFields((t) => ({
  connectIntegration: t.field({
    ...admin,
    type: ConnectPayload,
    description:
      "Starts connecting a provider. OAuth providers return an authorization URL; Clari Copilot needs apiKey and apiSecret, verified with the provider before they are saved.",
    args: {
      provider: t.arg({ type: CallProviderEnum, required: true }),
      apiKey: t.arg.string({ required: false }),
      apiSecret: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const { workspaceId, userId } = ctx.viewer!;
      if (ctx.providers[args.provider].kind === "apiKey") {
        const integration = await ctx.wizard.connectApiKey(
          workspaceId,
          userId,
          args.provider,
          args.apiKey ?? "",
          args.apiSecret ?? "",
        );
        return { integration, authorizationUrl: null };
      }
      return ctx.wizard.startOAuth(workspaceId, userId, args.provider);
    },
  }),
  chooseBackfill: t.prismaField({
    ...admin,
    type: "Integration",
    description: "The Backfill step: how far back to import, and what to do with private calls.",
    args: {
      integrationId: t.arg.id({ required: true }),
      period: t.arg({ type: BackfillPeriodEnum, required: true }),
      privateCalls: t.arg({
        type: PrivateCallHandlingEnum,
        required: false,
        description: "Unset keeps the integration's setting (SKIP for a new one).",
      }),
    },
    resolve: async (query, _root, args, ctx) => {
      const integration = await ownIntegration(ctx, args.integrationId);
      await ctx.wizard.chooseBackfill(integration.id, args.period);
      if (args.privateCalls)
        await setPrivateCalls(
          ctx.prisma,
          { workspaceId: integration.workspaceId, actorId: ctx.viewer!.userId, integrationId: integration.id },
          args.privateCalls,
        );
      return ctx.prisma.integration.findUniqueOrThrow({ ...query, where: { id: integration.id } });
    },
  }),
  startSync: t.prismaField({
    ...admin,
    type: "SyncRun",
    description: "Starts the initial import (the chosen backfill) and the recurring sync.",
    args: { integrationId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const integration = await ownIntegration(ctx, args.integrationId);
      const run = await ctx.wizard.startSync(integration.id, ctx.viewer!.userId);
      return ctx.prisma.syncRun.findUniqueOrThrow({ ...query, where: { id: run.id } });
    },
  }),
  syncNow: t.prismaField({
    ...admin,
    type: "SyncRun",
    args: { integrationId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const integration = await ownIntegration(ctx, args.integrationId);
      const run = await ctx.wizard.syncNow(integration.id, ctx.viewer!.userId);
      return ctx.prisma.syncRun.findUniqueOrThrow({ ...query, where: { id: run.id } });
    },
  }),
  retrySyncUser: t.prismaField({
    ...admin,
    type: "SyncUserStatus",
    description: "Retries one failed user of a sync; the others are not re-run.",
    args: { id: t.arg.id({ required: true, description: "A SyncUserProgress id." }) },
    resolve: async (query, _root, args, ctx) => {
      const id = localId(String(args.id), "SyncUserProgress");
      const status = id
        ? await ctx.prisma.syncUserStatus.findFirst({ where: { id, run: { workspaceId: viewerWorkspace(ctx) } } })
        : null;
      if (!status) throw notFound("sync user");
      await ctx.wizard.retryUser(status.id);
      return ctx.prisma.syncUserStatus.findUniqueOrThrow({ ...query, where: { id: status.id } });
    },
  }),
  retryFailedUsers: t.prismaField({
    ...admin,
    type: "SyncRun",
    description:
      "Retries every failed user of the integration's latest sync at once (a run that failed before listing users lists them again).",
    args: { integrationId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const integration = await ownIntegration(ctx, args.integrationId);
      const run = await ctx.wizard.retryFailedUsers(integration.id);
      return ctx.prisma.syncRun.findUniqueOrThrow({ ...query, where: { id: run.id } });
    },
  }),
  disconnectIntegration: t.prismaField({
    ...admin,
    type: "Integration",
    description: "Stops syncing and deletes the credentials. Imported calls and their deal links stay.",
    args: { integrationId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const integration = await ownIntegration(ctx, args.integrationId);
      await ctx.wizard.disconnect(integration.id);
      return ctx.prisma.integration.findUniqueOrThrow({ ...query, where: { id: integration.id } });
    },
  }),
  purgeCallData: t.field({
    ...admin,
    type: PurgePayload,
    description:
      "GDPR: removes transcripts, summaries, action items and participants; records who purged what and when.",
    args: { input: t.arg({ type: PurgeInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { integrationId, email } = args.input;
      if (!integrationId === !email) throw badInput("Give exactly one of integrationId or email.", "input");
      if (email !== null && email !== undefined) {
        if (!/^[^@\s]+@[^@\s]+$/.test(email.trim())) throw badInput("email must be an email address.", "input.email");
        return ctx.wizard.purge(viewerWorkspace(ctx), ctx.viewer!.userId, { email });
      }
      const integration = await ownIntegration(ctx, integrationId!);
      return ctx.wizard.purge(viewerWorkspace(ctx), ctx.viewer!.userId, { integrationId: integration.id });
    },
  }),
}));

// --- subscriptions ------------------------------------------------------------------------

const IntegrationEventType = builder.objectRef<IntegrationEvent>("IntegrationEvent").implement({
  fields: (t) => ({
    type: t.field({ type: IntegrationEventTypeEnum, resolve: (e) => e.type }),
    code: t.string({
      nullable: true,
      description: "Error code, for AUTHORIZATION_FAILED.",
      resolve: (e) => e.code ?? null,
    }),
    message: t.string({ nullable: true, resolve: (e) => e.message ?? null }),
    at: t.field({ type: "DateTime", resolve: (e) => new Date(e.at) }),
    integration: t.prismaField({
      type: "Integration",
      resolve: (query, e, _args, ctx) =>
        loadOncePerEvent(e, "integration", query, () =>
          ctx.prisma.integration.findUniqueOrThrow({ ...query, where: { id: e.integrationId } }),
        ),
    }),
  }),
});

const SyncProgressEventType = builder.objectRef<SyncProgressEvent>("SyncProgressEvent").implement({
  description: "Something changed in a sync: a user's progress (`user`), or the run as a whole.",
  fields: (t) => ({
    at: t.field({ type: "DateTime", description: "When the worker wrote the change.", resolve: (e) => new Date(e.at) }),
    run: t.prismaField({
      type: "SyncRun",
      resolve: (query, e, _args, ctx) =>
        loadOncePerEvent(e, "run", query, () =>
          ctx.prisma.syncRun.findUniqueOrThrow({ ...query, where: { id: e.runId } }),
        ),
    }),
    user: t.prismaField({
      type: "SyncUserStatus",
      nullable: true,
      // Run-level events have no user; the lookup of the nil id keeps one code path (and finds nothing).
      resolve: (query, e, _args, ctx) =>
        loadOncePerEvent(e, "user", query, () =>
          ctx.prisma.syncUserStatus.findUnique({
            ...query,
            where: { id: e.statusId ?? "00000000-0000-0000-0000-000000000000" },
          }),
        ),
    }),
  }),
});

/** Subscriptions check the integration belongs to the viewer's workspace before listening. */
async function integrationTopic(ctx: Context, integrationId: string | number) {
  return (await ownIntegration(ctx, integrationId)).id;
}

builder.subscriptionType({ authScopes: { member: true } });
builder.subscriptionFields((t) => ({
  integrationEvents: t.field({
    type: IntegrationEventType,
    description: "Authorization completed or failed, step and status changes, sync started/finished.",
    args: { integrationId: t.arg.id({ required: true }) },
    subscribe: async (_root, args, ctx) =>
      ctx.pubsub.subscribe("integration", await integrationTopic(ctx, args.integrationId)),
    resolve: (e) => e,
  }),
  syncProgress: t.field({
    type: SyncProgressEventType,
    description: "Every change of a sync's per-user progress, live.",
    args: { integrationId: t.arg.id({ required: true }) },
    subscribe: async (_root, args, ctx) =>
      ctx.pubsub.subscribe("syncProgress", await integrationTopic(ctx, args.integrationId)),
    resolve: (e) => e,
  }),
}));
