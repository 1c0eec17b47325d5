/**
 * Command line: `start` (zero-setup: API + worker in one process; embedded PostgreSQL and the
 * provider simulators unless configured), `serve` (API only), `worker` (jobs only), `token`
 * (mint a bearer token for local use).
 */
import { parseArgs } from "node:util";
import { mintToken } from "./auth/tokens.js";
import { type Config, loadConfig } from "./config.js";
import { type DemoSimulators, startDemoSimulators } from "./demo/simulators.js";
import { openRuntime, type Runtime } from "./runtime.js";
import { seedDemo } from "./seed/demo.js";

const PROVIDER_SETTINGS = ["GONG_CLIENT_ID", "SALESLOFT_CLIENT_ID", "CLARI_API_URL"];

async function token(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { email: { type: "string" }, expires: { type: "string", default: "12h" } },
  });
  const runtime = await openRuntime(config, { role: "none" });
  try {
    const user = await runtime.db.prisma.user.findFirst({
      where: values.email ? { email: values.email.toLowerCase() } : { role: "ADMIN" },
      orderBy: { createdAt: "asc" },
    });
    if (!user) throw new Error(values.email ? `no user with email ${values.email}` : "no admin user; run db:seed");
    console.log(await mintToken(config.jwt, { userId: user.id, workspaceId: user.workspaceId }, values.expires));
  } finally {
    await runtime.close();
  }
}

/** `npm start`: everything a newcomer needs to see the product work, on this machine. */
async function start(): Promise<{ runtime: Runtime; sims: DemoSimulators | null }> {
  const started = performance.now();
  const simulate = !PROVIDER_SETTINGS.some((k) => process.env[k]);
  const sims = simulate ? await startDemoSimulators() : null;
  const config = loadConfig({ ...process.env, ...(sims?.env ?? {}) });
  const runtime = await openRuntime(config, { role: "start" });
  const demo = await seedDemo(runtime.db.prisma, sims ? { scenario: sims.scenario } : {});
  const adminToken = await mintToken(config.jwt, { userId: demo.adminId, workspaceId: demo.workspaceId }, "24h");
  const graphqlUrl = runtime.app!.url();
  const appUrl = new URL("/app/", graphqlUrl);
  appUrl.searchParams.set("token", adminToken);
  const lines = [
    "",
    `callsync is running (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    `  GraphQL      ${graphqlUrl}   (GraphiQL in a browser; WebSocket subscriptions on the same URL)`,
    `  Example app  ${appUrl}`,
    `  Admin token  ${adminToken}`,
    `  Database     ${config.databaseUrl ?? `embedded, in ${config.dataDir}/`}`,
  ];
  if (sims)
    lines.push(
      `  Simulators   Gong ${sims.gong.url} · Salesloft ${sims.salesloft.url} · Clari Copilot ${sims.clari.url}`,
      `               Clari API key "${sims.clari.apiKeys.default.apiKey}", secret "${sims.clari.apiKeys.default.apiSecret}"`,
    );
  console.log(lines.join("\n"));
  return { runtime, sims };
}

async function main(): Promise<void> {
  const [command = "start", ...rest] = process.argv.slice(2);
  if (command === "token") return token(loadConfig(), rest);
  if (!["start", "serve", "worker"].includes(command)) throw new Error(`unknown command "${command}"`);
  const { runtime, sims } =
    command === "start"
      ? await start()
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
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
