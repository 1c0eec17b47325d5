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
import type { Registry } from "prom-client";
import { WebSocketServer } from "ws";
import { bearer, verifyToken } from "../auth/tokens.js";
import type { ViewerDirectory } from "../auth/viewers.js";
import type { Config } from "../config.js";
import type { Context, Services, Viewer } from "../graphql/context.js";
import { ERROR_CODES, maskError } from "../graphql/errors.js";
import { useOperationLimits } from "../graphql/limits.js";
import { AccessMonitor, useSubscriptionAuthorization } from "../graphql/subscription-auth.js";

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
}

export interface App {
  server: Server;
  url(): string;
  start(port?: number, host?: string): Promise<void>;
  stop(): Promise<void>;
}

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

export function buildApp(options: AppOptions): App {
  const { config, services, schema } = options;
  const access = new AccessMonitor(services.prisma, config.graphql.subscriptionRecheckMs, services.log);
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql: !config.production,
    landingPage: false,
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
        blockFieldSuggestion: { enabled: config.production },
      }),
      useOperationLimits({ maxCost: config.graphql.maxCost }),
      useSubscriptionAuthorization(access),
      usePrometheus({
        endpoint: "/metrics",
        metrics: { graphql_yoga_http_duration: true },
        ...(options.metrics ? { registry: options.metrics } : {}),
      }),
      requestLogger(),
    ],
  });

  const routes = options.routes ?? [];
  const server = createServer(async (req, res) => {
    try {
      if (req.url === "/ready") {
        await services.prisma.$queryRaw`SELECT 1`;
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ready"}');
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
    url() {
      const address = server.address();
      if (!address || typeof address === "string") throw new Error("server is not listening");
      return `http://${address.address === "::" ? "127.0.0.1" : address.address}:${address.port}/graphql`;
    },
    start(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
    },
    async stop() {
      access.close();
      await ws.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

export { ERROR_CODES };
