/**
 * The claim gate (src/jobs/claims.ts) reads Agenda's private JobProcessor state: these tests fail
 * loudly when an Agenda upgrade changes it. A real worker (createJobs + Agenda) on a real
 * PostgreSQL database, with a stub engine.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { AGENDA_CHECKED, AgendaInternalsChanged, processorOf } from "../../src/jobs/claims.js";
import { createJobs, type Jobs } from "../../src/jobs/queue.js";
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
async function worker(ran: string[]) {
  const jobs = await createJobs({
    pool,
    embedded: false,
    log: createLogger("silent"),
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
});
