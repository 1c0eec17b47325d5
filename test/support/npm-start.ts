/**
 * `npm start` as a newcomer runs it, as a child process: embedded PostgreSQL in a data
 * directory, the three provider simulators on PORT+1..3 (consent pages, /_sim controls), the
 * example app. Resolves once the start-up banner is printed and parses it; the time from spawn to
 * banner is the boot time a person waits for.
 *
 *   const demo = await startDemo({ dataDir, port, name: "demo" });
 *   await demo.stop();               // SIGTERM, as Ctrl-C
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { type CallsyncProcess, spawnCallsync } from "./processes.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface DemoServer {
  proc: CallsyncProcess;
  origin: string;
  graphqlUrl: string;
  adminToken: string;
  sims: { gong: string; salesloft: string; clari: string };
  clariKey: { apiKey: string; apiSecret: string };
  /** Spawn → banner, in ms. */
  bootMs: number;
  stop(): Promise<void>;
}

const listens = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

/** A port whose next `count - 1` ports are free as well (callsync + its three simulators). */
export async function freePortBlock(count = 4): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let free = true;
    for (let i = 0; i < count && free; i++) free = await listens(base + i);
    if (free) return base;
  }
  throw new Error("no block of free ports found");
}

/** The environment of a demo child: `npm start`'s defaults, with shorter waits so tests stay quick. */
export function demoEnv(dataDir: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CALLSYNC_DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: "warn",
    JOB_PROCESS_EVERY_MS: "200",
    // A failing provider user gives up after two quick attempts instead of four over ~40 s.
    SYNC_MAX_ATTEMPTS: "2",
    SYNC_RETRY_DELAY_MS: "200",
    ...extra,
  };
}

function field(output: string, pattern: RegExp, what: string): string {
  const match = pattern.exec(output);
  if (!match?.[1]) throw new Error(`start-up banner has no ${what}:\n${output}`);
  return match[1];
}

export async function startDemo(options: {
  dataDir: string;
  port: number;
  name: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<DemoServer> {
  const started = performance.now();
  const proc = spawnCallsync("start", demoEnv(options.dataDir, options.port, options.env), options.name);
  try {
    // The banner's last line; it is printed in one write with the others.
    await proc.waitForLine(/^\s+Failures\s/, options.timeoutMs ?? 180_000);
  } catch (e) {
    await proc.kill("SIGKILL");
    throw e;
  }
  const bootMs = performance.now() - started;
  const out = proc.output();
  const graphqlUrl = field(out, /GraphQL\s+(\S+)/, "GraphQL URL");
  const sims = /Simulators\s+Gong (\S+) · Salesloft (\S+) · Clari Copilot (\S+)/.exec(out);
  if (!sims) throw new Error(`start-up banner has no simulators:\n${out}`);
  return {
    proc,
    origin: new URL(graphqlUrl).origin,
    graphqlUrl,
    adminToken: field(out, /Admin token\s+(\S+)/, "admin token"),
    sims: { gong: sims[1]!, salesloft: sims[2]!, clari: sims[3]! },
    clariKey: {
      apiKey: field(out, /Clari API key "([^"]+)"/, "Clari API key"),
      apiSecret: field(out, /secret "([^"]+)"/, "Clari API secret"),
    },
    bootMs,
    async stop() {
      const exit = await proc.kill("SIGTERM");
      if (exit.code !== 0)
        throw new Error(`${options.name} exited with ${exit.code ?? exit.signal}:\n${proc.output()}`);
    },
  };
}

/** `npm run token -- --email …` against the same data directory (reads through the running server). */
export function tokenFor(dataDir: string, email: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "token", "--email", email], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        CALLSYNC_DATA_DIR: dataDir,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.once("exit", (code) => {
      const token = out.trim().split("\n").pop() ?? "";
      if (code === 0 && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) resolve(token);
      else reject(new Error(`npm run token exited ${code}:\n${out}`));
    });
  });
}

/** A GraphQL request to the demo server. */
export async function demoGql<T = Record<string, unknown>>(
  demo: DemoServer,
  query: string,
  variables: Record<string, unknown> = {},
  token = demo.adminToken,
): Promise<T> {
  const res = await fetch(demo.graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}
