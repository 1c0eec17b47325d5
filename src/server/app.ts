/**
 * One Node HTTP server: Yoga at /graphql (HTTP, SSE) and graphql-ws on the same path, both
 * through the same envelop plugins (auth context, limits, masking, metrics, logging), plus
 * /health, /ready, /metrics and the routes other modules mount (OAuth callback, example app).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import { type ExecutionArgs, GraphQLError, type GraphQLSchema, type ValidationContext } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, type Plugin, type YogaInitialContext } from "graphql-yoga";
import { Registry } from "prom-client";
import { WebSocketServer } from "ws";
import { bearer, verifyToken } from "../auth/tokens.js";
import type { ViewerDirectory } from "../auth/viewers.js";
import type { Config } from "../config.js";
import type { Context, Services, Viewer } from "../graphql/context.js";
import { ERROR_CODES, maskError } from "../graphql/errors.js";
import { type HotReadRunner, useHotReads } from "../graphql/hot-reads.js";
import { useOperationLimits } from "../graphql/limits.js";
import { useNoIntrospection, useNoSuggestions } from "../graphql/schema-disclosure.js";
import { useSharedSubscriptionResults } from "../graphql/shared-subscription-results.js";
import { AccessMonitor, useSubscriptionAuthorization } from "../graphql/subscription-auth.js";
import { corsFor } from "./cors.js";
import { apiPortMetrics, METRICS_PATH, metricsServer } from "./metrics.js";
import { applySecurityHeaders, graphiqlWithCsp, securityHeaders } from "./security-headers.js";

/** A route mounted beside GraphQL; returns false when the request is not for it. */
export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;

export interface AppOptions {
  config: Config;
  services: Services;
  schema: GraphQLSchema;
  /** Who a token speaks for (src/auth/viewers.ts). */
  viewers: ViewerDirectory;
  /** Extra context each operation gets (e.g. the pubsub). */
  extendContext?: (base: Context) => Record<string, unknown>;
  routes?: Route[];
  /** Where /metrics reads from (the GraphQL metrics are added to it); one per app, not global. */
  metrics?: Registry;
  /**
   * What /ready checks beside the database, by name (e.g. Redis, the jobs' LISTEN connection);
   * false means not ready.
   */
  readiness?: Record<string, () => boolean>;
  /**
   * Development only: the Authorization header GraphiQL opens with (`npm start`'s demo admin),
   * read when the page is served.
   */
  graphiqlAuthorization?: () => string | null;
  /** How hot reads run their statement (hot-reads.ts); through Prisma when absent. */
  hotReadRunner?: HotReadRunner;
}

export interface App {
  server: Server;
  /** The own /metrics listener when METRICS_PORT is set (SECURITY.md rule 8), else null. */
  metricsServer: Server | null;
  url(): string;
  /** Where /metrics is served, once started. */
  metricsUrl(): string;
  start(port?: number, host?: string): Promise<void>;
  /**
   * Drains: stops accepting connections, answers /ready 503, lets requests in flight finish
   * (at most `graceMs`), ends SSE streams and closes WebSockets with 1012 (service restart:
   * clients reconnect to another instance), then closes what is left.
   */
  stop(graceMs?: number): Promise<void>;
}

/** WebSocket close code "Service Restart": graphql-ws clients retry the connection. */
export const CLOSE_SERVICE_RESTART = 1012;

/** /ready gives up on a database that does not answer within this (a hung connection is not ready). */
const READY_TIMEOUT_MS = 2_000;

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });

type EnvelopedRoot = {
  execute: (args: ExecutionArgs) => ReturnType<NonNullable<Parameters<typeof useServer>[0]["execute"]>>;
  subscribe: (args: ExecutionArgs) => ReturnType<NonNullable<Parameters<typeof useServer>[0]["subscribe"]>>;
};

type InitialContext = YogaInitialContext & {
  connectionParams?: Record<string, unknown>;
};

async function resolveViewer(
  viewers: ViewerDirectory,
  config: Config,
  token: string | null,
): Promise<{ viewer: Viewer | null; tokenExpiresAt: number | null }> {
  const claims = token ? await verifyToken(config.jwt, token) : null;
  const viewer = claims ? await viewers.lookup(claims) : null;
  return { viewer, tokenExpiresAt: viewer && claims ? claims.expiresAt : null };
}

/** The error with a stable code, as HTTP answers it (graphql-ws sends errors unmasked). */
function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}

