/**
 * Command line: `start` (zero-setup: API + worker in one process), `serve` (API only),
 * `worker` (jobs only), `token` (mint a bearer token for local use).
 */
import { parseArgs } from "node:util";
import { mintToken } from "./auth/tokens.js";
import { loadConfig } from "./config.js";
import { openRuntime } from "./runtime.js";

async function main(): Promise<void> {
  const [command = "start", ...rest] = process.argv.slice(2);
  const config = loadConfig();
  if (command === "token") {
    const { values } = parseArgs({
      args: rest,
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
    return;
  }
  if (!["start", "serve", "worker"].includes(command)) throw new Error(`unknown command "${command}"`);
  const runtime = await openRuntime(config, { role: command as "start" | "serve" | "worker" });
  const shutdown = async (signal: string) => {
    runtime.log.info({ signal }, "shutting down");
    await runtime.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
