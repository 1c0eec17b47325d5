/**
 * A start-up failure a person fixes: printed as one line naming the cause and the fix, exit
 * code 1, no stack (src/main.ts). `startupProblem` recognises the usual system errors.
 */
import { ConfigError } from "./config.js";

export class StartupError extends Error {
  override readonly name = "StartupError";
}

/** The one-line explanation of a start-up failure, or null when it is a bug (print the stack). */
export function startupProblem(error: unknown, context: { port?: number; dataDir?: string } = {}): string | null {
  if (error instanceof StartupError) return error.message;
  if (error instanceof ConfigError)
    return `${error.message.replace(/:?\n\s*/g, (m) => (m.startsWith(":") ? ": " : "; "))}. Fix the variable and start again.`;
  const e = error as NodeJS.ErrnoException & { port?: number };
  if (e?.code === "EADDRINUSE")
    return `port ${e.port ?? context.port} is already in use (another callsync or another program). Stop it, or start with PORT=<a free port>.`;
  if (e?.code === "EACCES" && e.syscall === "listen")
    return `not allowed to listen on port ${e.port ?? context.port}. Use a port above 1024: PORT=4000.`;
  if ((e?.code === "EACCES" || e?.code === "EPERM" || e?.code === "EROFS") && e.path)
    return `cannot write ${e.path} (${e.code}). Give this user write access to the data directory, or set CALLSYNC_DATA_DIR=<a writable directory>.`;
  if (e?.code === "ENOTDIR" && e.path) return `${e.path} is not a directory. Set CALLSYNC_DATA_DIR=<a directory>.`;
  return null;
}
