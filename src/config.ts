/**
 * Configuration, read from the environment and validated once at start-up. Everything else
 * receives a `Config` value; nothing reads process.env after this.
 */
import { z } from "zod";
import { assertProductionSecret } from "./secrets.js";

// Development values, published in this repository: production refuses every one of them.
const DEV_JWT_SECRET = "callsync-development-secret-do-not-use-in-production";
// 32 zero-free bytes for local runs only; production must configure CREDENTIALS_KEYS.
const DEV_CREDENTIALS_KEY = "dev:Y2FsbHN5bmMtZGV2ZWxvcG1lbnQta2V5LTMyLWJ5dGU=";
const DEV_PURGE_AUDIT_KEY = "Y2FsbHN5bmMtZGV2ZWxvcG1lbnQtcHVyZ2UtYXVkaXQta2V5";

const bool = z
  .enum(["true", "false", "1", "0"])
  .transform((v) => v === "true" || v === "1")
  .optional();

/**
 * `3/1,10000/86400`: points per window of that many seconds. Windows over a minute are budgets
 * (counted; a spent one reschedules the job); `:budget` makes a shorter one a budget too (tests).
 */
const QUOTA_WINDOW = /^(\d+)\/(\d+)(:budget)?$/;
const quotaWindows = z
  .string()
  .refine(
    (raw) => raw.split(",").every((w) => QUOTA_WINDOW.test(w.trim())),
    "must be points/seconds windows, e.g. 3/1,10000/86400 (a window may end in :budget)",
  )
  .transform((raw) =>
    raw.split(",").map((w) => {
      const [, points, duration, budget] = QUOTA_WINDOW.exec(w.trim())!;
      return { points: Number(points), duration: Number(duration), ...(budget ? { budget: true } : {}) };
    }),
  );