/**
 * The GraphQL metrics collected. Off: the deprecated-field counter (the schema has no deprecated
 * field, yet it walks every operation's document with a TypeInfo: ~3% of a hot read's CPU), the
 * request-time summary (the request-duration histogram answers the same, and a summary keeps
 * quantiles per observation), and the parse / validate / context phase histograms (parse and
 * validation are cached; context is one cached viewer lookup). Kept: requests, their duration,
 * errors, execute and subscribe phases, schema changes and the HTTP duration.
 */
const PROMETHEUS_METRICS = {
  graphql_envelop_deprecated_field: false,
  graphql_envelop_request_time_summary: false,
  graphql_envelop_phase_parse: false,
  graphql_envelop_phase_validate: false,
  graphql_envelop_phase_context: false,
  graphql_envelop_request: true,
  graphql_envelop_request_duration: true,
  graphql_envelop_error_result: true,
  graphql_envelop_phase_execute: true,
  graphql_envelop_phase_subscribe: true,
  graphql_envelop_schema_change: true,
  graphql_yoga_http_duration: true,
};

/** graphql-armor rejections reported as validation errors: GRAPHQL_VALIDATION_FAILED, HTTP 400. */
const reportAsValidationError = {
  propagateOnRejection: false,
  onReject: [(ctx: ValidationContext | null, error: GraphQLError) => ctx?.reportError(error)],
};

