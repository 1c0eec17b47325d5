/**
 * Rule 6: production refuses known and weak secrets, naming the variable; bearer tokens must
 * expire, within a maximum lifetime, and their `sub`/`wid` are checked before any query.
 */
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { AuthViewerDocument } from "../generated/graphql.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";
import { spawnCallsync } from "../support/processes.js";
import { productionSecrets } from "../support/security.js";
import { subscribe } from "../support/ws.js";

const DEV_JWT_SECRET = "callsync-development-secret-do-not-use-in-production";
const DEV_CREDENTIALS_KEYS = "dev:Y2FsbHN5bmMtZGV2ZWxvcG1lbnQta2V5LTMyLWJ5dGU=";
const b64 = (bytes: Buffer) => bytes.toString("base64");

const production = (overrides: Record<string, string | undefined>) => () =>
  loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgresql://x/y", ...productionSecrets(), ...overrides });

describe("production refuses known and weak secrets, naming the variable", () => {
  it.each([
    [
      "the repository's development JWT_SECRET",
      { JWT_SECRET: DEV_JWT_SECRET },
      /JWT_SECRET is the repository's development value/,
    ],
    [
      "the repository's development CREDENTIALS_KEYS",
      { CREDENTIALS_KEYS: DEV_CREDENTIALS_KEYS },
      /CREDENTIALS_KEYS .*development value/,
    ],
    [
      "the development key under another key id",
      { CREDENTIALS_KEYS: DEV_CREDENTIALS_KEYS.replace("dev:", "prod:") },
      /CREDENTIALS_KEYS .*development value/,
    ],
    ["a JWT_SECRET of 32 × 'a'", { JWT_SECRET: "a".repeat(32) }, /JWT_SECRET is too weak/],
    ["a JWT_SECRET that repeats a pattern", { JWT_SECRET: "s3cr3t!".repeat(8) }, /JWT_SECRET is too weak/],
    ["a low-entropy JWT_SECRET", { JWT_SECRET: "aaaaaaaabbbbbbbbaaaaaaaabbbbbbbbaaaaaaab" }, /JWT_SECRET is too weak/],
    [
      "an all-zero credentials key",
      { CREDENTIALS_KEYS: `k1:${b64(Buffer.alloc(32))}` },
      /CREDENTIALS_KEYS \(key "k1"\) is too weak/,
    ],
    [
      "a credentials key of 32 × 'a'",
      { CREDENTIALS_KEYS: `k1:${b64(Buffer.from("a".repeat(32)))}` },
      /CREDENTIALS_KEYS \(key "k1"\) is too weak/,
    ],
    [
      "a weak older credentials key",
      { CREDENTIALS_KEYS: `${productionSecrets().CREDENTIALS_KEYS},old:${b64(Buffer.alloc(32))}` },
      /CREDENTIALS_KEYS \(key "old"\) is too weak/,
    ],
    ["an all-zero PURGE_AUDIT_KEY", { PURGE_AUDIT_KEY: b64(Buffer.alloc(32)) }, /PURGE_AUDIT_KEY is too weak/],
    ["no PURGE_AUDIT_KEY", { PURGE_AUDIT_KEY: undefined }, /PURGE_AUDIT_KEY is required in production/],
    ["no JWT_SECRET", { JWT_SECRET: undefined }, /JWT_SECRET is required in production/],
  ])("refuses %s", (_name, overrides, message) => {
    expect(production(overrides)).toThrow(message);
  });

  it("accepts generated secrets", () => {
    expect(production({})).not.toThrow();
  });

  it("a production server with the development JWT_SECRET does not start, and says why", async () => {
    const proc = spawnCallsync(
      "serve",
      {
        NODE_ENV: "production",
        DATABASE_URL: "postgresql://127.0.0.1:1/none",
        ...productionSecrets(),
        JWT_SECRET: DEV_JWT_SECRET,
      },
      "prod-dev-secret",
    );
    const exit = await proc.exited;
    expect(exit.code).not.toBe(0);
    expect(proc.output()).toMatch(/JWT_SECRET is the repository's development value/);
  }, 60_000);
});

describe("tokens expire, within a maximum lifetime, and name ids of the right shape", () => {
  let api: TestApi;
  let fixture: Awaited<ReturnType<typeof createWorkspace>>;
  const MAX_LIFETIME = 3600;

  beforeAll(async () => {
    api = await startApi({ JWT_MAX_LIFETIME_SECONDS: String(MAX_LIFETIME) });
    fixture = await createWorkspace(api.prisma, "Token Co");
  });
  afterAll(() => api.close());

  const sign = (claims: Record<string, unknown>, build: (jwt: SignJWT) => SignJWT = (j) => j) => {
    const { secret, issuer, audience } = api.runtime.config.jwt;
    const base = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer(issuer).setAudience(audience);
    return build(base).sign(new TextEncoder().encode(secret));
  };
  const viewer = (token: string) => api.gql(AuthViewerDocument, {}, token);
  const now = () => Math.floor(Date.now() / 1000);

  it("accepts a well-formed token within the lifetime", async () => {
    const token = await sign({ sub: fixture.admin.id, wid: fixture.workspace.id }, (j) =>
      j.setIssuedAt().setExpirationTime(now() + MAX_LIFETIME),
    );
    expect((await viewer(token)).errors).toBeUndefined();
  });

  it("refuses a token without exp", async () => {
    const token = await sign({ sub: fixture.admin.id, wid: fixture.workspace.id }, (j) => j.setIssuedAt());
    expect(errorCodes(await viewer(token))).toEqual(["UNAUTHENTICATED"]);
  });

  it("refuses a token that lives longer than the maximum", async () => {
    const token = await sign({ sub: fixture.admin.id, wid: fixture.workspace.id }, (j) =>
      j.setIssuedAt().setExpirationTime(now() + MAX_LIFETIME + 120),
    );
    expect(errorCodes(await viewer(token))).toEqual(["UNAUTHENTICATED"]);
    const noIat = await sign({ sub: fixture.admin.id, wid: fixture.workspace.id }, (j) =>
      j.setExpirationTime(now() + 30 * 86_400),
    );
    expect(errorCodes(await viewer(noIat))).toEqual(["UNAUTHENTICATED"]);
  });

  it("counts the lifetime from iat: an old token given a fresh exp is refused", async () => {
    const token = await sign({ sub: fixture.admin.id, wid: fixture.workspace.id }, (j) =>
      j.setIssuedAt(now() - 10 * MAX_LIFETIME).setExpirationTime(now() + MAX_LIFETIME),
    );
    expect(errorCodes(await viewer(token))).toEqual(["UNAUTHENTICATED"]);
  });

  it.each([
    ["a sub that is not an id", { sub: "' OR 1=1 --" }],
    ["a wid that is not an id", { wid: "x".repeat(10_000) }],
    ["a numeric wid", { wid: 42 }],
    ["no wid", { wid: undefined }],
  ])("refuses %s before it reaches the database", async (_name, override) => {
    const token = await sign({ sub: fixture.admin.id, wid: fixture.workspace.id, ...override }, (j) =>
      j.setIssuedAt().setExpirationTime("10m"),
    );
    api.resetQueries();
    expect(errorCodes(await viewer(token))).toEqual(["UNAUTHENTICATED"]);
    expect(api.queries.filter((sql) => /"User"/.test(sql))).toEqual([]);
  });

  it("refuses the same tokens over graphql-ws", async () => {
    const token = await sign({ sub: fixture.admin.id, wid: fixture.workspace.id }, (j) => j.setIssuedAt());
    const sub = subscribe(api.url, token, AuthViewerDocument, {});
    await expect.poll(() => sub.errors.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(JSON.stringify(sub.errors)).toContain("UNAUTHENTICATED");
    expect(sub.events).toEqual([]);
    await sub.close();
  });
});