const env = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default("127.0.0.1"),
  /** Public origin of this server, used for the OAuth redirect URI. */
  PUBLIC_URL: z.url().optional(),
  /** Where the OAuth callback sends the browser afterwards (outcome in the query string). */
  OAUTH_RESULT_URL: z.url().optional(),
  /** PostgreSQL; unset means the embedded database under CALLSYNC_DATA_DIR (`npm start` only). */
  DATABASE_URL: z.string().min(1).optional(),
  CALLSYNC_DATA_DIR: z.string().default(".callsync"),
  /**
   * `npm start`'s provider simulators listen on this port and the next two (Gong, Salesloft,
   * Clari Copilot); default PORT+1, so restarts find them where the integrations left them.
   */
  SIMULATOR_BASE_PORT: z.coerce.number().int().min(0).max(65533).optional(),
  /** Redis for cross-process subscriptions and shared provider quotas; unset = in-process only. */
  REDIS_URL: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(32).optional(),
  JWT_ISSUER: z.string().default("callsync"),
  JWT_AUDIENCE: z.string().default("callsync-api"),
  /** Longest lifetime (exp − iat) a bearer token may have; a longer-lived token is refused. */
  JWT_MAX_LIFETIME_SECONDS: z.coerce.number().int().positive().default(86_400),
  /** Comma-separated `keyId:base64(32 bytes)`; the first encrypts, all decrypt (rotation). */
  CREDENTIALS_KEYS: z.string().optional(),
  /** base64 of ≥ 32 random bytes: the HMAC key of purged people's emails in the purge audit. */
  PURGE_AUDIT_KEY: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().default(12),
  GRAPHQL_MAX_COST: z.coerce.number().int().positive().default(100_000),
  /** Schema introspection (`__schema`, `__type`); default on outside production, off in it. */
  GRAPHQL_INTROSPECTION: bool,
  /**
   * The deal list and deal page answered by one hand-written statement where the selection is
   * covered (src/graphql/hot-reads.ts); default on. `false` runs every operation the generic way.
   */
  GRAPHQL_HOT_READS: bool,
  /**
   * Browser origins allowed to call the API cross-origin (comma-separated, e.g.
   * `https://app.example.com`); they alone get CORS headers, credentials included. Unset: none.
   */
  CORS_ORIGINS: z.string().optional(),
  /** Serve /metrics on its own listener (METRICS_HOST:METRICS_PORT) instead of the API port. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().default("127.0.0.1"),
  /** Bearer token a scrape of /metrics must send; in production required to serve it on the API port. */
  METRICS_TOKEN: z.string().min(1).optional(),
  /** Webhook deliveries accepted per integration per minute (src/webhooks/route.ts); more answer 429. */
  WEBHOOK_RATE_PER_MINUTE: z.coerce.number().int().positive().default(300),
  /** Largest webhook body read; a larger one answers 413 unread. */
  WEBHOOK_MAX_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** How often open subscriptions re-check that their user still has access (SECURITY.md rule 7). */
  SUBSCRIPTION_RECHECK_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  SYNC_INTERVAL_MINUTES: z.coerce.number().int().positive().default(120),
  /** Failed attempts of one provider user before it is FAILED, and the first retry delay (doubles). */
  SYNC_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  SYNC_RETRY_DELAY_MS: z.coerce.number().int().min(0).default(5_000),
  /** A job whose worker stopped touching it for this long is taken over by another worker. */
  JOB_LOCK_LIFETIME_MS: z.coerce.number().int().positive().default(60_000),
  /**
   * Longest interactive transaction (a 100-call page store, a run's end) and longest wait for its
   * connection. Prisma's 5 s / 2 s defaults fail page stores of a loaded database as INTERNAL_ERROR.
   */
  DB_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(30_000),
  DB_STARTUP_WAIT_MS: z.coerce.number().int().min(0).default(60_000),
  JOB_PROCESS_EVERY_MS: z.coerce.number().int().positive().default(2_000),
  /** Finished one-off jobs are deleted this long after they finished; failed ones after the second. */
  JOB_RETENTION_MS: z.coerce.number().int().positive().default(86_400_000),
  JOB_FAILED_RETENTION_MS: z.coerce.number().int().positive().default(604_800_000),
  /** How often the clean-up job runs, and how many rows one DELETE removes. */
  JOB_CLEANUP_EVERY_MS: z.coerce.number().int().positive().default(600_000),
  JOB_CLEANUP_BATCH: z.coerce.number().int().positive().default(1_000),
  /** Accepted webhook deliveries (replay detection) are deleted this long after they arrived (30 days). */
  WEBHOOK_DELIVERY_RETENTION_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 86_400_000),
  /** A due job not started after this long counts as overdue in the queue metrics. */
  JOB_OVERDUE_AFTER_MS: z.coerce.number().int().positive().default(60_000),
  /** Jobs one worker runs at once, in all; per-user imports one worker runs at once. */
  JOB_MAX_CONCURRENCY: z.coerce.number().int().positive().default(16),
  IMPORT_CONCURRENCY: z.coerce.number().int().positive().default(4),
  /** On SIGTERM, requests in flight get this long to finish before their connections are closed. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Name of this process in job locks and logs. */
  WORKER_NAME: z.string().optional(),
  /** Run Agenda workers inside the API process (single node). */
  WORKER_IN_PROCESS: bool,
  GONG_CLIENT_ID: z.string().optional(),
  GONG_CLIENT_SECRET: z.string().optional(),
  GONG_AUTHORIZE_URL: z.url().default("https://app.gong.io/oauth2/authorize"),
  GONG_TOKEN_URL: z.url().default("https://app.gong.io/oauth2/generate-customer-token"),
  /** PKCE (S256) towards Gong: off, as Gong does not document it; the simulator checks it when on. */
  GONG_OAUTH_PKCE: bool,
  SALESLOFT_CLIENT_ID: z.string().optional(),
  SALESLOFT_CLIENT_SECRET: z.string().optional(),
  SALESLOFT_ACCOUNTS_URL: z.url().default("https://accounts.salesloft.com"),
  SALESLOFT_API_URL: z.url().default("https://api.salesloft.com"),
  SALESLOFT_OAUTH_PKCE: bool,
  CLARI_API_URL: z.url().default("https://rest-api.copilot.clari.com"),
  /**
   * Extra hosts each provider's credentials may be sent to (comma-separated; `*.domain` for
   * subdomains), beside its documented hosts and the hosts of its configured URLs.
   */
  GONG_ALLOWED_HOSTS: z.string().optional(),
  SALESLOFT_ALLOWED_HOSTS: z.string().optional(),
  CLARI_ALLOWED_HOSTS: z.string().optional(),
  /**
   * Each provider account's quota as `points/seconds` windows, comma-separated (default: what the
   * provider documents — Gong `3/1,10000/86400`, Salesloft `600/60` in cost points, Clari Copilot
   * `10/1,100000/604800`). For a raised quota, or a small one against the simulators.
   */
  GONG_QUOTA: quotaWindows.optional(),
  SALESLOFT_QUOTA: quotaWindows.optional(),
  CLARI_QUOTA: quotaWindows.optional(),
});

export type Env = z.infer<typeof env>;

