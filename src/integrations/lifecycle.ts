/**
 * The integration lifecycle as one state machine (SPEC §3), as data: every state names, for
 * every action, either the state it leads to or the stable code that says why it is refused.
 * The API reads it (Integration.state, Integration.nextActions) and every wizard mutation asks
 * it first, so a client never offers a button the server would refuse, and no state is a dead end.
 *
 * Glossary of states:
 * - NOT_CONNECTED: the workspace never started connecting this provider (no integration row).
 * - AUTHORIZING: the wizard is waiting for the provider's consent (OAuth) or the key pair.
 * - CHOOSING_BACKFILL: connected; the admin chooses how far back to import.
 * - READY_TO_SYNC: backfill chosen; the import of this connection has not started.
 * - SYNCING: a run is importing.
 * - FAILED: the latest run failed (every user failed, or it failed before listing users).
 * - COMPLETE_WITH_FAILURES: the latest run finished, some users failed.
 * - COMPLETE: the latest run imported every user; the integration syncs on its schedule.
 * - RECONNECT_NEEDED: the provider stopped accepting the credentials; syncing paused.
 * - DISCONNECTED: credentials deleted, schedule stopped; imported calls stay.
 *
 * Only runs of the current connection count (started at or after `connectedAt`): after a
 * reconnect, the previous connection's last run never decides what happens next.
 */
import { DomainError, ERROR_CODES, type ErrorCode } from "../errors.js";
import type { IntegrationStatus, SyncKind, SyncRunStatus, WizardStep } from "../generated/prisma/enums.js";

export const LIFECYCLE_STATES = [
  "NOT_CONNECTED",
  "AUTHORIZING",
  "CHOOSING_BACKFILL",
  "READY_TO_SYNC",
  "SYNCING",
  "FAILED",
  "COMPLETE_WITH_FAILURES",
  "COMPLETE",
  "RECONNECT_NEEDED",
  "DISCONNECTED",
] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export const LIFECYCLE_ACTIONS = [
  "CONNECT",
  "CHOOSE_BACKFILL",
  "START_SYNC",
  "SYNC_NOW",
  "RETRY_FAILED_USERS",
  "DISCONNECT",
  "PURGE_CALL_DATA",
] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

/** An allowed action names the state it leads to; a refused one, the code (and words) that say why. */
export type Transition = { to: LifecycleState } | { refused: ErrorCode; message?: string };

const RECONNECT_FIRST =
  "The provider no longer accepts callsync's credentials. Reconnect the integration first: the wizard starts again at Authorize.";
const AUTHORIZE_FIRST = "Authorization has not finished. Complete it in the provider (or start connecting again).";

const notConnected = (message: string): Transition => ({ refused: "NOT_CONNECTED", message });

/** Refusals shared by every state that has no live connection. */
function offline(
  message: string,
): Record<Exclude<LifecycleAction, "CONNECT" | "DISCONNECT" | "PURGE_CALL_DATA">, Transition> {
  return {
    CHOOSE_BACKFILL: notConnected(message),
    START_SYNC: notConnected(message),
    SYNC_NOW: notConnected(message),
    RETRY_FAILED_USERS: notConnected(message),
  };
}

const nothing: Transition = { refused: "NOT_FOUND", message: "This provider is not connected. Connect it first." };
const alreadyConnected: Transition = { refused: "ALREADY_CONNECTED" };
const locked: Transition = { refused: "BACKFILL_LOCKED" };
const running: Transition = { refused: "SYNC_IN_PROGRESS" };

