/**
 * The raw-SQL floor, run as its own process by the bench: a minimal Node HTTP server answering
 * the two hot queries with the same JSON as callsync, the same auth check (the same JWT
 * verification, the viewer looked up in the same statement) and one SQL statement per request.
 * Env: FLOOR_DATABASE_URL, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE; FLOOR_PREPARED=1 sends its two
 * statements as named prepared statements (planned once per connection), as callsync's hot reads
 * do — off by default, the floor as the issue defined it. Prints its port on stdout.
 */
import { createServer } from "node:http";
import pg from "pg";
import { bearer, verifyToken } from "../../src/auth/tokens.js";
import { localId } from "../../src/graphql/ids.js";
import { DEAL_LIST_SQL, DEAL_PAGE_SQL } from "./floor-sql.js";
import { DEAL_LIST, DEAL_PAGE } from "./queries.js";

const env = process.env as Record<string, string>;
const jwt = {
  secret: env.JWT_SECRET,
  issuer: env.JWT_ISSUER ?? "callsync",
  audience: env.JWT_AUDIENCE ?? "callsync-api",
};
const pool = new pg.Pool({ connectionString: env.FLOOR_DATABASE_URL, max: 10 });
const prepared = env.FLOOR_PREPARED === "1";
const statement = (name: string, text: string, values: unknown[]) =>
  prepared ? { name, text, values } : { text, values };

const unauthenticated = JSON.stringify({
  errors: [{ message: "Sign in to continue.", extensions: { code: "UNAUTHENTICATED" } }],
});

async function answer(body: { query?: string; variables?: { id?: string } }, authorization: string | undefined) {
  const token = bearer(authorization);
  const claims = token ? await verifyToken(jwt as never, token) : null;
  if (!claims) return unauthenticated;
  const viewer = [claims.userId, claims.workspaceId];
  if (body.query === DEAL_PAGE) {
    const id = localId(String(body.variables?.id ?? ""), "Deal");
    if (!id) return JSON.stringify({ data: { deal: null } });
    const { rows } = await pool.query(statement("floor_deal_page", DEAL_PAGE_SQL, [...viewer, id]));
    return rows[0].viewer ? JSON.stringify({ data: { deal: rows[0].deal } }) : unauthenticated;
  }
  if (body.query === DEAL_LIST) {
    const { rows } = await pool.query(statement("floor_deal_list", DEAL_LIST_SQL, viewer));
    return rows[0].viewer ? JSON.stringify({ data: { deals: { edges: rows[0].edges } } }) : unauthenticated;
  }
  return JSON.stringify({ errors: [{ message: "The floor only answers the two hot queries." }] });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    answer(JSON.parse(Buffer.concat(chunks).toString()), req.headers.authorization).then(
      (json) => res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(json),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.once("SIGTERM", () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
