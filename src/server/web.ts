/**
 * The example client page (web/): GET / (redirects to /app/), /app/ (index.html), /app/app.js (web/app.ts bundled for
 * the browser by esbuild, once, when the route is created) and /app/app.css. The page's typed
 * operations come from web/generated (codegen); they are regenerated first when missing or
 * older than the operations or the schema, so `npm start` works on a fresh checkout.
 */
import { readdir, readFile, stat, utimes } from "node:fs/promises";
import { fromRoot } from "../paths.js";
import type { Route } from "./app.js";

const root = fromRoot;

const HEADERS = {
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  // The token may arrive in the query string (?token=); the page removes it at once, and no
  // page ever sends it onward in a Referer.
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
};

async function mtime(path: string): Promise<number> {
  return (await stat(path).catch(() => null))?.mtimeMs ?? 0;
}

/** Runs codegen when web/generated/graphql.ts is missing or stale. */
async function ensureGenerated(): Promise<void> {
  const generated = await mtime(root("web/generated/graphql.ts"));
  const sources = [root("schema/schema.graphql")];
  for (const file of await readdir(root("web/operations"))) sources.push(root(`web/operations/${file}`));
  const newest = Math.max(...(await Promise.all(sources.map(mtime))));
  if (generated >= newest) return;
  const { generate } = await import("@graphql-codegen/cli");
  const { default: config } = await import("../../codegen.js");
  const web = config.generates["web/generated/"]!;
  if (Array.isArray(web) || typeof web !== "object") throw new Error("codegen.ts: no web/generated/ entry");
  await generate(
    {
      ...config,
      schema: root("schema/schema.graphql"),
      generates: { [root("web/generated/")]: { ...web, documents: [root("web/operations/**/*.graphql")] } },
      silent: true,
    },
    true,
  );
  // codegen leaves unchanged files alone; mark them current so the next start skips this.
  const now = new Date();
  await utimes(root("web/generated/graphql.ts"), now, now);
}

async function bundle(): Promise<string> {
  await ensureGenerated();
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [root("web/app.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: "inline",
    legalComments: "none",
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

export async function webRoute(): Promise<Route> {
  const [html, css, js] = await Promise.all([
    readFile(root("web/index.html"), "utf8"),
    readFile(root("web/app.css"), "utf8"),
    bundle(),
  ]);
  const files = new Map<string, { type: string; body: string }>([
    ["/app/", { type: "text/html; charset=utf-8", body: html }],
    ["/app/index.html", { type: "text/html; charset=utf-8", body: html }],
    ["/app/app.js", { type: "text/javascript; charset=utf-8", body: js }],
    ["/app/app.css", { type: "text/css; charset=utf-8", body: css }],
  ]);
  return (req, res) => {
    if (!req.url || (req.method !== "GET" && req.method !== "HEAD")) return false;
    const url = new URL(req.url, "http://localhost");
    if (url.pathname === "/app") {
      res.writeHead(301, { location: `/app/${url.search}` }).end();
      return true;
    }
    // The server's root leads to the app (this route is mounted in development only); 302, so
    // no browser remembers it for a deployment where / is something else.
    if (url.pathname === "/") {
      res.writeHead(302, { location: `/app/${url.search}` }).end();
      return true;
    }
    const file = files.get(url.pathname);
    if (!file) return false;
    res.writeHead(200, { ...HEADERS, "content-type": file.type });
    res.end(req.method === "HEAD" ? undefined : file.body);
    return true;
  };
}
