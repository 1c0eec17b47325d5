/**
 * Per test file databases cloned from the run's migrated template (see global-setup.ts).
 *
 *   const db = await createTestDatabase();       // fresh, migrated, isolated
 *   const prisma = createPrisma(db.url);
 *   afterAll(async () => { await prisma.$disconnect(); await db.drop(); });
 */
import { randomBytes } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { inject } from "vitest";
import { adminConfig, quoteIdent } from "../../src/db/migrate.js";
import { PrismaClient } from "../../src/generated/prisma/client.js";

export const DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

/** The PostgreSQL server for tests (a database on it that may create databases). */
export function testServerUrl(): string {
  return process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
}

/** Connection URL of database `name` on the test server. */
export function databaseUrl(name: string): string {
  const u = new URL(testServerUrl());
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database, closing any connection still open to it. Idempotent. */
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(adminConfig(testServerUrl(), "postgres"));
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function templateDb(): string {
  const template = inject("templateDb");
  if (!template) throw new Error("templateDb not provided: run through vitest with test/support/global-setup.ts");
  return template;
}

/** Test databases are named callsync_test_<run>_<random>: the run's teardown drops any left behind. */
function testDbPrefix(template: string): string {
  return `callsync_test_${template.replace(/^callsync_tpl_/, "")}`;
}

/** Creates an empty database (no migrations) on the test server. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  return create(testDbPrefix(templateDb()), null);
}

/** Clones the migrated template: `CREATE DATABASE callsync_test_<run>_<random> TEMPLATE callsync_tpl_<run>`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = templateDb();
  return create(testDbPrefix(template), template);
}

async function create(prefix: string, template: string | null): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const sql = `CREATE DATABASE ${quoteIdent(name)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ""}`;
  await withAdmin(async (c) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(sql);
        return;
      } catch (e) {
        // 55006 "source database is being accessed by other users": someone is still connected to the
        // template (it disallows new connections, so only briefly). Retry for a few seconds.
        if ((e as { code?: string }).code !== "55006" || attempt >= 50) throw e;
        await sleep(100 + Math.random() * 100);
      }
    }
  });
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: databaseUrl(name),
    drop: () => {
      dropped ??= withAdmin(async (c) => {
        // Connections closed a moment ago may still be going away; FORCE only what lingers, so
        // a client that is merely slow to hang up is not killed under a live error handler.
        for (let i = 0; i < 50; i++) {
          const { rows } = await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [name]);
          if (rows[0].n === 0) break;
          await sleep(100);
        }
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      });
      return dropped;
    },
  };
}

/** A PrismaClient on `url` through the pg driver adapter. Call `$disconnect()` when done. */
export function createPrisma(url: string, options: { max?: number } = {}): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: options.max ?? 5 }) });
}
