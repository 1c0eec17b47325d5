/** Child processes of the hot-path bench: the two servers, the load generator, the subscribers. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { LoadResult, LoadSpec } from "./load.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function node(
  script: string,
  args: string[],
  env: Record<string, string>,
  stdout: "pipe" | "ignore" = "pipe",
  flags: string[] = [],
) {
  return spawn(process.execPath, [...flags, "--import", "tsx", script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["pipe", stdout, "pipe"],
  });
}

function stderrTail(child: ChildProcess): () => string {
  let tail = "";
  child.stderr?.on("data", (c: Buffer) => {
    tail = (tail + c.toString()).slice(-4000);
  });
  return () => tail;
}

export interface ServerProcess {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

async function waitForHttp(url: string, child: ChildProcess, tail: () => string): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${tail()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not start:\n${tail()}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
}

/**
 * The Node flags `npm run serve` starts with (package.json: `node <flags> --import tsx …`), so the
 * bench runs serve with the heap settings production runs it with. BENCH_SERVE_FLAGS replaces them
 * (space-separated, "" for none) to measure others.
 */
export function serveNodeFlags(): string[] {
  const override = process.env.BENCH_SERVE_FLAGS;
  if (override !== undefined) return override.split(/\s+/).filter(Boolean);
  const pkg = JSON.parse(readFileSync(new URL("package.json", `file://${ROOT}/`), "utf8")) as {
    scripts: Record<string, string>;
  };
  const words = pkg.scripts.serve!.trim().split(/\s+/);
  if (words[0] !== "node") return [];
  const flags: string[] = [];
  for (const word of words.slice(1)) {
    if (word === "--import") break;
    flags.push(word);
  }
  return flags;
}

/**
 * `npm run serve`, as production runs it (its Node flags; logs go to /dev/null, like a log
 * shipper's pipe). BENCH_PROFILE=<dir> writes a V8 CPU profile of serve there when it stops.
 */
export async function startServe(env: Record<string, string>, port: number): Promise<ServerProcess> {
  const profile = process.env.BENCH_PROFILE;
  const child = node("src/main.ts", ["serve"], { ...env, PORT: String(port), HOST: "127.0.0.1" }, "ignore", [
    ...serveNodeFlags(),
    ...(profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : []),
  ]);
  const tail = stderrTail(child);
  const url = `http://127.0.0.1:${port}/graphql`;
  await waitForHttp(`http://127.0.0.1:${port}/health`, child, tail);
  return { pid: child.pid!, url, stop: stopper(child) };
}

export async function startFloor(env: Record<string, string>): Promise<ServerProcess> {
  const child = node("bench/hot/floor.ts", [], env);
  const tail = stderrTail(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`floor exited (${code}):\n${tail()}`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  return { pid: child.pid!, url: `http://127.0.0.1:${port}/graphql`, stop: stopper(child) };
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const child = node("bench/hot/load.ts", [JSON.stringify(spec)], {});
  const tail = stderrTail(child);
  let out = "";
  child.stdout!.on("data", (c: Buffer) => {
    out += c.toString();
  });
  return new Promise((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load exited (${code}):\n${tail()}`)),
    ),
  );
}

export interface Subscribers {
  status(): Promise<{ warmed: number; receipts: number; errors: number }>;
  reset(): void;
  report(): Promise<{ latenciesMs: number[]; receipts: number; errors: number }>;
}

export function startSubscribers(spec: { url: string; token: string; integrationId: string; count: number }) {
  const child = node("bench/hot/subscribers.ts", [JSON.stringify(spec)], {});
  const tail = stderrTail(child);
  const lines: Interface = createInterface({ input: child.stdout! });
  const ask = <T>(command: string) =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`subscribers exited (${code}):\n${tail()}`));
      child.once("exit", onExit);
      lines.once("line", (line) => {
        child.off("exit", onExit);
        resolve(JSON.parse(line) as T);
      });
      child.stdin!.write(`${command}\n`);
    });
  return {
    status: () => ask("status"),
    reset: () => child.stdin!.write("reset\n"),
    report: () => ask("report"),
  } satisfies Subscribers;
}
