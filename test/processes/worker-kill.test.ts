/**
 * Issue #4, a worker dies (SIGKILL) or is stopped (SIGTERM) mid-import: an API process and a
 * worker process (real OS processes on one database and Redis), a Gong backfill of several
 * pages per user; the worker is stopped once a user has checkpointed pages, a new worker takes
 * the job over after its lock lifetime and resumes at the saved page cursor — nothing
 * duplicated, nothing lost. A SIGKILLed worker's users wait for their lease to run out; a
 * SIGTERMed worker hands each user over after its current page (lease released, the user's job
 * queued again), so the next worker resumes at once.
 *
 * Load-tolerant: the victim is picked early in its import (pages to spare however slowly the
 * test process polls), the resume checks use whichever user was still open with a saved cursor
 * when the worker was gone, and the waits are long.
 */
import { randomInt } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { ProcStartSyncDocument } from "../generated/graphql.js";
import { createPrisma, createTestDatabase } from "../support/db.js";
import {
  connectGong,
  expectedGongCalls,
  gql,
  killAll,
  listingRequests,
  localId,
  pollUntil,
  processEnv,
  startServe,
  startWorker,
  tokenFor,
} from "../support/processes.js";

const DAY = 86_400_000;
const PAGE_SIZE = 5;
// A random seed gives a Gong account id of its own: the Redis pacer key is not shared with other runs.
const scenario = defaultScenario({ seed: randomInt(1, 2 ** 31), callsPerUser: 40, fromMs: Date.now() - 60 * DAY });

const cleanups: (() => Promise<unknown>)[] = [];

/** A fresh database, Gong simulator and API process for one scenario. */
async function setup() {
  const database = await createTestDatabase();
  const prisma = createPrisma(database.url);
  cleanups.push(
    () => database.drop(),
    () => prisma.$disconnect(),
  );
  const gong = await startGongSimulator({ dataset: generateGongDataset(scenario), switches: { pageSize: PAGE_SIZE } });
  cleanups.push(() => gong.close());
  gong.behaviours.latencyMs = 120;
  const demo = await seedDemo(prisma, { scenario });
  const token = await tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  const env = processEnv({ databaseUrl: database.url, gong, extra: { JOB_LOCK_LIFETIME_MS: "3000" } });
  const api = await startServe({ env, name: "api" });
  return { prisma, gong, token, env, api };
}

