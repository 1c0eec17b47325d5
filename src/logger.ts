import { pino } from "pino";

/** Paths that may carry secrets; pino replaces them before anything is written. */
const REDACT = [
  "req.headers.authorization",
  "headers.authorization",
  "authorization",
  "*.accessToken",
  "*.refreshToken",
  "*.apiKey",
  "*.apiSecret",
  "*.clientSecret",
  "*.credentials",
  "*.password",
  "variables.apiSecret",
  "variables.apiKey",
  "variables.input.apiSecret",
  "variables.input.apiKey",
];

export function createLogger(level: string, base: Record<string, unknown> = {}) {
  return pino({ level, base: { service: "callsync", ...base }, redact: { paths: REDACT, censor: "[redacted]" } });
}

export type Logger = ReturnType<typeof createLogger>;
