/**
 * Real callsync processes for fault tests: `node --import tsx src/main.ts serve|worker` as
 * child processes on a test database, Redis and a provider simulator. Each child is tracked;
 * `killAll()` (afterAll) and the process's own exit kill whatever is still running.
 *
 *   const api = await startServe({ env: processEnv({ databaseUrl, gong }), name: "api-a" });
 *   const worker = await startWorker({ env: processEnv({ databaseUrl, gong }), name: "w1" });
 *   await worker.kill("SIGKILL");
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type GraphQLFormattedError, print } from "graphql";
import { mintToken } from "../../src/auth/tokens.js";
import { loadConfig } from "../../src/config.js";
import { type GongSimulator, gongOAuthEnv } from "../../src/simulators/gong/server.js";
import { ProcChooseBackfillDocument, ProcConnectDocument } from "../generated/graphql.js";
import { freePort } from "./net.js";
import { authorizeInBrowser } from "./oauth.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ProcessEnvOptions {
  databaseUrl: string;
  gong?: GongSimulator;
  /** Extra or overriding variables. */
  extra?: Record<string, string>;
}

/** The environment every test child gets: test database, Redis, fast job polling, short locks. */
export function processEnv(options: ProcessEnvOptions): Record<string, string> {
  const { gong } = options;
  return {
    NODE_ENV: "test",
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    LOG_LEVEL: "warn",
    WORKER_IN_PROCESS: "false",
    JOB_PROCESS_EVERY_MS: "200",
    JOB_LOCK_LIFETIME_MS: "3000",
    ...(gong
      ? {
          ...gongOAuthEnv(gong),
        }
      : {}),
    ...options.extra,
  };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CallsyncProcess {
  name: string;
  role: "start" | "serve" | "worker";
  pid: number;
  /** The GraphQL endpoint (http://127.0.0.1:<port>/graphql) of a `serve` process. */
  url: string | null;
  /** Everything the child wrote (stdout and stderr interleaved), for diagnostics. */
  output(): string;
  /** Resolves with the first output line matching `pattern` (already written or future). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<Exit>;
  readonly running: boolean;
  /** Sends the signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<Exit>;
}

const children = new Set<ChildProcess>();

// A crashed test run must not leave processes behind.
process.once("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Spawns `node --import tsx src/main.ts <role>` with exactly `env` (plus PATH and HOME). */
export function spawnCallsync(
  role: "start" | "serve" | "worker",
  env: Record<string, string>,
  name: string,
): CallsyncProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", role], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = "";
  const onData = (chunk: Buffer) => {
    const text = partial + chunk.toString("utf8");
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 2_000) lines.shift();
      for (const w of [...waiters])
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  const output = () => [...lines, partial].join("\n");
  return {
    name,
    role,
    pid: child.pid!,
    url: null,
    output,
    exited,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    waitForLine(pattern, timeoutMs = 60_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms; output:\n${output()}`));
        }, timeoutMs);
        void exited.then((exit) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${exit.code ?? exit.signal}) before ${pattern}; output:\n${output()}`));
        });
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
    async kill(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

// Start-up includes tsx compiling src/ on first import: on a loaded 2-core machine that alone has
// taken most of a minute, so a process gets two before it counts as not starting.
const START_TIMEOUT_MS = 120_000;

/** An API process (`serve`) on a free port; resolves once GET /ready answers 200. */
export async function startServe(options: { env: Record<string, string>; name: string }): Promise<CallsyncProcess> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const proc = spawnCallsync("serve", { PUBLIC_URL: origin, ...options.env, PORT: String(port) }, options.name);
  proc.url = `${origin}/graphql`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (!proc.running) throw new Error(`${options.name} exited before it was ready; output:\n${proc.output()}`);
    try {
      const res = await fetch(`${origin}/ready`);
      if (res.ok) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.kill("SIGKILL");
      throw new Error(`${options.name} not ready within ${START_TIMEOUT_MS / 1000} s; output:\n${proc.output()}`);
    }
    await sleep(100);
  }
}

