/**
 * Embedded PostgreSQL (PGlite) for the zero-setup `npm start`: data kept in a directory,
 * served on a loopback port so the ordinary `pg` driver talks to it. PGlite is one backend
 * session, so callers must share ONE connection (pool max 1) between Prisma and Agenda and
 * must not rely on LISTEN/NOTIFY (STACK-NOTES "Embedded PostgreSQL").
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  url: string;
  close(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = resolve(dataDir, "pgdata");
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 100 });
  await server.start();
  const conn = server.getServerConn();
  return {
    url: `postgresql://postgres@${conn}/postgres?sslmode=disable`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