afterAll(async () => {
  await killAll();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/**
 * Starts a backfill with one worker, stops that worker with `signal` once a user has
 * checkpointed two pages, and lets a second worker finish: asserts it resumed, nothing lost or
 * duplicated.
 */
async function stopWorkerMidImport(signal: "SIGKILL" | "SIGTERM") {
  const { prisma, gong, token, env, api } = await setup();
  const { integrationId, fromMs } = await connectGong(api.url!, token);
  const integration = localId(integrationId);
  const first = await startWorker({ env, name: "worker-1" });

  const started = await gql(api.url!, ProcStartSyncDocument, { integrationId }, token);
  expect(started.errors).toBeUndefined();
  const runId = localId(started.data!.startSync.id);

  // Stop once a user has checkpointed two pages and has several to go (8 pages of 5 calls at
  // 120 ms each): a slow poll on a loaded machine must not find it on its last page.
  const victim = await pollUntil(
    "a user with two checkpointed pages",
    async () => {
      const statuses = await prisma.syncUserStatus.findMany({
        where: { runId, state: "IN_PROGRESS", pagesDone: { gte: 2, lte: 4 } },
        include: { providerUser: true },
      });
      return statuses.find((s) => (s.checkpoint as { cursor: string | null } | null)?.cursor) ?? undefined;
    },
    120_000,
    20,
  );
  const exit = await first.kill(signal);
  const killedAt = Date.now();
  if (signal === "SIGKILL") expect(exit.signal).toBe("SIGKILL");
  else expect(exit.code, first.output()).toBe(0);

  // What the dead worker left behind: its checkpoint (re-read after death, it can no longer change).
  const atDeath = await prisma.syncUserStatus.findMany({ where: { runId }, include: { providerUser: true } });
  const openWithCursor = (s: (typeof atDeath)[number]) =>
    s.state === "IN_PROGRESS" && Boolean((s.checkpoint as { cursor: string | null } | null)?.cursor);
  // The polled user, unless it somehow finished before the worker was gone: then another open one.
  const saved = atDeath.find((s) => s.id === victim.id && openWithCursor(s)) ?? atDeath.find(openWithCursor);
  if (!saved)
    throw new Error(`no user left open with a saved cursor when worker-1 was gone: ${JSON.stringify(atDeath)}`);
  const savedCursor = (saved.checkpoint as { cursor: string }).cursor;
  // The checkpoint holds the client's page cursor, a small JSON envelope around Gong's own cursor.
  const gongCursor = (JSON.parse(savedCursor) as { c: string }).c;
  expect(saved.state).toBe("IN_PROGRESS");
  expect(savedCursor).toBeTruthy();
  const run = await prisma.syncRun.findUniqueOrThrow({ where: { id: runId } });
  expect(run.status).toBe("RUNNING");
  const pagesBeforeKill = saved.pagesDone;
  console.log(
    `[worker-kill] ${signal} worker-1 with ${saved.providerUser.email} at page ${pagesBeforeKill} ` +
      `(Gong cursor …${gongCursor.slice(-16)}); users at death: ${atDeath
        .map((s) => `${s.providerUser.email}=${s.state}/${s.pagesDone}p`)
        .join(", ")}`,
  );

  const second = await startWorker({ env, name: "worker-2" });
  const finished = await pollUntil(
    "the run to finish",
    async () => {
      const r = await prisma.syncRun.findUniqueOrThrow({ where: { id: runId } });
      return r.status === "RUNNING" ? undefined : r;
    },
    150_000,
    100,
  );
  expect(finished.status, `${first.output()}\n---\n${second.output()}`).toBe("COMPLETED");
  const tookOverAfterMs = (await prisma.syncUserStatus.findUniqueOrThrow({ where: { id: saved.id } })).finishedAt!;

  // Nothing lost, nothing duplicated.
  const stored = await prisma.call.count({ where: { integrationId: integration } });
  expect(stored).toBe(expectedGongCalls(gong, fromMs));
  const duplicates = await prisma.call.groupBy({
    by: ["providerCallId"],
    where: { integrationId: integration },
    _count: { _all: true },
    having: { providerCallId: { _count: { gt: 1 } } },
  });
  expect(duplicates).toEqual([]);
  const statuses = await prisma.syncUserStatus.findMany({ where: { runId }, include: { providerUser: true } });
  expect(statuses.map((s) => s.state).sort()).toEqual(["COMPLETED", "COMPLETED", "COMPLETED", "SKIPPED"]);

  // Resumed, not restarted: the new worker continued with the saved cursor, and the user's
  // first page (a request without cursor) was read once, by the dead worker.
  const requests = listingRequests(gong, saved.providerUser.providerUserId);
  const firstPages = requests.filter((r) => r.cursor === null);
  expect(firstPages).toHaveLength(1);
  expect(firstPages[0]!.at).toBeLessThan(killedAt);
  const resumed = requests.filter((r) => r.cursor === gongCursor && r.at > killedAt);
  expect(resumed.length).toBeGreaterThanOrEqual(1);
  expect(resumed[0]!.status).toBe(200);
  const afterKill = requests.filter((r) => r.at > killedAt);
  expect(afterKill[0]!.cursor).toBe(gongCursor);
  // Every user that had saved a cursor resumed the same way.
  for (const s of atDeath) {
    const cursor = (s.checkpoint as { cursor: string | null } | null)?.cursor;
    if (s.state !== "IN_PROGRESS" || !cursor) continue;
    const own = listingRequests(gong, s.providerUser.providerUserId);
    expect(
      own.filter((r) => r.cursor === null),
      s.providerUser.email!,
    ).toHaveLength(1);
    expect(own.find((r) => r.at > killedAt)?.cursor, s.providerUser.email!).toBe(JSON.parse(cursor).c);
  }
  const victimFinal = statuses.find((s) => s.id === saved.id)!;
  const pagesTotal = Math.ceil((victimFinal.callsTotal ?? 0) / PAGE_SIZE);
  console.log(
    `[worker-kill] worker-2 resumed ${saved.providerUser.email} with the saved cursor …${gongCursor.slice(-16)} ${
      resumed[0]!.at - killedAt
    } ms after the kill (lock lifetime 3000 ms), finished ${
      tookOverAfterMs.getTime() - killedAt
    } ms after it; pages ${pagesBeforeKill}/${pagesTotal} before the kill, ${
      requests.filter((r) => r.at > killedAt).length
    } requested after; first-page requests: ${firstPages.length}; calls stored ${stored}, duplicates ${duplicates.length}`,
  );
  // Checkpoints commit with their page's calls, so the counters agree with what is stored.
  const imported = statuses.reduce((n, s) => n + s.callsImported, 0);
  expect(imported).toBe(stored);
  await second.kill("SIGTERM");
}

describe("a worker stopped in the middle of a user's import", () => {
  it("SIGKILL: a new worker takes the job over and resumes at the saved page cursor, nothing duplicated or lost", async () => {
    await stopWorkerMidImport("SIGKILL");
  }, 300_000);

  // A graceful stop hands the user over after its current page: the new worker resumes there.
  it("SIGTERM: the import is not failed by the shutdown; a new worker resumes it at the saved page cursor", async () => {
    await stopWorkerMidImport("SIGTERM");
  }, 300_000);
});
