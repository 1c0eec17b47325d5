/**
 * Rule 8 — the production surface is minimal. Against real servers in production mode over
 * HTTP, SSE and graphql-ws: introspection is refused (unless GRAPHQL_INTROSPECTION enables it),
 * errors carry no "Did you mean …" naming fields, arguments, types or enum values, /metrics is
 * not readable on the API port without its token (and is on its own listener when configured),
 * CORS answers only configured origins, and every answer carries the security headers.
 *
 * A development server on the same database is the control: the same probes there do show
 * suggestions and the schema, so each production assertion is one the rule alone makes pass.
 */
import { createHash, randomBytes } from "node:crypto";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { webRoute } from "../../src/server/web.js";
import { startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";
import { freePort } from "../support/net.js";
import { productionSecrets } from "../support/security.js";

const APP_ORIGIN = "https://app.callsync.test";
const METRICS_TOKEN = randomBytes(32).toString("base64url");

/** Production: /metrics behind METRICS_TOKEN on the API port, one configured CORS origin. */
let prod: TestApi;
/** Production: /metrics on its own listener, introspection enabled by configuration. */
let prodOwnPort: TestApi;
/** Development, the control: suggestions, introspection and open /metrics, the example app mounted. */
let dev: TestApi;
let memberToken: string;

beforeAll(async () => {
  prod = await startApi({
    NODE_ENV: "production",
    ...productionSecrets(),
    CORS_ORIGINS: `${APP_ORIGIN},https://admin.callsync.test`,
    METRICS_TOKEN,
  });
  prodOwnPort = await startApi(
    {
      NODE_ENV: "production",
      ...productionSecrets(),
      METRICS_PORT: String(await freePort()),
      GRAPHQL_INTROSPECTION: "true",
    },
    { database: prod.database },
  );
  dev = await startApi({ NODE_ENV: "development" }, { database: prod.database, routes: [await webRoute()] });
  const { member } = await createWorkspace(prod.prisma, "Surface Co");
  memberToken = await prod.tokenFor(member);
}, 120_000);
afterAll(async () => {
  await dev?.close();
  await prodOwnPort?.close();
  await prod?.close();
});

type Transport = "HTTP" | "SSE" | "graphql-ws";
const TRANSPORTS: Transport[] = ["HTTP", "SSE", "graphql-ws"];

/** Everything the server answered to one operation, as text (data and errors, whatever the framing). */
async function ask(
  api: TestApi,
  transport: Transport,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<string> {
  if (transport === "graphql-ws") {
    const client = createClient({
      url: api.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${memberToken}` },
      retryAttempts: 0,
    });
    try {
      return await new Promise<string>((resolve) => {
        const seen: unknown[] = [];
        client.subscribe(
          { query, variables },
          {
            next: (r) => void seen.push(r),
            error: (e) => resolve(JSON.stringify([...seen, e])),
            complete: () => resolve(JSON.stringify(seen)),
          },
        );
      });
    } finally {
      await client.dispose();
    }
  }
  const res = await fetch(api.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: transport === "SSE" ? "text/event-stream" : "application/graphql-response+json",
      authorization: `Bearer ${memberToken}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  return res.text();
}

const INTROSPECTION = "{ __schema { queryType { name } } }";
const TYPE_INTROSPECTION = '{ __type(name: "Call") { fields { name } } }';

describe("introspection is off in production", () => {
  it.each(TRANSPORTS)("%s: __schema and __type are refused, __typename still answers", async (transport) => {
    for (const query of [INTROSPECTION, TYPE_INTROSPECTION]) {
      const text = await ask(prod, transport, query);
      expect(text).toContain("GRAPHQL_VALIDATION_FAILED");
      expect(text).toMatch(/introspection has been disabled/);
      expect(text).not.toContain('"queryType"');
      expect(text).not.toContain('"fields"');
      // The control: the same operation introspects outside production.
      expect(await ask(dev, transport, query)).toMatch(/"queryType":\{"name":"Query"\}|"fields":\[/);
    }
    expect(await ask(prod, transport, "{ __typename }")).toContain('"__typename":"Query"');
  });

  it.each(TRANSPORTS)("%s: GRAPHQL_INTROSPECTION=true enables it in production", async (transport) => {
    expect(await ask(prodOwnPort, transport, INTROSPECTION)).toContain('"queryType":{"name":"Query"}');
  });
});

/** Operations whose errors graphql-js decorates with suggestions, and a word the error must still name. */
const SUGGESTING: [string, string, Record<string, unknown>, string][] = [
  ["an unknown field", "{ integrations { stat } }", {}, '"stat"'],
  ["an unknown argument", "{ deals(frist: 1) { totalCount } }", {}, '"frist"'],
  ["an unknown type", "query($o: DealOrdr) { deals(orderBy: $o) { totalCount } }", {}, '"DealOrdr"'],
  ["an unknown enum value (literal)", "{ deals(orderBy: { field: NAM }) { totalCount } }", {}, '"NAM"'],
  [
    "an unknown enum value (variable)",
    "query($o: DealOrder) { deals(orderBy: $o) { totalCount } }",
    { o: { field: "NAM" } },
    '"NAM"',
  ],
  [
    "an unknown input field (variable)",
    "query($o: DealOrder) { deals(orderBy: $o) { totalCount } }",
    { o: { feild: "NAME" } },
    '"feild"',
  ],
  [
    "an unknown subscription field",
    'subscription { integrationEvent(integrationId: "x") { type } }',
    {},
    '"integrationEvent"',
  ],
];

describe("no suggestions in production", () => {
  for (const transport of TRANSPORTS)
    it.each(SUGGESTING)(`${transport}: %s`, async (_name, query, variables, named) => {
      const control = await ask(dev, transport, query, variables);
      expect(control).toMatch(/Did you mean/);
      const text = await ask(prod, transport, query, variables);
      expect(text).toContain(named.replace(/"/g, '\\"'));
      expect(text).not.toMatch(/Did you mean|Suggestion/i);
    });
});

const origin = (api: TestApi) => api.url.replace(/\/graphql$/, "");

describe("/metrics is not public in production", () => {
  it("on the API port only with METRICS_TOKEN as a bearer", async () => {
    const url = `${origin(prod)}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: memberToken } })).status).toBe(401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("callsync_jobs_table_rows");
  });

  it("with METRICS_PORT: on its own listener, and not at all on the API port", async () => {
    expect((await fetch(`${origin(prodOwnPort)}/metrics`)).status).toBe(404);
    const own = prodOwnPort.runtime.app!.metricsUrl();
    expect(new URL(own).port).toBe(String(prodOwnPort.runtime.config.metrics.port));
    expect(new URL(own).origin).not.toBe(origin(prodOwnPort));
    const res = await fetch(own);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("graphql_yoga_http_duration");
    // The own listener serves metrics and nothing else.
    expect((await fetch(own.replace(/\/metrics$/, "/graphql"))).status).toBe(404);
  });

  it("with neither configured: production does not serve it", async () => {
    const bare = await startApi({ NODE_ENV: "production", ...productionSecrets() }, { database: prod.database });
    try {
      expect((await fetch(`${origin(bare)}/metrics`)).status).toBe(404);
    } finally {
      await bare.close();
    }
    // The control: development serves it openly.
    expect((await fetch(`${origin(dev)}/metrics`)).status).toBe(200);
  }, 60_000);
});

describe("CORS only for configured origins", () => {
  const preflight = (from: string) =>
    fetch(prod.url, {
      method: "OPTIONS",
      headers: {
        origin: from,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
  const post = (from: string) =>
    fetch(prod.url, {
      method: "POST",
      headers: { origin: from, "content-type": "application/json", authorization: `Bearer ${memberToken}` },
      body: JSON.stringify({ query: "{ viewer { user { email } } }" }),
    });

  it.each(["https://evil.test", "null", "https://app.callsync.test.evil.test", "http://app.callsync.test"])(
    "an unconfigured origin (%s) gets no CORS headers, on the preflight or the request",
    async (from) => {
      for (const res of [await preflight(from), await post(from)]) {
        expect(res.headers.get("access-control-allow-origin")).toBeNull();
        expect(res.headers.get("access-control-allow-credentials")).toBeNull();
      }
    },
  );

  it.each([APP_ORIGIN, "https://admin.callsync.test"])(
    "a configured origin (%s) gets its own, with credentials",
    async (from) => {
      for (const res of [await preflight(from), await post(from)]) {
        expect(res.headers.get("access-control-allow-origin")).toBe(from);
        expect(res.headers.get("access-control-allow-credentials")).toBe("true");
      }
      expect((await preflight(from)).headers.get("access-control-allow-headers")).toMatch(/authorization/);
    },
  );

  it("SSE answers follow the same rule", async () => {
    for (const [from, allowed] of [
      ["https://evil.test", null],
      [APP_ORIGIN, APP_ORIGIN],
    ] as const) {
      const controller = new AbortController();
      const res = await fetch(prod.url, {
        method: "POST",
        headers: { origin: from, "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ query: "{ __typename }" }),
        signal: controller.signal,
      });
      expect(res.headers.get("access-control-allow-origin")).toBe(allowed);
      controller.abort();
    }
  });
});

function expectSecurityHeaders(res: Response, what: string) {
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp, `${what}: CSP`).toMatch(/frame-ancestors 'none'/);
  expect(csp, `${what}: CSP`).toMatch(/default-src '(none|self)'/);
  expect(res.headers.get("x-content-type-options"), `${what}: nosniff`).toBe("nosniff");
  expect(res.headers.get("referrer-policy"), `${what}: Referrer-Policy`).toBe("no-referrer");
}

describe("security headers on every answer", () => {
  it("production: GraphQL (JSON, errors, SSE), health, readiness, metrics, OAuth pages, unknown paths", async () => {
    const base = origin(prod);
    const answers: [string, Promise<Response>][] = [
      [
        "POST /graphql",
        fetch(prod.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"query":"{ __typename }"}',
        }),
      ],
      [
        "POST /graphql (bad request)",
        fetch(prod.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{" }),
      ],
      ["GET /graphql (a browser; no GraphiQL in production)", fetch(prod.url, { headers: { accept: "text/html" } })],
      ["OPTIONS /graphql", fetch(prod.url, { method: "OPTIONS", headers: { origin: "https://evil.test" } })],
      ["GET /health", fetch(`${base}/health`)],
      ["GET /ready", fetch(`${base}/ready`)],
      ["GET /metrics (no token)", fetch(`${base}/metrics`)],
      ["GET /oauth/start/gong", fetch(`${base}/oauth/start/gong?state=nope`, { redirect: "manual" })],
      ["GET /oauth/callback/gong", fetch(`${base}/oauth/callback/gong?state=nope&code=x`, { redirect: "manual" })],
      ["GET /nowhere", fetch(`${base}/nowhere`)],
      ["GET /app/ (not served in production)", fetch(`${base}/app/`)],
      ["own metrics listener", fetch(prodOwnPort.runtime.app!.metricsUrl())],
    ];
    for (const [what, answer] of answers) {
      const res = await answer;
      expectSecurityHeaders(res, what);
      if (!res.headers.get("content-type")?.includes("text/html"))
        expect(res.headers.get("content-security-policy"), what).toMatch(/^default-src 'none'/);
      await res.body?.cancel();
    }
    const sse = new AbortController();
    const stream = await fetch(prod.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: '{"query":"{ __typename }"}',
      signal: sse.signal,
    });
    expectSecurityHeaders(stream, "SSE");
    sse.abort();
    // GraphiQL is not offered in production.
    const browser = await fetch(prod.url, { headers: { accept: "text/html" } });
    expect(await browser.text()).not.toMatch(/graphiql/i);
  });

  it("development: the example app and GraphiQL have page policies that allow exactly their own scripts", async () => {
    const app = await fetch(`${origin(dev)}/app/`);
    expect(app.status).toBe(200);
    expectSecurityHeaders(app, "/app/");
    const appCsp = app.headers.get("content-security-policy")!;
    expect(appCsp).toMatch(/default-src 'self'/);
    expect(appCsp).not.toMatch(/unsafe-inline|unsafe-eval/);
    // The page loads its script as a file, not inline (so 'self' suffices).
    expect(await app.text()).not.toMatch(/<script>(?!<\/script>)/);

    const graphiql = await fetch(dev.url, { headers: { accept: "text/html" } });
    expect(graphiql.status).toBe(200);
    expectSecurityHeaders(graphiql, "GraphiQL");
    const csp = graphiql.headers.get("content-security-policy")!;
    const scriptSrc = /script-src ([^;]+)/.exec(csp)![1]!;
    expect(scriptSrc).not.toMatch(/unsafe-inline|unsafe-eval/);
    // Each inline script of the page is allowed by its hash, and nothing else inline is.
    const inline = [...(await graphiql.text()).matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(inline.length).toBeGreaterThan(0);
    for (const body of inline)
      expect(scriptSrc).toContain(`'sha256-${createHash("sha256").update(body).digest("base64")}'`);
    expect(scriptSrc.match(/'sha256-/g)).toHaveLength(inline.length);
  });
});
