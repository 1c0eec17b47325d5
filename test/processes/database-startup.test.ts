/**
 * Issue 11, rule 1 at start-up: a `serve` or `worker` started while PostgreSQL refuses connections
 * (the database container still starting, a failover) waits for it with backoff and starts once
 * it accepts, instead of exiting into a crash loop; after DB_STARTUP_WAIT_MS it exits with one line
 * naming the server. PostgreSQL is reached through a fault proxy, so the shared server never stops.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { freePort } from "../support/net.js";
import { killAll, pollUntil, processEnv, spawnCallsync } from "../support/processes.js";

let database: TestDatabase;
let proxy: FaultProxy;
let databaseUrl: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const target = new URL(database.url);
  proxy = await startFaultProxy(Number(target.port || 5432), target.hostname);
  target.port = String(proxy.port);
  databaseUrl = target.toString();
});
afterAll(async () => {
  await killAll();
  await proxy?.close();
  await database?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("PostgreSQL not there yet at start-up", () => {
  // Refused until the process has tried and said so: the proxy opens only after its first warning
  // (start-up itself — tsx compiling — takes seconds on a loaded machine).
  const RETRYING = /PostgreSQL not reachable yet; retrying/;

  it("serve waits, retrying with a warning, and serves once PostgreSQL accepts connections", async () => {
    proxy.cut();
    const port = await freePort();
    const serve = spawnCallsync(
      "serve",
      processEnv({ databaseUrl, extra: { LOG_LEVEL: "warn", PORT: String(port) } }),
      "serve-early",
    );
    await serve.waitForLine(RETRYING, 90_000);
    // A second attempt: it keeps trying while refused, and stays up.
    await sleep(1_000);
    expect(serve.running).toBe(true);
    proxy.restore();
    await pollUntil(
      "serve ready once PostgreSQL accepts",
      async () => {
        if (!serve.running) throw new Error(`serve exited:\n${serve.output()}`);
        const res = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null);
        return res?.status === 200 ? true : undefined;
      },
      90_000,
      200,
    );
    await serve.kill();
  }, 180_000);

  it("a worker waits the same way and starts working", async () => {
    proxy.cut();
    const worker = spawnCallsync(
      "worker",
      processEnv({ databaseUrl, extra: { LOG_LEVEL: "info", WORKER_NAME: "worker-early" } }),
      "worker-early",
    );
    await worker.waitForLine(RETRYING, 90_000);
    proxy.restore();
    await worker.waitForLine(/"msg":"worker started"/, 90_000);
    await worker.kill();
  }, 180_000);

  it("gives up after DB_STARTUP_WAIT_MS with one line naming the server, exit code 1", async () => {
    proxy.cut();
    const serve = spawnCallsync(
      "serve",
      processEnv({ databaseUrl, extra: { DB_STARTUP_WAIT_MS: "1500", PORT: "0" } }),
      "serve-gives-up",
    );
    const exit = await serve.exited;
    proxy.restore();
    expect(exit.code).toBe(1);
    expect(serve.output()).toMatch(
      new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${proxy.port} is not reachable .*after \\d+ s`),
    );
    // One line a person reads, not a stack.
    expect(serve.output()).not.toMatch(/^\s+at /m);
  }, 120_000);

  it("does not wait for what waiting cannot mend: a role the server does not know fails at once", async () => {
    const wrong = new URL(databaseUrl);
    wrong.username = "no_such_role_callsync";
    const serve = spawnCallsync(
      "serve",
      processEnv({ databaseUrl: wrong.toString(), extra: { PORT: "0" } }),
      "serve-wrong-role",
    );
    const exit = await serve.exited;
    expect(exit.code).toBe(1);
    expect(serve.output()).not.toMatch(/not reachable yet/);
    expect(serve.output()).toMatch(/refused the login: role "no_such_role_callsync" does not exist \(28000\)/);
    expect(serve.output()).not.toMatch(/^\s+at /m);
  }, 120_000);
});
