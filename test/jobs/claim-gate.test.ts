/**
 * The claim gate (src/jobs/claims.ts) reads Agenda's private JobProcessor state: these tests fail
 * loudly when an Agenda upgrade changes it, and show the slot Agenda leaks for a job whose lock
 * expired before it started is given back. A real worker (createJobs + Agenda) on a real
 * PostgreSQL database, with a stub engine.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { AGENDA_CHECKED, AgendaInternalsChanged, processorOf } from "../../src/jobs/claims.js";
import { createJobs, JOB, type Jobs } from "../../src/jobs/queue.js";
import { createLogger } from "../../src/logger.js";
import type { SyncEngine } from "../../src/sync/engine.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

const LOCK_MS = 1_000;

let db: TestDatabase;
let pool: pg.Pool;
const open: Jobs[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 10 });
  return async () => {
    await pool.end();
    await db.drop();
  };
}, 60_000);

afterEach(async () => {
  for (const jobs of open.splice(0)) await jobs.stop();
  await pool.query("DELETE FROM agenda_jobs");
});

/** A worker whose imports only record that they ran. */
async function worker(ran: string[], warnings: string[] = []) {
  const log = createLogger("silent");
  log.warn = ((_obj: unknown, msg?: string) => void warnings.push(String(msg))) as typeof log.warn;
  const jobs = await createJobs({
    pool,
    embedded: false,
    log,
    name: "gate-test",
    lockLifetimeMs: LOCK_MS,
    processEveryMs: 200,
    maxConcurrency: 3,
    importConcurrency: 1,
    retention: {
      finishedMs: 3_600_000,
      failedMs: 3_600_000,
      everyMs: 3_600_000,
      batchSize: 100,
      webhookDeliveriesMs: 3_600_000,
    },
  });
  open.push(jobs);
  const engine = {
    importUser: async (statusId: string) => void ran.push(statusId),
    applyRetention: async () => 0,
    recover: async () => {},
  } as unknown as SyncEngine;
  return { jobs, start: () => jobs.startWorking(engine) };
}

describe("the claim gate", () => {
  it("reads the Agenda it was written against", async () => {
    const { jobs, start } = await worker([]);
    // An upgrade must be re-read against src/jobs/claims.ts (and this pin moved).
    const agendaPackage = fileURLToPath(new URL("../package.json", import.meta.resolve("agenda")));
    expect(JSON.parse(readFileSync(agendaPackage, "utf8")).version).toBe(AGENDA_CHECKED);
    await start();
    const state = processorOf(jobs.agenda);
    expect(state).toBeDefined();
    expect(Array.isArray(state!.lockedJobs) && Array.isArray(state!.runningJobs)).toBe(true);
    expect(state!.jobQueue.getQueue()).toBeInstanceOf(Array);
    expect(typeof state!.jobStatus).toBe("object");
    // A processor without them stops the worker's start instead of gating nothing.
    const changed = { jobProcessor: { lockedJobs: [], jobStatus: {} } } as unknown as typeof jobs.agenda;
    expect(() => processorOf(changed)).toThrow(AgendaInternalsChanged);
  });

  it("gives back the slot of a job whose lock expired before it started", async () => {
    const ran: string[] = [];
    const warnings: string[] = [];
    const { jobs, start } = await worker(ran, warnings);
    // The worker stalls (CPU starvation, a long GC pause) right after it claimed the first
    // import: by the time Agenda looks at the job, its lock has expired and it skips it.
    const repository = jobs.agenda.db;
    const claim = repository.getNextJobToRun.bind(repository);
    let stalled = false;
    repository.getNextJobToRun = async (...args) => {
      const row = await claim(...args);
      if (row && row.name === JOB.importUser && !stalled) {
        stalled = true;
        const until = Date.now() + LOCK_MS + 300;
        while (Date.now() < until);
      }
      return row;
    };
    await start();
    await jobs.queue.importUser("first");
    await expect.poll(() => stalled, { timeout: 5_000 }).toBe(true);
    await jobs.queue.importUser("second");
    // One import slot (IMPORT_CONCURRENCY 1): were it still counted for the skipped job, this
    // worker would claim no import again, and both would wait forever.
    await expect.poll(() => [...ran].sort(), { timeout: 8_000, interval: 100 }).toEqual(["first", "second"]);
    await expect.poll(() => processorOf(jobs.agenda)!.lockedJobs.length, { timeout: 3_000 }).toBe(0);
    // Agenda did skip the first claim (and the slot was given back here, not by Agenda).
    expect(warnings).toContain("claimed jobs whose lock expired before they started; their slots are free again");
  }, 30_000);
});
