/**
 * Database commands. DATABASE_URL defaults to postgresql://postgres@127.0.0.1:5432/callsync.
 *
 *   tsx src/db/cli.ts migrate          create the database if missing, apply pending migrations (plain pg runner)
 *   tsx src/db/cli.ts create <name>    write prisma/migrations/<ts>_<name>/migration.sql from schema.prisma (wasm engine)
 *   tsx src/db/cli.ts status           pending / failed / edited migrations, and drift schema.prisma ↔ migrations
 *   tsx src/db/cli.ts seed             the lead's seed (src/seed/index.ts, default export seed(databaseUrl))
 *
 * Always exits explicitly: the wasm engine leaves a timer pending.
 */
import path from "node:path";
import { createMigration, diagnoseMigrationHistory, diffMigrationsToSchema } from "./engine.js";
import { applyMigrations, ensureDatabase } from "./migrate.js";

const DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/callsync";
const migrationsDir = path.resolve("prisma/migrations");
const schemaPath = path.resolve("prisma/schema.prisma");
const log = (m: string) => console.log(m);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_URL;
  switch (command) {
    case "migrate": {
      if (await ensureDatabase(databaseUrl)) log("database created");
      const { applied } = await applyMigrations(databaseUrl, { migrationsDir, log });
      log(applied.length ? `applied ${applied.length} migration(s)` : "database is up to date");
      return 0;
    }
    case "create": {
      const name = rest.find((a) => !a.startsWith("--"));
      if (!name) {
        console.error("usage: db:migration <name> [--empty]");
        return 2;
      }
      const created = await createMigration(name, {
        databaseUrl,
        schemaPath,
        migrationsDir,
        allowEmpty: rest.includes("--empty"),
        log: process.env.DEBUG ? log : undefined,
      });
      if (!created) {
        log("schema.prisma and prisma/migrations are in sync: no migration created (use --empty to write one by hand)");
        return 0;
      }
      log(`created ${path.relative(process.cwd(), path.join(created.dir, "migration.sql"))}`);
      log("review it, then run `npm run db:migrate`");
      return 0;
    }
    case "status": {
      let ok = true;
      try {
        const d = await diagnoseMigrationHistory({ databaseUrl, schemaPath, migrationsDir });
        if (!d.hasMigrationsTable) {
          ok = false;
          log("database has no _prisma_migrations table: run `npm run db:migrate`");
        }
        const h = d.history;
        if (h?.diagnostic === "databaseIsBehind") {
          ok = false;
          log(`pending migrations: ${h.unappliedMigrationNames.join(", ")}`);
        } else if (h?.diagnostic === "migrationsDirectoryIsBehind") {
          ok = false;
          log(`applied but missing from prisma/migrations: ${h.unpersistedMigrationNames.join(", ")}`);
        } else if (h?.diagnostic === "historiesDiverge") {
          ok = false;
          log(
            `histories diverge after ${h.lastCommonMigrationName ?? "(none)"}: not applied ${h.unappliedMigrationNames.join(", ") || "-"}; ` +
              `unknown locally ${h.unpersistedMigrationNames.join(", ") || "-"}`,
          );
        }
        if (d.failedMigrationNames.length) {
          ok = false;
          log(`failed migrations: ${d.failedMigrationNames.join(", ")}`);
        }
        if (d.editedMigrationNames.length) {
          ok = false;
          log(`edited after being applied: ${d.editedMigrationNames.join(", ")}`);
        }
        if (ok) log("database is up to date with prisma/migrations");
      } catch (e) {
        ok = false;
        log(`cannot read the migration history of the database: ${(e as Error).message}`);
      }
      const drift = await diffMigrationsToSchema({ databaseUrl, schemaPath, migrationsDir });
      if (drift.trim()) {
        ok = false;
        log("DRIFT: schema.prisma has changes that no migration contains (`npm run db:migration <name>`):");
        log(drift);
      } else {
        log("schema.prisma matches prisma/migrations (no drift)");
      }
      return ok ? 0 : 1;
    }
    case "seed": {
      const mod = (await import("../seed/index.js" as string)) as {
        default: (databaseUrl: string) => Promise<unknown>;
      };
      await mod.default(databaseUrl);
      return 0;
    }
    default:
      console.error("usage: tsx src/db/cli.ts migrate | create <name> [--empty] | status | seed");
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
