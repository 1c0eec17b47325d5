import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";

export type Db = PrismaClient;
export { Prisma } from "../generated/prisma/client.js";

export interface DbHandle {
  prisma: PrismaClient;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * One pg pool shared by Prisma and Agenda. With the embedded database it must be a single
 * connection (see STACK-NOTES: PGlite is one backend session).
 */
export function openDatabase(
  connection: string | pg.Pool,
  options: { max?: number; log?: (query: string) => void; transactionTimeoutMs?: number } = {},
): DbHandle {
  const owned = typeof connection === "string";
  // A server that is down or unreachable fails a connection attempt after 15 s instead of never;
  // keep-alive notices connections that died without a FIN (a cut network).
  const pool = owned
    ? new pg.Pool({
        connectionString: connection,
        max: options.max ?? 10,
        connectionTimeoutMillis: 15_000,
        keepAlive: true,
      })
    : connection;
  // A connection that dies (server restart, failover, database dropped) must not crash the
  // process: the query in flight rejects on its own, and the pool replaces the client.
  if (owned) {
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
  }
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    log: options.log ? [{ emit: "event", level: "query" }] : [],
    ...(options.transactionTimeoutMs
      ? { transactionOptions: { timeout: options.transactionTimeoutMs, maxWait: options.transactionTimeoutMs } }
      : {}),
  });
  if (options.log) {
    const log = options.log;
    (prisma as unknown as { $on(e: "query", cb: (ev: { query: string }) => void): void }).$on("query", (ev) =>
      log(ev.query),
    );
  }
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      if (owned) await pool.end();
    },
  };
}