function requestLogger(): Plugin {
  return {
    onExecute({ args }) {
      const ctx = args.contextValue as unknown as Context;
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          const errors = "errors" in result ? (result.errors ?? []) : [];
          ctx.log.info(
            {
              operation: args.operationName ?? null,
              ms: Math.round(performance.now() - started),
              errors: errors.map((e) => e.extensions?.code ?? "INTERNAL_SERVER_ERROR"),
            },
            "graphql operation",
          );
        },
      };
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

export function buildApp(options: AppOptions): App {
  const { config, services, schema } = options;
  const access = new AccessMonitor(services.prisma, config.graphql.subscriptionRecheckMs, services.log);
  const registry = options.metrics ?? new Registry();
  const graphiql = graphiqlWithCsp();
  const withSecurityHeaders = applySecurityHeaders(securityHeaders({ https: config.publicUrl.startsWith("https:") }));
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql: config.production
      ? false
      : () => {
          const authorization = options.graphiqlAuthorization?.() ?? null;
          return {
            title: "callsync GraphiQL",
            defaultEditorToolsVisibility: authorization ? "headers" : false,
            ...(authorization ? { headers: JSON.stringify({ Authorization: authorization }, null, 2) } : {}),
          };
        },
    renderGraphiQL: graphiql.render,
    landingPage: false,
    cors: corsFor(config.corsOrigins),
    logging: services.log.child({ component: "yoga" }),
    maskedErrors: { maskError: (error, message) => maskError(error, message) },
    context: async (initial: InitialContext) => {
      const header =
        initial.request?.headers?.get?.("authorization") ??
        (typeof initial.connectionParams?.authorization === "string" ? initial.connectionParams.authorization : null);
      const requestId = initial.request?.headers?.get?.("x-request-id") ?? randomUUID();
      const { viewer, tokenExpiresAt } = await resolveViewer(options.viewers, config, bearer(header));
      const base: Context = {
        ...services,
        viewer,
        tokenExpiresAt,
        requestId,
        log: services.log.child({ requestId, userId: viewer?.userId, workspaceId: viewer?.workspaceId }),
      };
      return { ...base, ...(options.extendContext?.(base) ?? {}) };
    },
    plugins: [
      EnvelopArmorPlugin({
        maxDepth: { n: config.graphql.maxDepth, ignoreIntrospection: true, ...reportAsValidationError },
        // The cost limit counts page sizes and list lengths, variables included: see useOperationLimits.
        costLimit: { enabled: false },
        maxAliases: { n: 30, ...reportAsValidationError },
        maxDirectives: { n: 30, ...reportAsValidationError },
        maxTokens: { n: 4000 },
        // Replaced by useNoSuggestions, which also covers enum values and variables.
        blockFieldSuggestion: { enabled: false },
      }),
      ...(config.graphql.introspection ? [] : [useNoIntrospection()]),
      ...(config.graphql.suggestions ? [] : [useNoSuggestions()]),
      useOperationLimits({ maxCost: config.graphql.maxCost }),
      // After the limits: what they refuse never reaches a hot read.
      ...(config.graphql.hotReads ? [useHotReads({ run: options.hotReadRunner })] : []),
      useSubscriptionAuthorization(access),
      useSharedSubscriptionResults(),
      // Collects only: who may read /metrics is decided by src/server/metrics.ts.
      usePrometheus({ endpoint: false, metrics: PROMETHEUS_METRICS, registry }),
      requestLogger(),
      graphiql.plugin,
    ],
  });

  const routes = [apiPortMetrics(config.metrics, registry), ...(options.routes ?? [])];
  const metrics = metricsServer(config.metrics, registry, withSecurityHeaders);
  if (!metrics && config.metrics.token === null && !config.metrics.public)
    services.log.warn("/metrics is not served: set METRICS_PORT (own listener) or METRICS_TOKEN (bearer) to scrape it");
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const streams = new Set<ServerResponse>();
  let settled: (() => void) | null = null;

  const ready = async (): Promise<string[]> => {
    const failing = Object.entries(options.readiness ?? {})
      .filter(([, check]) => !check())
      .map(([name]) => name);
    try {
      await withTimeout(services.prisma.$queryRaw`SELECT 1`, READY_TIMEOUT_MS);
    } catch {
      failing.unshift("database");
    }
    if (draining) failing.unshift("shutting down");
    return failing;
  };

  const server = createServer(async (req, res) => {
    inFlight.add(res);
    if ((req.headers.accept ?? "").includes("text/event-stream")) streams.add(res);
    res.once("close", () => {
      inFlight.delete(res);
      streams.delete(res);
      if (inFlight.size === 0) settled?.();
    });
    withSecurityHeaders(res);
    // While draining, answers ask the client to take its next request elsewhere.
    if (draining) res.setHeader("connection", "close");
    try {
      if (req.url === "/ready") {
        const failing = await ready();
        if (failing.length === 0) res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ready"}');
        else
          res
            .writeHead(503, { "content-type": "application/json" })
            .end(JSON.stringify({ status: "unavailable", failing }));
        return;
      }
      for (const route of routes) if (await route(req, res)) return;
      await yoga(req, res);
    } catch (error) {
      services.log.error({ err: error, url: req.url }, "request failed");
      if (!res.headersSent) res.writeHead(503, { "content-type": "application/json" });
      res.end('{"status":"unavailable"}');
    }
  });

  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const ws = useServer(
    {
      // The enveloped execute/subscribe travel in rootValue (graphql-yoga's graphql-ws recipe).
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          connectionParams: ctx.connectionParams,
        });
        // A syntax or token-limit error fails this operation only, not the whole socket (4500).
        let document: ReturnType<typeof parse>;
        try {
          document = parse(params.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [withCode(error, "GRAPHQL_PARSE_FAILED")];
          throw error;
        }
        const args = {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors.map((e: GraphQLError) => withCode(e, "GRAPHQL_VALIDATION_FAILED"));
        return args;
      },
    },
    wss,
  );

  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  return {
    server,
    metricsServer: metrics,
    metricsUrl() {
      const address = (metrics ?? server).address();
      if (!address || typeof address === "string") throw new Error("server is not listening");
      return `http://${address.address === "::" ? "127.0.0.1" : address.address}:${address.port}${METRICS_PATH}`;
    },
    url() {
      const address = server.address();
      if (!address || typeof address === "string") throw new Error("server is not listening");
      return `http://${address.address === "::" ? "127.0.0.1" : address.address}:${address.port}/graphql`;
    },
    async start(port = config.port, host = config.host) {
      await listen(server, port, host);
      if (metrics) await listen(metrics, config.metrics.port!, config.metrics.host);
    },
    async stop(graceMs = config.shutdownGraceMs) {
      access.close();
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Subscriptions never finish by themselves: end them now, with a code that says "reconnect".
      for (const res of streams) res.end();
      for (const client of wss.clients) client.close(CLOSE_SERVICE_RESTART, "Server restarting; reconnect");
      if (inFlight.size > 0)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          settled = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      if (inFlight.size > 0) services.log.warn({ requests: inFlight.size }, "grace period over; closing requests");
      await ws.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      if (metrics?.listening) {
        metrics.closeAllConnections();
        await new Promise<void>((resolve) => metrics.close(() => resolve()));
      }
    },
  };
}

export { ERROR_CODES };
