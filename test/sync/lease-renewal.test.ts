/**
 * Issue #11, "one runner per user import, and no wait fails a user": an import that waits longer
 * than the job lock lifetime (every provider page answers after twice the lifetime) keeps its
 * lease and its job's lock alive, so the second worker never starts the same user: every page
 * is requested once, every user completes, every call is stored once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcStartSyncDocument } from "../generated/graphql.js";
import { type GongStage, gongStage } from "../support/gong-stage.js";
import { expectedGongCalls, gql, listingRequests, localId, pollUntil } from "../support/processes.js";

let s: GongStage;

beforeAll(async () => {
  s = await gongStage({ users: 2, callsPerUser: 3, pageSize: 2, extraWorkers: 1, lockMs: 2_000 });
}, 60_000);

afterAll(async () => {
  await s?.close();
});

describe("a user import waiting longer than the lock lifetime", () => {
  it("keeps its lease: one runner, each page requested once, every user COMPLETED", async () => {
    const since = s.gong.log.entries.length;
    const started = await gql(s.api.url, ProcStartSyncDocument, { integrationId: s.integrationId }, s.token);
    expect(started.errors).toBeUndefined();
    const runId = localId(started.data!.startSync.id);
    // Once the users are listed, every provider answer takes longer than a lock lifetime.
    await pollUntil("the users listed", async () =>
      (await s.api.prisma.syncUserStatus.count({ where: { runId } })) > 0 ? true : undefined,
    );
    s.gong.behaviours.latencyMs = 1.8 * s.lockMs;
    // Closed, or still running after a generous while: either way the page requests tell.
    await pollUntil(
      "the run to close",
      async () =>
        (await s.api.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status === "RUNNING"
          ? undefined
          : true,
      30_000,
      100,
    ).catch(() => {});
    const run = await s.api.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } });
    s.gong.behaviours.latencyMs = 0;
    const users = await s.api.prisma.syncUserStatus.findMany({
      where: { runId, state: { not: "SKIPPED" } },
      include: { providerUser: true },
    });
    // Every page of every user was asked for exactly once: no second runner read it again.
    for (const u of users) {
      const cursors = listingRequests(s.gong, u.providerUser.providerUserId, since).map((r) => r.cursor);
      expect(new Set(cursors).size, `${u.providerUser.email} read a page twice`).toBe(cursors.length);
      expect(cursors.length, u.providerUser.email ?? "").toBe(u.pagesDone);
    }
    expect(users.map((u) => [u.state, u.attempts, u.errorCode])).toEqual(users.map(() => ["COMPLETED", 0, null]));
    expect(run.status).toBe("COMPLETED");
    const stored = await s.api.prisma.call.count({ where: { integrationId: s.integration } });
    expect(stored).toBe(expectedGongCalls(s.gong, s.fromMs));
  }, 60_000);
});
