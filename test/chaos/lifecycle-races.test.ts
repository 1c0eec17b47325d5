/**
 * Issue #11, people act while jobs run, and the API process is stopped under load:
 *
 * - disconnect during a run: the integration stays DISCONNECTED (a job racing it never turns it
 *   into RECONNECT_NEEDED) and no page is written after the run was cancelled;
 * - credentials revoked during a run: RECONNECT_NEEDED, open users FAILED as AUTH_FAILED, and no
 *   job still running writes COMPLETED over them afterwards;
 * - SIGTERM to `serve` with 50 requests in flight: every one is answered, the subscription is
 *   closed with 1012 (service restart: reconnect), the process exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  WizardDisconnectDocument,
  WizardIntegrationEventsDocument,
  type WizardIntegrationEventsSubscription,
} from "../generated/graphql.js";
import { gql, pollUntil } from "../support/processes.js";
import { subscribe } from "../support/ws.js";
import { LOCK_MS, progressed, runClosed, type Stage, stage, startBackfill } from "./harness.js";
import { recordOutcome, secs } from "./summary.js";

let s: Stage;

beforeAll(async () => {
  s = await stage({ users: 4, callsPerUser: 40, pageSize: 5, latencyMs: 80 });
}, 120_000);

afterAll(async () => {
  await s?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("people act while jobs run; serve stops under load", () => {
  it("disconnect during a run: DISCONNECTED stays, nothing is written after it", async () => {
    const run = await startBackfill(s);
    await progressed(s, run.runId, 15);
    const answer = await gql(s.api.url!, WizardDisconnectDocument, { integrationId: run.integrationId }, s.token);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.disconnectIntegration.status).toBe("DISCONNECTED");
    // A page whose transaction began before the disconnect may still commit; nothing after that.
    await sleep(1_000);
    const stored = await s.prisma.call.count({ where: { integrationId: run.integration } });
    await sleep(3 * LOCK_MS);
    expect(await s.prisma.call.count({ where: { integrationId: run.integration } })).toBe(stored);
    const integration = await s.prisma.integration.findUniqueOrThrow({ where: { id: run.integration } });
    expect(integration.status).toBe("DISCONNECTED");
    const closed = await s.prisma.syncRun.findUniqueOrThrow({ where: { id: run.runId } });
    expect(closed.status).toBe("CANCELLED");
    const completedLater = await s.prisma.syncUserStatus.count({
      where: { runId: run.runId, state: "COMPLETED", finishedAt: { gt: closed.finishedAt! } },
    });
    expect(completedLater).toBe(0);
    const users = await s.prisma.syncUserStatus.findMany({ where: { runId: run.runId } });
    recordOutcome({
      fault: "disconnectIntegration during a run",
      stored: `${stored} (stopped)`,
      expected: "no write after it",
      duplicates:
        stored -
        (await s.prisma.call.groupBy({ by: ["providerCallId"], where: { integrationId: run.integration } })).length,
      failedUsers: users.filter((u) => u.state === "FAILED").length,
      recovered: `run CANCELLED, integration DISCONNECTED; ${secs(3 * LOCK_MS + 1_000)} later still no new call`,
      notes: `users ${users.map((u) => u.state).join(", ")}`,
    });
  }, 120_000);

  it("revoked during a run: RECONNECT_NEEDED, users FAILED as AUTH_FAILED stay FAILED", async () => {
    const run = await startBackfill(s);
    await progressed(s, run.runId, 10);
    s.gong.oauth.revokeAll();
    const revokedAt = Date.now();
    const reconnectNeeded = await pollUntil(
      "RECONNECT_NEEDED",
      async () =>
        (await s.prisma.integration.findUniqueOrThrow({ where: { id: run.integration } })).status === "RECONNECT_NEEDED"
          ? Date.now() - revokedAt
          : undefined,
      60_000,
      100,
    );
    const closed = await runClosed(s, run.runId, 60_000);
    expect(["FAILED", "PARTIAL"]).toContain(closed.status);
    const integration = await s.prisma.integration.findUniqueOrThrow({ where: { id: run.integration } });
    expect(integration.status).toBe("RECONNECT_NEEDED");
    const failed = await s.prisma.syncUserStatus.findMany({ where: { runId: run.runId, state: "FAILED" } });
    expect(failed.length).toBeGreaterThan(0);
    for (const u of failed) expect(u.errorCode).toBe("AUTH_FAILED");
    // Jobs that were still in flight finish later: none of them turns a FAILED user COMPLETED.
    await sleep(3 * LOCK_MS);
    const after = await s.prisma.syncUserStatus.findMany({ where: { id: { in: failed.map((u) => u.id) } } });
    expect(after.map((u) => u.state)).toEqual(failed.map(() => "FAILED"));
    expect((await s.prisma.integration.findUniqueOrThrow({ where: { id: run.integration } })).status).toBe(
      "RECONNECT_NEEDED",
    );
    s.gong.oauth.restore();
    for (const p of [s.api, ...s.workers]) expect(p.running, p.name).toBe(true);
    const stored = await s.prisma.call.count({ where: { integrationId: run.integration } });
    const distinct = await s.prisma.call.groupBy({ by: ["providerCallId"], where: { integrationId: run.integration } });
    recordOutcome({
      fault: "credentials revoked during a run",
      stored: `${stored} (until the revoke)`,
      expected: "the rest after reconnecting",
      duplicates: stored - distinct.length,
      failedUsers: `${failed.length} (AUTH_FAILED, as expected; stayed FAILED)`,
      recovered: `RECONNECT_NEEDED ${secs(reconnectNeeded)} after the revoke; run ${closed.status}`,
    });
  }, 120_000);

  it("SIGTERM to serve with 50 requests in flight: all answered, subscriptions told to reconnect, exit 0", async () => {
    const integration = await s.prisma.integration.findFirstOrThrow({});
    const integrationId = Buffer.from(`Integration:${integration.id}`).toString("base64");
    const sub = subscribe<WizardIntegrationEventsSubscription, { integrationId: string }>(
      s.api.url!,
      s.token,
      WizardIntegrationEventsDocument,
      { integrationId },
    );
    await sleep(1_000);
    // Each request sends its headers and half its body, so all 50 are in flight (the server is
    // handling them) when the signal arrives; the rest of each body follows after it.
    const query = new TextEncoder().encode(
      JSON.stringify({ query: "{ viewer { user { email } } integrations { id status } }" }),
    );
    const rests: (() => void)[] = [];
    const requests = Array.from({ length: 50 }, () => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(query.slice(0, 10));
          rests.push(() => {
            controller.enqueue(query.slice(10));
            controller.close();
          });
        },
      });
      return fetch(s.api.url!, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${s.token}` },
        body,
        duplex: "half",
      } as RequestInit).then(
        async (res) => ({ status: res.status, body: (await res.json()) as { data?: unknown; errors?: unknown } }),
        (err: unknown) => ({
          status: 0,
          body: { data: undefined, errors: String(err) } as { data?: unknown; errors?: unknown },
        }),
      );
    });
    await sleep(1_500);
    const signalledAt = Date.now();
    const exited = s.api.kill("SIGTERM");
    await sleep(300);
    for (const rest of rests) rest();
    const answers = await Promise.all(requests);
    expect(answers.filter((a) => a.status !== 200 || !a.body.data)).toEqual([]);
    const exit = await exited;
    expect(exit.code).toBe(0);
    const closeCode = await pollUntil(
      "the subscription to be closed",
      async () => (sub.errors[0] as { code?: number } | undefined)?.code,
      10_000,
    );
    expect(closeCode).toBe(1012);
    await sub.close();
    recordOutcome({
      fault: "SIGTERM to serve with 50 requests in flight",
      stored: "n/a",
      expected: "n/a",
      duplicates: 0,
      failedUsers: 0,
      recovered: `${answers.filter((a) => a.status === 200 && a.body.data).length} of 50 answered; subscription closed 1012; exit 0 after ${secs(Date.now() - signalledAt)}`,
    });
  }, 60_000);
});