/** A worker process; resolves once it logged "worker started" (Agenda processing). */
export async function startWorker(options: { env: Record<string, string>; name: string }): Promise<CallsyncProcess> {
  // The readiness line is logged at info; warnings and errors stay visible as well.
  const env = { ...options.env, LOG_LEVEL: "info", WORKER_NAME: options.name };
  const proc = spawnCallsync("worker", env, options.name);
  try {
    await proc.waitForLine(/"msg":"worker started"/, START_TIMEOUT_MS);
  } catch (e) {
    await proc.kill("SIGKILL");
    throw e;
  }
  return proc;
}

/** Kills every child still running (SIGKILL) and waits for them; for afterAll. */
export async function killAll(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    waits.push(new Promise((resolve) => child.once("exit", resolve)));
    child.kill("SIGKILL");
  }
  await Promise.all(waits);
}

// ---- talking to an API process ----------------------------------------------------------------

export interface GqlResult<T> {
  data: T | null | undefined;
  errors?: GraphQLFormattedError[];
}

export async function gql<T, V>(
  url: string,
  doc: TypedDocumentNode<T, V>,
  variables: NoInfer<V>,
  token: string | null,
): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: print(doc), variables }),
  });
  return (await res.json()) as GqlResult<T>;
}

/** A bearer token the child processes accept (they run with the development JWT secret). */
export function tokenFor(user: { id: string; workspaceId: string }): Promise<string> {
  const config = loadConfig({ NODE_ENV: "test" });
  return mintToken(config.jwt, { userId: user.id, workspaceId: user.workspaceId });
}

/** Polls `probe` until it returns a value other than undefined. */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** A global id's database id (`base64("Type:id")`). */
export const localId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

/**
 * Connects Gong through an API process the way a browser does: connectIntegration → the
 * simulator's consent page → the API's OAuth callback → the result page; then chooses a
 * 90-day backfill. Returns the integration's global id and the backfill start.
 */
export async function connectGong(apiUrl: string, token: string): Promise<{ integrationId: string; fromMs: number }> {
  const connect = await gql(apiUrl, ProcConnectDocument, { provider: "GONG" }, token);
  if (connect.errors) throw new Error(`connectIntegration: ${JSON.stringify(connect.errors)}`);
  const integrationId = connect.data!.connectIntegration.integration.id;
  const { outcome } = await authorizeInBrowser(connect.data!.connectIntegration.authorizationUrl!, token);
  if (outcome !== "connected") throw new Error(`OAuth callback outcome ${outcome}`);
  const backfill = await gql(apiUrl, ProcChooseBackfillDocument, { integrationId, period: "DAYS_90" }, token);
  if (backfill.errors) throw new Error(`chooseBackfill: ${JSON.stringify(backfill.errors)}`);
  return { integrationId, fromMs: Date.parse(backfill.data!.chooseBackfill.backfillFrom!) };
}

/** Calls the simulator lists for matched (workspace) users: started in the window and already visible. */
export function expectedGongCalls(gong: GongSimulator, fromMs: number): number {
  const matched = new Set(gong.dataset.users.filter((u) => !u.emailAddress?.startsWith("outsider")).map((u) => u.id));
  const now = Date.now();
  return gong.dataset.calls.filter((c) => {
    const started = Date.parse(String(c.metaData.started));
    const ended = started + (c.metaData.duration ?? 0) * 1000;
    return matched.has(c.metaData.primaryUserId ?? "") && started >= fromMs && ended + 3_600_000 <= now;
  }).length;
}

/** The /v2/calls/extensive listing requests of one Gong user, in order, from log position `since`. */
export function listingRequests(gong: GongSimulator, gongUserId: string, since = 0) {
  return gong.log.entries
    .slice(since)
    .filter((r) => r.path === "/v2/calls/extensive" && r.method === "POST")
    .map((r) => ({
      at: r.at,
      status: r.status,
      body: r.body as { cursor?: string; filter?: { primaryUserIds?: string[] } },
    }))
    .filter((r) => r.body.filter?.primaryUserIds?.includes(gongUserId))
    .map((r) => ({ at: r.at, status: r.status, cursor: r.body.cursor ?? null }));
}