// Where each provider's documentation says its API lives (Gong: per customer, *.api.gong.io).
const GONG_HOSTS = ["app.gong.io", "api.gong.io", "*.api.gong.io"];
const SALESLOFT_HOSTS = ["accounts.salesloft.com", "api.salesloft.com"];
const CLARI_HOSTS = ["rest-api.copilot.clari.com"];

const allowList = (documented: string[], extra: string | undefined, configured: string[]) => [
  ...new Set([
    ...documented,
    ...(extra ?? "")
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean),
    ...configured.map((url) => new URL(url).hostname.replace(/^\[|\]$/g, "")),
  ]),
];

/** `CORS_ORIGINS` as exact origins (scheme, host, port); a wildcard or a path is a mistake. */
function parseOrigins(raw: string | undefined): string[] {
  const origins: string[] = [];
  for (const entry of (raw ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean)) {
    const url = URL.canParse(entry) ? new URL(entry) : null;
    if (!url || url.origin === "null" || url.origin !== entry.replace(/\/$/, "") || entry.includes("*"))
      throw new ConfigError(
        `Invalid configuration:\n  CORS_ORIGINS entry "${entry}" must be an origin such as https://app.example.com (no wildcard, no path)`,
      );
    origins.push(url.origin);
  }
  return origins;
}

/** A variable is missing or malformed: the message names each one. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export interface CredentialKey {
  id: string;
  key: Buffer;
}

function parsePurgeAuditKey(raw: string): Buffer {
  const key = Buffer.from(raw, "base64");
  if (key.length < 32)
    throw new ConfigError("Invalid configuration:\n  PURGE_AUDIT_KEY must be base64 of at least 32 bytes");
  return key;
}

/** In production every secret must be configured, not one of the development values, and strong. */
function assertProductionSecrets(e: Env, keys: CredentialKey[], purgeAuditKey: Buffer): void {
  for (const variable of ["JWT_SECRET", "CREDENTIALS_KEYS", "PURGE_AUDIT_KEY"] as const)
    if (!e[variable]) throw new ConfigError(`Invalid configuration:\n  ${variable} is required in production`);
  assertProductionSecret("JWT_SECRET", e.JWT_SECRET!, [DEV_JWT_SECRET]);
  const devKeys = parseKeys(DEV_CREDENTIALS_KEY).map((k) => k.key);
  for (const k of keys) assertProductionSecret(`CREDENTIALS_KEYS (key "${k.id}")`, k.key, devKeys);
  assertProductionSecret("PURGE_AUDIT_KEY", purgeAuditKey, [
    Buffer.from(DEV_PURGE_AUDIT_KEY, "base64"),
    ...keys.map((k) => k.key),
  ]);
}

