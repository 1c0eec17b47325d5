/**
 * vitest globalSetup: once per test run, a template database `callsync_tpl_<random>` with every migration
 * applied. Test files clone it (test/support/db.ts → createTestDatabase). Dropped in teardown.
 *
 * Test databases are named `callsync_test_<run>_<random>`; teardown also drops the ones left behind.
 * The template is marked IS_TEMPLATE and ALLOW_CONNECTIONS false once migrated: nobody can stay connected
 * to it, which is what `CREATE DATABASE … TEMPLATE` requires.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { adminConfig, applyMigrations, quoteIdent } from "../../src/db/migrate.js";
import { resetOutcomes } from "../chaos/summary.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Name of the migrated template database on the TEST_DATABASE_URL server. */
    templateDb: string;
  }
}

export const DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const serverUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const runId = randomBytes(6).toString("hex");
  const name = `callsync_tpl_${runId}`;
  const admin = new pg.Client(adminConfig(serverUrl, "postgres"));
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    try {
      await applyMigrations(adminConfig(serverUrl, name), {
        migrationsDir: fileURLToPath(new URL("../../prisma/migrations", import.meta.url)),
      });
      await admin.query(`ALTER DATABASE ${quoteIdent(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    } catch (e) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch(() => {});
      throw e;
    }
  } finally {
    await admin.end();
  }
  project.provide("templateDb", name);
  resetOutcomes();

  return async () => {
    const c = new pg.Client(adminConfig(serverUrl, "postgres"));
    await c.connect();
    try {
      // Test databases of this run that a test file did not drop (see test/support/db.ts for the names).
      const { rows } = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
        `callsync\\_test\\_${runId}\\_%`,
      ]);
      for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
      await c.query(`ALTER DATABASE ${quoteIdent(name)} WITH IS_TEMPLATE false ALLOW_CONNECTIONS true`);
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  };
}
