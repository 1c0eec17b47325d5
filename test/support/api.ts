/**
 * A real callsync API on a fresh database: the same runtime `npm run serve` builds, listening
 * on a free loopback port, driven over HTTP with typed operations from test/generated.
 */
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type GraphQLFormattedError, print } from "graphql";
import { mintToken } from "../../src/auth/tokens.js";
import { loadConfig } from "../../src/config.js";
import { openRuntime, type Runtime } from "../../src/runtime.js";
import type { Route } from "../../src/server/app.js";
import type { EngineSettings } from "../../src/sync/engine.js";
import { createTestDatabase, type TestDatabase } from "./db.js";

export interface GqlResult<T> {
  data: T | null | undefined;
  errors?: GraphQLFormattedError[];
}

export interface TestApi {
  url: string;
  runtime: Runtime;
  prisma: Runtime["db"]["prisma"];
  database: TestDatabase;
  /** Every SQL statement sent since the last `resetQueries()`. */
  queries: string[];
  resetQueries(): void;
  tokenFor(user: { id: string; workspaceId: string }): Promise<string>;
  /** Waits until no job is running or due (e.g. a run's transcript follow-up), at most `timeoutMs`. */
  settleJobs(timeoutMs?: number): Promise<void>;
  gql<T, V>(doc: TypedDocumentNode<T, V>, variables?: NoInfer<V>, token?: string | null): Promise<GqlResult<T>>;
  /** An operation as text, answered as text: for comparing response bodies byte for byte. */
  request(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export interface StartApiOptions {
  /** Listen on this port (OAuth tests need PUBLIC_URL before the server listens). */
  port?: number;
  engine?: Partial<EngineSettings>;
  /** Reuse a database (several API processes on one database). */
  database?: TestDatabase;
  /** Routes mounted beside GraphQL (the example web client). */
  routes?: Route[];
}

export async function startApi(env: Record<string, string> = {}, options: StartApiOptions = {}): Promise<TestApi> {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    PORT: "0",
    LOG_LEVEL: "silent",
    WORKER_IN_PROCESS: "false",
    ...env,
  });
  const queries: string[] = [];
  const runtime = await openRuntime(config, {
    role: "serve",
    port: options.port ?? 0,
    engine: options.engine,
    onQuery: (sql) => queries.push(sql),
    routes: options.routes,
  });
  const url = runtime.app!.url();
  const request: TestApi["request"] = async (query, variables, token) => {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: await res.text() };
  };
  return {
    url,
    runtime,
    prisma: runtime.db.prisma,
    database,
    queries,
    resetQueries: () => {
      queries.length = 0;
    },
    tokenFor: (user) => mintToken(config.jwt, { userId: user.id, workspaceId: user.workspaceId }),
    async settleJobs(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const { rows } = await runtime.db.pool.query(
          `SELECT count(*)::int AS n FROM agenda_jobs
            WHERE locked_at IS NOT NULL OR (next_run_at <= now() AND repeat_interval IS NULL)`,
        );
        if (rows[0].n === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async gql(doc, variables, token) {
      const { body } = await request(print(doc), variables as Record<string, unknown> | undefined, token);
      return JSON.parse(body) as GqlResult<never>;
    },
    request,
    async close() {
      await runtime.close();
      if (!options.database) await database.drop();
    },
  };
}

/** The codes of a result's errors, for assertions that read like the spec. */
export const errorCodes = (result: GqlResult<unknown>) => (result.errors ?? []).map((e) => e.extensions?.code);
