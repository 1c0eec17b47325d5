/**
 * Command line: `start` (zero-setup: API + worker in one process; embedded PostgreSQL and the
 * provider simulators unless configured), `serve` (API only), `worker` (jobs only), `token`
 * (mint a bearer token for local use). Start-up problems print one line with the fix.
 */
import { createServer } from "node:net";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { mintToken } from "./auth/tokens.js";
import { type Config, loadConfig } from "./config.js";
import { type DataDirLock, lockDataDir, lockOwner } from "./db/data-dir-lock.js";
import { type DemoSimulators, startDemoSimulators } from "./demo/simulators.js";
import { wireDemoWebhooks } from "./demo/webhooks.js";
import { openRuntime, type Runtime } from "./runtime.js";
import { seedDemo } from "./seed/demo.js";
import { StartupError, startupProblem } from "./startup-error.js";

const PROVIDER_SETTINGS = ["GONG_CLIENT_ID", "SALESLOFT_CLIENT_ID", "CLARI_API_URL"];

type TokenUser = { id: string; workspaceId: string };

/** The user a token is for: the given email, or the first admin. */
async function findUser(query: (sql: string, params: unknown[]) => Promise<TokenUser[]>, email?: string) {
  const rows = email
    ? await query(`SELECT id, "workspaceId" FROM "User" WHERE lower(email) = $1 ORDER BY "createdAt" LIMIT 1`, [
        email.toLowerCase(),
      ])
    : await query(`SELECT id, "workspaceId" FROM "User" WHERE role = 'ADMIN' ORDER BY "createdAt" LIMIT 1`, []);
  const user = rows[0];
  if (!user) throw new StartupError(email ? `no user with email ${email}.` : "no admin user yet. Run npm start once.");
  return user;
}

async function token(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { email: { type: "string" }, expires: { type: "string", default: "12h" } },
  });
  // While `npm start` runs, read through its embedded database: never a second writer on its files.
  const running = config.databaseUrl ? null : lockOwner(config.dataDir);
  let user: TokenUser;
  if (running?.databaseUrl) {
    const client = new pg.Client({ connectionString: running.databaseUrl });
    await client.connect();
    try {
      user = await findUser(async (sql, params) => (await client.query<TokenUser>(sql, params)).rows, values.email);
    } finally {
      await client.end();
    }
  } else {
    const lock = config.databaseUrl ? null : lockDataDir(config.dataDir);
    const runtime = await openRuntime(config, { role: "none" });
    try {
      user = await findUser(
        async (sql, params) => (await runtime.db.pool.query<TokenUser>(sql, params)).rows,
        values.email,
      );
    } finally {
      await runtime.close();
      lock?.release();
    }
  }
  console.log(await mintToken(config.jwt, { userId: user.id, workspaceId: user.workspaceId }, values.expires));
}

/** Fails fast, in words, when the port is taken (instead of a half-started server). */
async function ensurePortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((ok, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(port, host, () => probe.close(() => ok()));
  });
}

/** `npm start`: everything a newcomer needs to see the product work, on this machine. */
async function start(locks: DataDirLock[]): Promise<{ runtime: Runtime; sims: DemoSimulators | null }> {
  const started = performance.now();
  const base = loadConfig(process.env);
  if (!base.databaseUrl) locks.push(lockDataDir(base.dataDir));
  await ensurePortFree(base.port, base.host);
  const simulate = !PROVIDER_SETTINGS.some((k) => process.env[k]);
  const p = base.simulatorBasePort;
  const sims = simulate
    ? await startDemoSimulators({
        ports: p ? { gong: p, salesloft: p + 1, clari: p + 2 } : {},
        statePath: resolve(base.dataDir, "simulators.json"),
      })
    : null;
  const config = loadConfig({ ...process.env, ...(sims?.env ?? {}) });
  // GraphiQL opens with the demo admin's token, once there is one (development only).
  let graphiqlAuthorization: string | null = null;
  const runtime = await openRuntime(config, { role: "start", graphiqlAuthorization: () => graphiqlAuthorization });
  if (!config.databaseUrl) locks[0]?.publish(runtime.databaseUrl);
  const demo = await seedDemo(runtime.db.prisma, sims ? { scenario: sims.scenario } : {});
  // The simulators deliver webhooks to every endpoint an admin enables; a new Gong call every 2 minutes.
  if (sims) wireDemoWebhooks(runtime, sims);
  const adminToken = await mintToken(config.jwt, { userId: demo.adminId, workspaceId: demo.workspaceId }, "24h");
  if (!config.production) graphiqlAuthorization = `Bearer ${adminToken}`;
  const graphqlUrl = runtime.app!.url();
  const appUrl = new URL("/app/", graphqlUrl);
  appUrl.searchParams.set("token", adminToken);
  const lines = [
    "",
    `callsync is running (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    `  GraphQL      ${graphqlUrl}   (GraphiQL in a browser, offline, signed in as the admin; WebSocket subscriptions on the same URL)`,
    `  Example app  ${appUrl}`,
    `  Admin token  ${adminToken}`,
    `  Database     ${config.databaseUrl ?? `embedded, in ${config.dataDir}/`}`,
  ];
  if (sims)
    lines.push(
      `  Simulators   Gong ${sims.gong.url} · Salesloft ${sims.salesloft.url} · Clari Copilot ${sims.clari.url}`,
      `               Clari API key "${sims.clari.apiKeys.default.apiKey}", secret "${sims.clari.apiKeys.default.apiSecret}"`,
      `  Failures     make provider users fail: ${sims.gong.url}/_sim · ${sims.salesloft.url}/_sim · ${sims.clari.url}/_sim`,
      "  Webhooks     enableWebhook on a Gong or Salesloft integration: the simulator delivers to it (a new Gong call every 2 min)",
    );
  console.log(lines.join("\n"));
  return { runtime, sims };
}

async function main(): Promise<void> {
  const [command = "start", ...rest] = process.argv.slice(2);
  if (command === "token") return token(loadConfig(), rest);
  if (!["start", "serve", "worker"].includes(command))
    throw new StartupError(`unknown command "${command}". Use start, serve, worker or token.`);
  const locks: DataDirLock[] = [];
  process.once("exit", () => {
    for (const lock of locks) lock.release();
  });
  const { runtime, sims } =
    command === "start"
      ? await start(locks)
      : { runtime: await openRuntime(loadConfig(), { role: command as "serve" | "worker" }), sims: null };
  const shutdown = async (signal: string) => {
    runtime.log.info({ signal }, "shutting down");
    await runtime.close();
    await sims?.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  // Every connection has its own error path; a stray rejection from a library while a
  // dependency is away is logged, not allowed to end a process that will recover with it.
  process.on("unhandledRejection", (err) => runtime.log.error({ err }, "unhandled rejection"));
}

main().catch((error: unknown) => {
  const problem = startupProblem(error);
  if (problem) console.error(`callsync: ${problem}`);
  else console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
