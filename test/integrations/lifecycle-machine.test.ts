/**
 * The integration lifecycle is one state machine (SPEC §3): every state × every action, through
 * the public API. Each cell puts a fresh workspace's Gong integration in the state (rows written
 * as the wizard and engine write them), sends the action's mutation, and checks the answer
 * against the table in src/integrations/lifecycle.ts: an allowed action leads to the state the
 * table names, a refused one answers the table's stable code with a message — and the state's
 * nextActions / refusedActions say so beforehand. No worker runs, so a started sync stays SYNCING.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LIFECYCLE_ACTIONS,
  LIFECYCLE_STATES,
  type LifecycleAction,
  type LifecycleState,
  nextActions,
  TRANSITIONS,
  wizardStepOf,
} from "../../src/integrations/lifecycle.js";
import {
  MachineIntegrationDocument,
  MachineRetryFailedUsersDocument,
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardDisconnectDocument,
  WizardPurgeDocument,
  WizardStartSyncDocument,
  WizardSyncNowDocument,
} from "../generated/graphql.js";
import { type GqlResult, startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";
import { freePort } from "../support/net.js";

const HOUR = 3_600_000;
let api: TestApi;
let counter = 0;

beforeAll(async () => {
  const port = await freePort();
  api = await startApi(
    {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      GONG_CLIENT_ID: "machine-client",
      GONG_CLIENT_SECRET: "machine-secret",
      GONG_AUTHORIZE_URL: "http://127.0.0.1:9/oauth2/authorize",
      GONG_TOKEN_URL: "http://127.0.0.1:9/oauth2/generate-customer-token",
    },
    { port },
  );
}, 60_000);

afterAll(async () => {
  await api?.close();
});

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");

/** A workspace whose Gong integration is in `state`; returns its admin's token and the integration's id. */
async function arrange(state: LifecycleState) {
  const { workspace, admin } = await createWorkspace(api.prisma, `Machine ${++counter}`);
  const token = await api.tokenFor({ id: admin.id, workspaceId: workspace.id });
  if (state === "NOT_CONNECTED") return { token, integrationId: globalId("Integration", crypto.randomUUID()) };
  const now = Date.now();
  const connected = {
    status: "CONNECTED" as const,
    connectedAt: new Date(now - HOUR),
    connectedById: admin.id,
    connectedAccountId: "acct",
    backfillPeriod: "MONTHS_6" as const,
    backfillFrom: new Date(now - 182 * 24 * HOUR),
  };
  const rows: Record<Exclude<LifecycleState, "NOT_CONNECTED">, object> = {
    AUTHORIZING: { status: "PENDING_AUTHORIZATION", wizardStep: "AUTHORIZE" },
    CHOOSING_BACKFILL: { ...connected, wizardStep: "BACKFILL", backfillPeriod: null, backfillFrom: null },
    READY_TO_SYNC: { ...connected, wizardStep: "SYNC" },
    SYNCING: { ...connected, wizardStep: "SYNC" },
    FAILED: { ...connected, wizardStep: "SYNC" },
    COMPLETE_WITH_FAILURES: { ...connected, wizardStep: "COMPLETE" },
    COMPLETE: { ...connected, wizardStep: "COMPLETE" },
    RECONNECT_NEEDED: { ...connected, wizardStep: "COMPLETE", status: "RECONNECT_NEEDED", errorCode: "AUTH_FAILED" },
    DISCONNECTED: { ...connected, wizardStep: "CONNECT", status: "DISCONNECTED", disconnectedAt: new Date(now) },
  };
  const integration = await api.prisma.integration.create({
    data: { workspaceId: workspace.id, provider: "GONG", ...rows[state] },
  });
  const user = await api.prisma.providerUser.create({
    data: { integrationId: integration.id, providerUserId: "u1", email: admin.email, workspaceUserId: admin.id },
  });
  const run = async (status: "RUNNING" | "COMPLETED" | "PARTIAL" | "FAILED", startedAt: Date, users: string[]) => {
    const created = await api.prisma.syncRun.create({
      data: {
        workspaceId: workspace.id,
        integrationId: integration.id,
        kind: "BACKFILL",
        status,
        activeSlot: status === "RUNNING" ? true : null,
        windowFrom: connected.backfillFrom,
        windowTo: startedAt,
        startedAt,
        finishedAt: status === "RUNNING" ? null : new Date(now),
      },
    });
    for (const [i, s] of users.entries()) {
      const pu =
        i === 0
          ? user
          : await api.prisma.providerUser.create({
              data: { integrationId: integration.id, providerUserId: `u${i + 1}`, email: `p${i}@x.test` },
            });
      await api.prisma.syncUserStatus.create({
        data: {
          runId: created.id,
          providerUserRef: pu.id,
          state: s as "COMPLETED",
          errorCode: s === "FAILED" ? "PROVIDER_UNAVAILABLE" : null,
        },
      });
    }
  };
  const during = new Date(now - HOUR / 2);
  // The previous connection's finished import: it must never decide the new connection's state.
  if (state === "READY_TO_SYNC") await run("COMPLETED", new Date(now - 2 * HOUR), ["COMPLETED"]);
  if (state === "SYNCING") await run("RUNNING", during, ["IN_PROGRESS"]);
  if (state === "FAILED") await run("FAILED", during, ["FAILED"]);
  if (state === "COMPLETE_WITH_FAILURES") await run("PARTIAL", during, ["COMPLETED", "FAILED"]);
  if (state === "COMPLETE" || state === "RECONNECT_NEEDED" || state === "DISCONNECTED")
    await run("COMPLETED", during, ["COMPLETED"]);
  return { token, integrationId: globalId("Integration", integration.id) };
}

