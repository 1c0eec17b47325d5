/**
 * Assembles a process from its parts: configuration → database (configured or embedded) →
 * migrations → services → HTTP server and/or workers. `close()` stops them in reverse order.
 */
import { Registry } from "prom-client";
import { bearer, verifyToken } from "./auth/tokens.js";
import { cachedViewers, uncachedViewers } from "./auth/viewers.js";
import type { Config } from "./config.js";
import { type DbHandle, openDatabase } from "./db/client.js";
import { applyMigrations } from "./db/migrate.js";
import { reachDatabase } from "./db/reach.js";
import { createEventBus } from "./events/pubsub.js";
import type { Services } from "./graphql/context.js";
import { poolRunner } from "./graphql/hot-reads.js";
import { schema } from "./graphql/schema/index.js";
import { BackfillEstimates } from "./integrations/backfill-estimate.js";
import { CredentialCipher } from "./integrations/crypto.js";
import { oauthRoutes } from "./integrations/oauth-route.js";
import { createProviderRegistry } from "./integrations/providers.js";
import { rekeyLegacyPurgeAudits } from "./integrations/purge-audit.js";
import { Wizard } from "./integrations/wizard.js";
import { registerQueueMetrics } from "./jobs/metrics.js";
import { createJobs, JOB, type Jobs } from "./jobs/queue.js";
import { createLogger, type Logger } from "./logger.js";
import { fromRoot } from "./paths.js";
import { openRedis } from "./redis.js";
import { type App, buildApp, type Route } from "./server/app.js";
import { type EngineSettings, SyncEngine } from "./sync/engine.js";
import { WebhookEndpoints } from "./webhooks/endpoints.js";
import { webhookRoute } from "./webhooks/route.js";

export const MIGRATIONS_DIR = fromRoot("prisma/migrations");

export interface Runtime {
  config: Config;
  db: DbHandle;
  log: Logger;
  services: Services;
  engine: SyncEngine;
  jobs: Jobs;
  app: App | null;
  /** The PostgreSQL URL in use (the embedded database's loopback URL under `npm start`). */
  databaseUrl: string;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  role: "start" | "serve" | "worker" | "none";
  /** Listen on this port instead of the configured one (tests use 0). */
  port?: number;
  /** Sees every SQL statement Prisma sends (tests count them). */
  onQuery?: (sql: string) => void;
  /** Sync engine tuning (tests shorten delays). */
  engine?: Partial<EngineSettings>;
  /** Routes mounted beside GraphQL (the example app). */
  routes?: Route[];
  /** Development: the Authorization header GraphiQL is opened with (`npm start`'s demo admin). */
  graphiqlAuthorization?: () => string | null;
}

