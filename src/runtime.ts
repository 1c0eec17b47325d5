/**
 * Assembles a process from its parts: configuration → database (configured or embedded) →
 * migrations → services → HTTP server and/or workers. `close()` stops them in reverse order.
 */
import { fileURLToPath } from "node:url";
import type { Config } from "./config.js";
import { type DbHandle, openDatabase } from "./db/client.js";
import { startEmbeddedPostgres } from "./db/embedded.js";
import { applyMigrations, ensureDatabase } from "./db/migrate.js";
import type { Services } from "./graphql/context.js";
import { schema } from "./graphql/schema/index.js";
import { createLogger, type Logger } from "./logger.js";
import { type App, buildApp } from "./server/app.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

export interface Runtime {
  config: Config;
  db: DbHandle;
  log: Logger;
  services: Services;
  app: App | null;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  role: "start" | "serve" | "worker" | "none";
  /** Listen on this port instead of the configured one (tests use 0). */
  port?: number;
  /** Sees every SQL statement Prisma sends (tests count them). */
  onQuery?: (sql: string) => void;
}

export async function openRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const log = createLogger(config.logLevel, { role: options.role });
  const closers: (() => Promise<void>)[] = [];
  let databaseUrl = config.databaseUrl;
  let embedded = false;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres(config.dataDir);
    closers.push(pg.close);
    databaseUrl = pg.url;
    embedded = true;
    log.info({ dataDir: config.dataDir }, "embedded PostgreSQL started");
  } else {
    await ensureDatabase(databaseUrl);
  }
  const db = openDatabase(databaseUrl, { max: embedded ? 1 : 10, log: options.onQuery });
  closers.push(db.close);
  const migrated = await applyMigrations(db.pool, { migrationsDir: MIGRATIONS_DIR });
  if (migrated.applied.length > 0) log.info({ applied: migrated.applied }, "migrations applied");

  const services: Services = { prisma: db.prisma, log };
  let app: App | null = null;
  if (options.role === "start" || options.role === "serve") {
    app = buildApp({ config, services, schema });
    await app.start(options.port ?? config.port);
    closers.push(() => app!.stop());
    log.info({ url: app.url() }, "GraphQL ready");
  }

  return {
    config,
    db,
    log,
    services,
    app,
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}