function send(action: LifecycleAction, integrationId: string, token: string): Promise<GqlResult<unknown>> {
  switch (action) {
    case "CONNECT":
      return api.gql(WizardConnectDocument, { provider: "GONG" }, token);
    case "CHOOSE_BACKFILL":
      return api.gql(WizardChooseBackfillDocument, { integrationId, period: "DAYS_90" }, token);
    case "START_SYNC":
      return api.gql(WizardStartSyncDocument, { integrationId }, token);
    case "SYNC_NOW":
      return api.gql(WizardSyncNowDocument, { integrationId }, token);
    case "RETRY_FAILED_USERS":
      return api.gql(MachineRetryFailedUsersDocument, { integrationId }, token);
    case "DISCONNECT":
      return api.gql(WizardDisconnectDocument, { integrationId }, token);
    case "PURGE_CALL_DATA":
      return api.gql(WizardPurgeDocument, { input: { integrationId } }, token);
  }
}

async function stateOf(token: string) {
  const res = await api.gql(MachineIntegrationDocument, { provider: "GONG" }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.integration;
}

const cells = LIFECYCLE_STATES.flatMap((state) => LIFECYCLE_ACTIONS.map((action) => [state, action] as const));

describe("the integration lifecycle state machine", () => {
  // Written out, not read from the table: the cells below follow TRANSITIONS, so a wrong change
  // to the table itself would otherwise go unnoticed. This is the table of the SPEC §3 lifecycle.
  it("offers exactly these next actions in each state", () => {
    const expected: Record<LifecycleState, string[]> = {
      NOT_CONNECTED: ["CONNECT→AUTHORIZING"],
      AUTHORIZING: ["CONNECT→AUTHORIZING", "DISCONNECT→DISCONNECTED", "PURGE_CALL_DATA→AUTHORIZING"],
      CHOOSING_BACKFILL: [
        "CHOOSE_BACKFILL→READY_TO_SYNC",
        "DISCONNECT→DISCONNECTED",
        "PURGE_CALL_DATA→CHOOSING_BACKFILL",
      ],
      READY_TO_SYNC: [
        "CHOOSE_BACKFILL→READY_TO_SYNC",
        "START_SYNC→SYNCING",
        "DISCONNECT→DISCONNECTED",
        "PURGE_CALL_DATA→READY_TO_SYNC",
      ],
      SYNCING: ["DISCONNECT→DISCONNECTED", "PURGE_CALL_DATA→SYNCING"],
      FAILED: ["SYNC_NOW→SYNCING", "RETRY_FAILED_USERS→SYNCING", "DISCONNECT→DISCONNECTED", "PURGE_CALL_DATA→FAILED"],
      COMPLETE_WITH_FAILURES: [
        "SYNC_NOW→SYNCING",
        "RETRY_FAILED_USERS→SYNCING",
        "DISCONNECT→DISCONNECTED",
        "PURGE_CALL_DATA→COMPLETE_WITH_FAILURES",
      ],
      COMPLETE: ["SYNC_NOW→SYNCING", "DISCONNECT→DISCONNECTED", "PURGE_CALL_DATA→COMPLETE"],
      RECONNECT_NEEDED: ["CONNECT→AUTHORIZING", "DISCONNECT→DISCONNECTED", "PURGE_CALL_DATA→RECONNECT_NEEDED"],
      DISCONNECTED: ["CONNECT→AUTHORIZING", "PURGE_CALL_DATA→DISCONNECTED"],
    };
    const actual = Object.fromEntries(
      LIFECYCLE_STATES.map((state) => [
        state,
        nextActions(state).map((a) => `${a}→${(TRANSITIONS[state][a] as { to: string }).to}`),
      ]),
    );
    expect(actual).toEqual(expected);
  });

  it("shows the wizard step each state belongs to: a failed initial import stays on Sync, a failed later sync on Complete", () => {
    const backfill = { kind: "BACKFILL" as const, status: "FAILED" as const, startedAt: new Date() };
    const manual = { kind: "MANUAL" as const, status: "FAILED" as const, startedAt: new Date() };
    expect(wizardStepOf("FAILED", "SYNC", backfill)).toBe("SYNC");
    expect(wizardStepOf("FAILED", "COMPLETE", backfill)).toBe("SYNC");
    expect(wizardStepOf("FAILED", "COMPLETE", manual)).toBe("COMPLETE");
    expect(wizardStepOf("SYNCING", "SYNC", null)).toBe("SYNC");
    expect(wizardStepOf("READY_TO_SYNC", "SYNC", null)).toBe("SYNC");
    expect(wizardStepOf("COMPLETE_WITH_FAILURES", "COMPLETE", manual)).toBe("COMPLETE");
    expect(wizardStepOf("CHOOSING_BACKFILL", "BACKFILL", null)).toBe("BACKFILL");
    expect(wizardStepOf("AUTHORIZING", "AUTHORIZE", null)).toBe("AUTHORIZE");
    // Reconnecting starts the same five steps again.
    for (const state of ["NOT_CONNECTED", "RECONNECT_NEEDED", "DISCONNECTED"] as const)
      expect(wizardStepOf(state, "COMPLETE", null)).toBe("CONNECT");
  });

  it("has no dead end: every state allows at least one action that leads elsewhere", () => {
    for (const state of LIFECYCLE_STATES) {
      const exits = LIFECYCLE_ACTIONS.map((a) => TRANSITIONS[state][a]).filter((t) => "to" in t && t.to !== state);
      expect(exits.length, state).toBeGreaterThan(0);
    }
  });

  it.each(cells)("%s × %s answers as the table says", async (state, action) => {
    const { token, integrationId } = await arrange(state);
    const before = await stateOf(token);
    const cell = TRANSITIONS[state][action];
    if (state !== "NOT_CONNECTED") {
      expect(before!.state).toBe(state);
      if ("to" in cell) expect(before!.nextActions).toContain(action);
      else {
        expect(before!.nextActions).not.toContain(action);
        expect(before!.refusedActions).toContainEqual({ action, code: cell.refused, message: expect.any(String) });
      }
    } else expect(before).toBeNull();

    const result = await send(action, integrationId, token);
    if ("refused" in cell) {
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual([cell.refused]);
      expect(result.errors![0]!.message.length).toBeGreaterThan(20);
      const after = await stateOf(token);
      expect(after?.state ?? "NOT_CONNECTED").toBe(state);
    } else {
      expect(result.errors).toBeUndefined();
      const after = await stateOf(token);
      expect(after!.state).toBe(cell.to);
    }
  });
});
