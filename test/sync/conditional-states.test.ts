/**
 * Issue #11, "terminal states are final unless a person acts": state changes are conditional on
 * the state they come from, in the database, so a job still running when a person (or another
 * job) closed its user, run or integration writes nothing over it. Each case catches a real
 * import job with a provider request in flight (the Gong simulator answers slowly) and changes
 * the state under it; the lease's own renewal is far away (long lock lifetime), so only the
 * conditional writes stand between the late answer and the database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { humanMessage } from "../../src/integrations/messages.js";
import { ProviderError } from "../../src/providers/errors.js";
import { ProcStartSyncDocument, WizardDisconnectDocument } from "../generated/graphql.js";
import { type GongStage, gongStage } from "../support/gong-stage.js";
import { connectGong, gql, localId, pollUntil } from "../support/processes.js";

let s: GongStage;

beforeAll(async () => {
  s = await gongStage({ users: 2, callsPerUser: 3, pageSize: 2, lockMs: 30_000 });
}, 60_000);

afterAll(async () => {
  await s?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a sync and returns once a call listing request of one of its imports is in flight. */
async function runWithRequestInFlight(): Promise<string> {
  const started = await gql(s.api.url, ProcStartSyncDocument, { integrationId: s.integrationId }, s.token);
  expect(started.errors).toBeUndefined();
  const runId = localId(started.data!.startSync.id);
  await pollUntil("the users listed", async () =>
    (await s.api.prisma.syncUserStatus.count({ where: { runId } })) > 0 ? true : undefined,
  );
  s.gong.behaviours.latencyMs = 1_500;
  await pollUntil(
    "a listing request in flight",
    async () =>
      s.gong.log.entries.some((e) => e.path === "/v2/calls/extensive" && e.doneAt === 0 && e.at > Date.now() - 1_000)
        ? true
        : undefined,
    20_000,
    20,
  );
  return runId;
}

/** Until the simulator answered every request, and the jobs had time to act on the answers. */
async function lateAnswersArrived() {
  await pollUntil("the late answers", async () => (s.gong.log.entries.every((e) => e.doneAt > 0) ? true : undefined));
  s.gong.behaviours.latencyMs = 0;
  await sleep(1_500);
  await s.api.settleJobs(10_000);
}

const calls = () => s.api.prisma.call.count({ where: { integrationId: s.integration } });
const integrationStatus = async () =>
  (await s.api.prisma.integration.findUniqueOrThrow({ where: { id: s.integration } })).status;

describe("a job whose answer comes late", () => {
  it("disconnect: the run's open users close as SYNC_CANCELLED and a late 401 leaves the integration DISCONNECTED", async () => {
    const runId = await runWithRequestInFlight();
    const before = await s.api.prisma.syncUserStatus.findMany({ where: { runId } });
    const answer = await gql(s.api.url, WizardDisconnectDocument, { integrationId: s.integrationId }, s.token);
    expect(answer.errors).toBeUndefined();
    // The request in flight is answered 401 (the tokens are gone with the connection): the job
    // tries to refresh and finds no credentials; its user is closed already, so it stops.
    s.gong.oauth.revokeAll();
    const stored = await calls();
    await lateAnswersArrived();
    // And a job of the integration (a transcript follow-up, a webhook import) that was reading
    // before the disconnect gets its 401 only now and reports the credentials revoked.
    await s.api.runtime.engine.markReconnectNeeded(s.integration, new ProviderError("AUTH_FAILED", "token revoked"));
    expect(await integrationStatus()).toBe("DISCONNECTED");
    expect((await s.api.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status).toBe("CANCELLED");
    const after = await s.api.prisma.syncUserStatus.findMany({ where: { runId }, orderBy: { id: "asc" } });
    const wasOpen = new Set(before.filter((u) => u.state === "PENDING" || u.state === "IN_PROGRESS").map((u) => u.id));
    expect(wasOpen.size).toBeGreaterThan(0);
    for (const u of after) {
      if (wasOpen.has(u.id)) {
        expect([u.state, u.errorCode, u.retryable, u.leaseOwner]).toEqual(["FAILED", "SYNC_CANCELLED", false, null]);
        expect(u.finishedAt).not.toBeNull();
      } else expect(u.state).toBe(before.find((b) => b.id === u.id)!.state);
    }
    expect(humanMessage("SYNC_CANCELLED")).toMatch(/disconnected/);
    expect(await calls()).toBe(stored);
    s.gong.oauth.restore();
  }, 60_000);

  it("credentials found revoked by another job: its users stay FAILED, the late pages are not stored", async () => {
    // Reconnected: the wizard runs again, the integration is CONNECTED.
    await connectGong(s.api.url, s.token);
    expect(await integrationStatus()).toBe("CONNECTED");
    const runId = await runWithRequestInFlight();
    // Another job of the integration got a 401 that a refresh could not cure.
    await s.api.runtime.engine.markReconnectNeeded(s.integration, new ProviderError("AUTH_FAILED", "token revoked"));
    const failed = await s.api.prisma.syncUserStatus.findMany({ where: { runId, state: "FAILED" } });
    expect(failed.length).toBeGreaterThan(0);
    const stored = await calls();
    await lateAnswersArrived();
    const after = await s.api.prisma.syncUserStatus.findMany({ where: { id: { in: failed.map((u) => u.id) } } });
    expect(after.map((u) => [u.state, u.errorCode])).toEqual(failed.map(() => ["FAILED", "AUTH_FAILED"]));
    expect(await calls()).toBe(stored);
    expect(await integrationStatus()).toBe("RECONNECT_NEEDED");
    expect((await s.api.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status).not.toBe("COMPLETED");
  }, 60_000);
});
