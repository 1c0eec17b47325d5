/**
 * Start-up against a PostgreSQL that is not there yet. Deployments start callsync and its database
 * together (a compose file, a pod next to a managed database that is failing over): a process that
 * exits on the first refused connection only crash-loops. `reachDatabase` retries the first
 * connection with backoff while the failure is one that passes by itself — refused, reset, timed
 * out, a name not resolvable yet, the server starting up or out of connection slots — for at most
 * `waitMs`, then fails with a StartupError naming the server. Anything else (wrong password, no
 * such role) fails at once: waiting would not mend it.
 */
import pRetry from "p-retry";
import type { Logger } from "../logger.js";
import { StartupError } from "../startup-error.js";
import { ensureDatabase } from "./migrate.js";

const PASSING_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  // cannot_connect_now (starting up, shutting down, in recovery), too_many_connections.
  "57P03",
  "53300",
]);

export function passesByItself(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (e?.code && PASSING_CODES.has(e.code)) return true;
  // pg's own words for a socket closed under it, which carry no code.
  return /Connection terminated|timeout expired/i.test(e?.message ?? "");
}

function server(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}`;
  } catch {
    return "the DATABASE_URL server";
  }
}

/** Ensures the database exists, waiting up to `waitMs` for the server to accept connections. */
export async function reachDatabase(url: string, options: { waitMs: number; log: Logger }): Promise<void> {
  const started = Date.now();
  try {
    await pRetry(() => ensureDatabase(url), {
      retries: options.waitMs > 0 ? Number.POSITIVE_INFINITY : 0,
      maxRetryTime: options.waitMs,
      minTimeout: 250,
      maxTimeout: 5_000,
      factor: 2,
      shouldRetry: ({ error }) => passesByItself(error),
      onFailedAttempt: ({ error, attemptNumber }) => {
        if (!passesByItself(error) || options.waitMs === 0) return;
        options.log.warn(
          { server: server(url), attempt: attemptNumber, err: (error as Error).message },
          "PostgreSQL not reachable yet; retrying",
        );
      },
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    // invalid_authorization_specification (no such role), invalid_password: a person fixes the URL.
    if (code.startsWith("28"))
      throw new StartupError(
        `PostgreSQL at ${server(url)} refused the login: ${(error as Error).message} (${code}). Fix the user or password in DATABASE_URL.`,
      );
    if (!passesByItself(error)) throw error;
    const waited = Math.round((Date.now() - started) / 1000);
    const cause = (error as { code?: string; message?: string }).code ?? (error as Error).message;
    throw new StartupError(
      `PostgreSQL at ${server(url)} is not reachable (${cause})${options.waitMs > 0 ? ` after ${waited} s` : ""}. Start it, or fix DATABASE_URL (DB_STARTUP_WAIT_MS sets how long to wait).`,
    );
  }
  if (Date.now() - started > 1_000) options.log.info({ server: server(url) }, "PostgreSQL reachable");
}