function parseKeys(raw: string): CredentialKey[] {
  return raw.split(",").map((entry) => {
    const [id, b64] = entry.trim().split(":");
    const key = Buffer.from(b64 ?? "", "base64");
    if (!id || key.length !== 32)
      throw new ConfigError(`CREDENTIALS_KEYS entry "${id ?? ""}" must be keyId:base64 of 32 bytes`);
    return { id, key };
  });
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env) {
  const parsed = env.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new ConfigError(`Invalid configuration:\n${problems}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  const credentialKeys = parseKeys(e.CREDENTIALS_KEYS ?? DEV_CREDENTIALS_KEY);
  const purgeAuditKey = parsePurgeAuditKey(e.PURGE_AUDIT_KEY ?? DEV_PURGE_AUDIT_KEY);
  if (production) assertProductionSecrets(e, credentialKeys, purgeAuditKey);
  if (production && e.METRICS_TOKEN) assertProductionSecret("METRICS_TOKEN", e.METRICS_TOKEN, []);
  // A claimed job waits at most one polling period before it starts; it must not outlive its lease meanwhile.
  if (e.JOB_PROCESS_EVERY_MS * 2 > e.JOB_LOCK_LIFETIME_MS)
    throw new ConfigError(
      "Invalid configuration:\n  JOB_PROCESS_EVERY_MS must be at most half of JOB_LOCK_LIFETIME_MS",
    );
  if (e.IMPORT_CONCURRENCY > e.JOB_MAX_CONCURRENCY)
    throw new ConfigError("Invalid configuration:\n  IMPORT_CONCURRENCY must not exceed JOB_MAX_CONCURRENCY");
  const publicUrl = e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`;
  return {
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    oauthResultUrl: e.OAUTH_RESULT_URL ?? `${publicUrl}/app/`,
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: e.CALLSYNC_DATA_DIR,
    simulatorBasePort: e.SIMULATOR_BASE_PORT ?? (e.PORT === 0 ? 0 : e.PORT + 1),
    redisUrl: e.REDIS_URL ?? null,
    webhooks: { ratePerMinute: e.WEBHOOK_RATE_PER_MINUTE, maxBytes: e.WEBHOOK_MAX_BYTES },
    jwt: {
      secret: e.JWT_SECRET ?? DEV_JWT_SECRET,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      maxLifetimeSeconds: e.JWT_MAX_LIFETIME_SECONDS,
    },
    credentialKeys,
    purgeAuditKey,
    logLevel: e.LOG_LEVEL,
    graphql: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxCost: e.GRAPHQL_MAX_COST,
      subscriptionRecheckMs: e.SUBSCRIPTION_RECHECK_MS,
      introspection: e.GRAPHQL_INTROSPECTION ?? !production,
      hotReads: e.GRAPHQL_HOT_READS ?? true,
      // "Did you mean …" names schema members an operation did not ask for.
      suggestions: !production,
    },
    corsOrigins: parseOrigins(e.CORS_ORIGINS),
    metrics: {
      /** Own listener; null = /metrics on the API port (token-protected, or open outside production). */
      port: e.METRICS_PORT ?? null,
      host: e.METRICS_HOST,
      token: e.METRICS_TOKEN ?? null,
      /** No own port and no token: production does not serve /metrics at all. */
      public: !production,
    },
    syncIntervalMinutes: e.SYNC_INTERVAL_MINUTES,
    sync: { maxAttempts: e.SYNC_MAX_ATTEMPTS, retryDelayMs: e.SYNC_RETRY_DELAY_MS },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    transactionTimeoutMs: e.DB_TRANSACTION_TIMEOUT_MS,
    databaseStartupWaitMs: e.DB_STARTUP_WAIT_MS,
    jobs: {
      lockLifetimeMs: e.JOB_LOCK_LIFETIME_MS,
      processEveryMs: e.JOB_PROCESS_EVERY_MS,
      maxConcurrency: e.JOB_MAX_CONCURRENCY,
      importConcurrency: e.IMPORT_CONCURRENCY,
      overdueAfterMs: e.JOB_OVERDUE_AFTER_MS,
      retention: {
        finishedMs: e.JOB_RETENTION_MS,
        failedMs: e.JOB_FAILED_RETENTION_MS,
        everyMs: e.JOB_CLEANUP_EVERY_MS,
        batchSize: e.JOB_CLEANUP_BATCH,
        webhookDeliveriesMs: e.WEBHOOK_DELIVERY_RETENTION_MS,
      },
      workerName: e.WORKER_NAME ?? `callsync-${process.pid}`,
    },
    workerInProcess: e.WORKER_IN_PROCESS ?? true,
    providers: {
      gong: {
        clientId: e.GONG_CLIENT_ID ?? null,
        clientSecret: e.GONG_CLIENT_SECRET ?? null,
        authorizeUrl: e.GONG_AUTHORIZE_URL,
        tokenUrl: e.GONG_TOKEN_URL,
        pkce: e.GONG_OAUTH_PKCE ?? false,
        allowedHosts: allowList(GONG_HOSTS, e.GONG_ALLOWED_HOSTS, [e.GONG_AUTHORIZE_URL, e.GONG_TOKEN_URL]),
        quota: e.GONG_QUOTA ?? null,
      },
      salesloft: {
        clientId: e.SALESLOFT_CLIENT_ID ?? null,
        clientSecret: e.SALESLOFT_CLIENT_SECRET ?? null,
        accountsUrl: e.SALESLOFT_ACCOUNTS_URL,
        apiUrl: e.SALESLOFT_API_URL,
        pkce: e.SALESLOFT_OAUTH_PKCE ?? true,
        allowedHosts: allowList(SALESLOFT_HOSTS, e.SALESLOFT_ALLOWED_HOSTS, [
          e.SALESLOFT_ACCOUNTS_URL,
          e.SALESLOFT_API_URL,
        ]),
        quota: e.SALESLOFT_QUOTA ?? null,
      },
      clari: {
        apiUrl: e.CLARI_API_URL,
        allowedHosts: allowList(CLARI_HOSTS, e.CLARI_ALLOWED_HOSTS, [e.CLARI_API_URL]),
        quota: e.CLARI_QUOTA ?? null,
      },
    },
  };
}

export type Config = ReturnType<typeof loadConfig>;
