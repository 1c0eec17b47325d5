/**
 * Whether an error means "the database is unreachable right now" (server down or restarting, a
 * cut network, a full pool), as opposed to a query that is wrong. Work that fails this way is
 * not the user's fault and is not recorded as a failure: it is retried once the database is
 * back (the job's lease runs out and a live worker takes it over).
 */
const PRISMA_CONNECTION_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const NODE_CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "57P01",
  "57P03",
]);
const CONNECTION_MESSAGES =
  /connection terminated|connection error|can't reach database|timeout exceeded when trying to connect|econnrefused|econnreset|server closed the connection|terminating connection|cannot use a pool after calling end|the database system is (starting up|shutting down)/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 6; depth++) {
    const o = e as { code?: unknown; message?: unknown; cause?: unknown; originalCode?: unknown };
    if (typeof o.code === "string" && (PRISMA_CONNECTION_CODES.has(o.code) || NODE_CONNECTION_CODES.has(o.code)))
      return true;
    if (typeof o.originalCode === "string" && NODE_CONNECTION_CODES.has(o.originalCode)) return true;
    if (typeof o.message === "string" && CONNECTION_MESSAGES.test(o.message)) return true;
    e = o.cause;
  }
  return false;
}
