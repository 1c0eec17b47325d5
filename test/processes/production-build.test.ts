/**
 * `npm run serve` runs the production build (`npm run build` → dist/main.js under plain node), not
 * the sources under tsx, whose loader thread alone holds ~60 MB of serve's memory. The build sits
 * at another depth than src/, so it must find the package's own files by the package root: the
 * migrations an empty database gets at start-up, and in development the example app's sources.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmptyDatabase, type TestDatabase } from "../support/db.js";
import { freePort } from "../support/net.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let database: TestDatabase;
let npm: ChildProcess;
let origin: string;
let output = "";

/** Command lines of the process group npm started (npm, sh, node). */
function groupCommands(pgid: number): string[] {
  const commands: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d)))
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
      commands.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim());
    } catch {
      // exited meanwhile
    }
  return commands;
}

beforeAll(async () => {
  database = await createEmptyDatabase();
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  // Development: the example app's route is mounted, and the development secrets are accepted.
  npm = spawn("npm", ["run", "serve"], {
    cwd: ROOT,
    detached: true,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_ENV: "development",
      DATABASE_URL: database.url,
      WORKER_IN_PROCESS: "false",
      LOG_LEVEL: "warn",
      PORT: String(port),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  npm.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  npm.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (npm.exitCode !== null) throw new Error(`npm run serve exited (${npm.exitCode}):\n${output}`);
    const ready = await fetch(`${origin}/ready`).catch(() => null);
    if (ready?.ok) break;
    if (Date.now() > deadline) throw new Error(`npm run serve not ready within 120 s:\n${output}`);
    await sleep(200);
  }
}, 150_000);

afterAll(async () => {
  if (npm && npm.exitCode === null) {
    const exited = new Promise((r) => npm.once("exit", r));
    process.kill(-npm.pid!, "SIGTERM");
    await exited;
  }
  await database?.drop();
});

describe("npm run serve: the production build", () => {
  it("runs dist/main.js under node, without the tsx loader", () => {
    const commands = groupCommands(npm.pid!);
    // The node process itself (not the shell npm ran the script in, whose command line ends alike).
    expect(commands.filter((c) => /^\S*node\s.*\sdist\/main\.js serve$/.test(c))).toHaveLength(1);
    expect(commands.filter((c) => c.includes("tsx"))).toEqual([]);
  });

  it("migrated the empty database from the package's prisma/migrations and answers GraphQL", async () => {
    const res = await fetch(`${origin}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ deals { totalCount } }" }),
    });
    const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    // The schema is served: the viewer is the only thing missing.
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const migrations = readdirSync(`${ROOT}prisma/migrations`, { withFileTypes: true }).filter((d) => d.isDirectory());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`,
      );
      expect(rows[0]!.n).toBe(migrations.length);
    } finally {
      await client.end();
    }
  });

  it("serves the example app from the package's web/ in development", async () => {
    const page = await fetch(`${origin}/app/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    const script = await fetch(`${origin}/app/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
  });
});