export async function openRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const log = createLogger(config.logLevel, { role: options.role });
  const closers: (() => Promise<void>)[] = [];
  let databaseUrl = config.databaseUrl;
  let embedded = false;
  if (!databaseUrl) {
    // Loaded only when used: deployments with DATABASE_URL never start PGlite.
    const { startEmbeddedPostgres } = await import("./db/embedded.js");
    const pg = await startEmbeddedPostgres(config.dataDir);
    closers.push(pg.close);
    databaseUrl = pg.url;
    embedded = true;
    log.info({ dataDir: config.dataDir }, "embedded PostgreSQL started");
  } else {
    await reachDatabase(databaseUrl, { waitMs: config.databaseStartupWaitMs, log });
  }
  const db = openDatabase(databaseUrl, {
    max: embedded ? 1 : 10,
    log: options.onQuery,
    transactionTimeoutMs: config.transactionTimeoutMs,
  });
  closers.push(db.close);
  const migrated = await applyMigrations(db.pool, { migrationsDir: MIGRATIONS_DIR });
  if (migrated.applied.length > 0) log.info({ applied: migrated.applied }, "migrations applied");
  const rekeyed = await rekeyLegacyPurgeAudits(db.prisma, config.purgeAuditKey);
  if (rekeyed > 0) log.info({ rekeyed }, "legacy purge audits re-keyed");

  const bus = createEventBus(config.redisUrl, log.child({ component: "events" }), {
    latestRun: async (integrationId) =>
      (
        await db.prisma.syncRun.findFirst({
          where: { integrationId },
          orderBy: { startedAt: "desc" },
          select: { id: true },
        })
      )?.id ?? null,
  });
  closers.push(bus.close);
  const redis = config.redisUrl ? openRedis(config.redisUrl, log.child({ component: "pacer" })) : null;
  if (redis) closers.push(async () => void redis.disconnect());
  // A pacing wait longer than a job's lease is not waited for: the job is rescheduled instead.
  const providers = createProviderRegistry(config.providers, {
    redis,
    production: config.production,
    maxPacerWaitMs: Math.min(60_000, config.jobs.lockLifetimeMs),
  });
  const cipher = new CredentialCipher(config.credentialKeys);
  const jobs = await createJobs({
    pool: db.pool,
    embedded,
    log: log.child({ component: "jobs" }),
    name: config.jobs.workerName,
    lockLifetimeMs: config.jobs.lockLifetimeMs,
    processEveryMs: config.jobs.processEveryMs,
    maxConcurrency: config.jobs.maxConcurrency,
    importConcurrency: config.jobs.importConcurrency,
    retention: config.jobs.retention,
  });
  closers.push(jobs.stop);
  const engine = new SyncEngine({
    prisma: db.prisma,
    log: log.child({ component: "sync" }),
    pubsub: bus.pubsub,
    cipher,
    providers,
    queue: jobs.queue,
    settings: { leaseMs: config.jobs.lockLifetimeMs, ...config.sync, ...options.engine },
  });
  const wizard = new Wizard({
    prisma: db.prisma,
    cipher,
    providers,
    engine,
    queue: jobs.queue,
    pubsub: bus.pubsub,
    log: log.child({ component: "integrations" }),
    config,
  });
  const webhooks = new WebhookEndpoints(db.prisma, cipher, config.publicUrl);
  const backfillEstimates = new BackfillEstimates({
    prisma: db.prisma,
    engine,
    wizard,
    providers,
    log: log.child({ component: "backfill-estimate" }),
  });
  closers.push(() => backfillEstimates.settle(2_000));
  const services: Services = {
    prisma: db.prisma,
    log,
    pubsub: bus.pubsub,
    wizard,
    providers,
    webhooks,
    backfillEstimates,
  };
  const works = options.role === "worker" || (options.role !== "none" && config.workerInProcess);
  if (works) {
    await jobs.startWorking(engine);
    // Supervisors and the process tests wait for this line before counting on the worker.
    log.info({ worker: config.jobs.workerName }, "worker started");
  }

  let app: App | null = null;
  if (options.role === "start" || options.role === "serve") {
    const metrics = new Registry();
    registerQueueMetrics({
      pool: db.pool,
      registry: metrics,
      names: Object.values(JOB),
      lockLifetimeMs: config.jobs.lockLifetimeMs,
      overdueAfterMs: config.jobs.overdueAfterMs,
    });
    const viewers = embedded ? uncachedViewers(db.prisma) : cachedViewers(db.prisma, databaseUrl, log);
    closers.push(viewers.close);
    app = buildApp({
      config,
      services,
      schema,
      metrics,
      viewers,
      graphiqlAuthorization: options.graphiqlAuthorization,
      // The embedded database is one session behind a socket: hot reads go through Prisma there.
      hotReadRunner: embedded ? undefined : poolRunner(db.pool, { onQuery: options.onQuery }),
      readiness: {
        events: bus.connected,
        pacing: () => !redis || redis.status === "ready",
        ...(works ? { jobs: jobs.listening } : {}),
      },
      routes: [
        webhookRoute({
          prisma: db.prisma,
          endpoints: webhooks,
          log: log.child({ component: "webhooks" }),
          enqueue: (integrationId, ids) => jobs.webhookCalls(integrationId, ids),
          ratePerMinute: config.webhooks.ratePerMinute,
          maxBytes: config.webhooks.maxBytes,
          redis,
        }),
        oauthRoutes(wizard, {
          resultUrl: config.oauthResultUrl,
          secureCookies: config.production,
          viewerOf: async (authorization) => {
            const token = bearer(authorization);
            const claims = token ? await verifyToken(config.jwt, token) : null;
            return claims ? viewers.lookup(claims) : null;
          },
        }),
        ...(config.env === "development" ? [await (await import("./server/web.js")).webRoute()] : []),
        ...(options.routes ?? []),
      ],
    });
    await app.start(options.port ?? config.port);
    closers.push(() => app!.stop());
    log.info({ url: app.url() }, "GraphQL ready");
  }

  return {
    config,
    db,
    log,
    services,
    engine,
    jobs,
    app,
    databaseUrl,
    async close() {
      engine.stop();
      for (const close of [...closers].reverse()) await close();
    },
  };
}
