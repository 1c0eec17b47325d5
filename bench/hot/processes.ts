/** Child processes of the hot-path bench: the two servers, the load generator, the subscribers. */
import { type ChildProcess, execSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { LoadResult, LoadSpec } from "./load.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The bench's own helper processes (floor, load generator, subscribers) run their sources under tsx. */
function node(script: string, args: string[], env: Record<string, string>) {
  return spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
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
 * What `npm run serve` (or `npm run worker`) runs, read from package.json: its build step (`npm run
 * build`, run by the caller once) and its `node <flags> <script> <role>` command, so the benches
 * measure the processes as production runs them (compiled JS, their heap settings).
 * BENCH_SERVE_FLAGS replaces serve's Node flags (space-separated, "" for none) to measure others.
 */
export function productionCommand(role: "serve" | "worker" = "serve"): {
  build: string | null;
  flags: string[];
  script: string;
} {
  const pkg = JSON.parse(readFileSync(new URL("package.json", `file://${ROOT}/`), "utf8")) as {
    scripts: Record<string, string>;
  };
  const steps = pkg.scripts[role]!.split("&&").map((step) => step.trim());
  const words = steps.at(-1)!.split(/\s+/);
  const build = steps.length > 1 ? steps.slice(0, -1).join(" && ") : null;
  if (words[0] === "tsx") return { build, flags: ["--import", "tsx"], script: words[1]! };
  if (words[0] !== "node") throw new Error(`package.json "${role}" is neither node nor tsx: ${pkg.scripts[role]}`);
  const at = words.findIndex((w, i) => i > 0 && !w.startsWith("-") && words[i - 1] !== "--import");
  const flags = words.slice(1, at);
  const override = role === "serve" ? process.env.BENCH_SERVE_FLAGS : undefined;
  return {
    build,
    flags: override === undefined ? flags : override.split(/\s+/).filter(Boolean),
    script: words[at]!,
  };
}

export const serveCommand = () => productionCommand("serve");

export async function startServe(env: Record<string, string>, port: number): Promise<ServerProcess> {
  const profile = process.env.BENCH_PROFILE;
  const command = serveCommand();
  if (command.build) execSync(command.build, { cwd: ROOT, stdio: "inherit" });
  const child = spawn(
    process.execPath,
    [...command.flags, ...(profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : []), command.script, "serve"],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" },
      stdio: ["pipe", "ignore", "pipe"],
    },
  );
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