/** The whole machine: state × action → next state, or a refusal. A test walks every cell. */
export const TRANSITIONS: Record<LifecycleState, Record<LifecycleAction, Transition>> = {
  // No integration row exists yet, so an action naming one finds nothing.
  NOT_CONNECTED: {
    CONNECT: { to: "AUTHORIZING" },
    CHOOSE_BACKFILL: nothing,
    START_SYNC: nothing,
    SYNC_NOW: nothing,
    RETRY_FAILED_USERS: nothing,
    DISCONNECT: nothing,
    PURGE_CALL_DATA: nothing,
  },
  AUTHORIZING: {
    CONNECT: { to: "AUTHORIZING" },
    ...offline(AUTHORIZE_FIRST),
    DISCONNECT: { to: "DISCONNECTED" },
    PURGE_CALL_DATA: { to: "AUTHORIZING" },
  },
  CHOOSING_BACKFILL: {
    CONNECT: alreadyConnected,
    CHOOSE_BACKFILL: { to: "READY_TO_SYNC" },
    START_SYNC: { refused: "BACKFILL_NOT_CHOSEN" },
    SYNC_NOW: { refused: "BACKFILL_NOT_CHOSEN" },
    RETRY_FAILED_USERS: { refused: "BACKFILL_NOT_CHOSEN" },
    DISCONNECT: { to: "DISCONNECTED" },
    PURGE_CALL_DATA: { to: "CHOOSING_BACKFILL" },
  },
  READY_TO_SYNC: {
    CONNECT: alreadyConnected,
    CHOOSE_BACKFILL: { to: "READY_TO_SYNC" },
    START_SYNC: { to: "SYNCING" },
    SYNC_NOW: { refused: "IMPORT_NOT_STARTED" },
    RETRY_FAILED_USERS: { refused: "IMPORT_NOT_STARTED" },
    DISCONNECT: { to: "DISCONNECTED" },
    PURGE_CALL_DATA: { to: "READY_TO_SYNC" },
  },
  SYNCING: {
    CONNECT: alreadyConnected,
    CHOOSE_BACKFILL: locked,
    START_SYNC: running,
    SYNC_NOW: running,
    RETRY_FAILED_USERS: running,
    DISCONNECT: { to: "DISCONNECTED" },
    PURGE_CALL_DATA: { to: "SYNCING" },
  },
  FAILED: {
    CONNECT: alreadyConnected,
    CHOOSE_BACKFILL: locked,
    START_SYNC: { refused: "IMPORT_ALREADY_STARTED" },
    SYNC_NOW: { to: "SYNCING" },
    RETRY_FAILED_USERS: { to: "SYNCING" },
    DISCONNECT: { to: "DISCONNECTED" },
    PURGE_CALL_DATA: { to: "FAILED" },
  },
  COMPLETE_WITH_FAILURES: {
    CONNECT: alreadyConnected,
    CHOOSE_BACKFILL: locked,
    START_SYNC: { refused: "IMPORT_ALREADY_STARTED" },
    SYNC_NOW: { to: "SYNCING" },
    RETRY_FAILED_USERS: { to: "SYNCING" },
    DISCONNECT: { to: "DISCONNECTED" },
    PURGE_CALL_DATA: { to: "COMPLETE_WITH_FAILURES" },
  },
  COMPLETE: {
    CONNECT: alreadyConnected,
    CHOOSE_BACKFILL: locked,
    START_SYNC: { refused: "IMPORT_ALREADY_STARTED" },
    SYNC_NOW: { to: "SYNCING" },
    RETRY_FAILED_USERS: { refused: "NOTHING_TO_RETRY" },
    DISCONNECT: { to: "DISCONNECTED" },
    PURGE_CALL_DATA: { to: "COMPLETE" },
  },
  RECONNECT_NEEDED: {
    CONNECT: { to: "AUTHORIZING" },
    ...offline(RECONNECT_FIRST),
    DISCONNECT: { to: "DISCONNECTED" },
    PURGE_CALL_DATA: { to: "RECONNECT_NEEDED" },
  },
  DISCONNECTED: {
    CONNECT: { to: "AUTHORIZING" },
    ...offline("The integration is disconnected. Reconnect it: the wizard runs again and imports the gap."),
    DISCONNECT: notConnected("The integration is already disconnected."),
    PURGE_CALL_DATA: { to: "DISCONNECTED" },
  },
};

export function nextActions(state: LifecycleState): LifecycleAction[] {
  return LIFECYCLE_ACTIONS.filter((action) => "to" in TRANSITIONS[state][action]);
}

/** Throws the refusal's DomainError when `action` is not allowed in `state`. */
export function assertAllowed(state: LifecycleState, action: LifecycleAction): void {
  const transition = TRANSITIONS[state][action];
  if ("refused" in transition)
    throw new DomainError(transition.refused, transition.message ?? ERROR_CODES[transition.refused], {
      state,
      action,
    });
}

export interface LifecycleFacts {
  status: IntegrationStatus;
  wizardStep: WizardStep;
  backfillPeriod: string | null;
  connectedAt: Date | null;
}

export interface RunFacts {
  kind: SyncKind;
  status: SyncRunStatus;
  startedAt: Date;
}

/** The latest run of the current connection, or null (runs from before a reconnect do not count). */
export function currentRun<R extends RunFacts>(integration: LifecycleFacts, latest: R | null | undefined): R | null {
  if (!latest) return null;
  if (integration.connectedAt && latest.startedAt.getTime() < integration.connectedAt.getTime()) return null;
  return latest;
}

export function lifecycleState(
  integration: LifecycleFacts | null,
  latestRun: RunFacts | null | undefined,
): LifecycleState {
  if (!integration) return "NOT_CONNECTED";
  if (integration.status === "DISCONNECTED") return "DISCONNECTED";
  if (integration.status === "RECONNECT_NEEDED") return "RECONNECT_NEEDED";
  if (integration.status === "PENDING_AUTHORIZATION") return "AUTHORIZING";
  const run = currentRun(integration, latestRun);
  if (run?.status === "RUNNING") return "SYNCING";
  if (!integration.backfillPeriod || integration.wizardStep === "BACKFILL" || integration.wizardStep === "CONNECT")
    return "CHOOSING_BACKFILL";
  if (!run) return integration.wizardStep === "COMPLETE" ? "COMPLETE" : "READY_TO_SYNC";
  if (run.status === "FAILED" || run.status === "CANCELLED") return "FAILED";
  if (run.status === "PARTIAL") return "COMPLETE_WITH_FAILURES";
  return "COMPLETE";
}

/**
 * The wizard step a client shows for a state. A failed initial import stays on Sync (with
 * Retry), never on Complete; a later failed sync keeps the finished wizard on Complete.
 */
export function wizardStepOf(state: LifecycleState, stored: WizardStep, latestRun: RunFacts | null): WizardStep {
  switch (state) {
    case "NOT_CONNECTED":
    case "RECONNECT_NEEDED":
    case "DISCONNECTED":
      return "CONNECT";
    case "AUTHORIZING":
      return "AUTHORIZE";
    case "CHOOSING_BACKFILL":
      return "BACKFILL";
    case "READY_TO_SYNC":
      return "SYNC";
    case "SYNCING":
    case "FAILED":
      return latestRun?.kind === "BACKFILL" || stored !== "COMPLETE" ? "SYNC" : "COMPLETE";
    case "COMPLETE_WITH_FAILURES":
    case "COMPLETE":
      return "COMPLETE";
  }
}
