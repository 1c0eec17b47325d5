import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/providers/errors.js";
import { createGongClient } from "../../../src/providers/gong/client.js";
import { Pacer } from "../../../src/providers/pacer.js";
import { type Harness, harness, isToken, MemorySession } from "./support.js";

let h: Harness;
afterEach(() => h?.close());

const failure = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
};

describe("Gong: credentials during a sync", () => {
  it("sends the bearer token to api_base_url_for_customer, not to the generic API host", async () => {
    h = await harness();
    const client = h.newClient({ baseUrl: "http://127.0.0.1:9" }); // unused: credentials carry the base
    await client.listUsers();
    expect(h.sim.log.find((r) => r.path === "/v2/users")[0]?.headers.authorization).toBe(
      `Bearer ${h.session.credentials.kind === "oauth" ? h.session.credentials.accessToken : ""}`,
    );
  });

  it("an expired access token is refreshed once, transparently, and the rotated pair is kept", async () => {
    h = await harness();
    const before = h.session.credentials;
    h.sim.oauth.expireAccessTokens();
    const users = (await h.client.listUsers()).users;
    expect(users.length).toBeGreaterThan(0);
    expect(h.session.refreshes).toBe(1);
    expect(h.session.credentials).not.toEqual(before);
    expect(h.sim.log.entries.map((r) => [r.path, r.status])).toEqual([
      ["/v2/users", 401],
      ["/oauth2/generate-customer-token", 200],
      ["/v2/users", 200],
    ]);
  });

  it("an access token about to expire is refreshed before use, without a 401 round trip", async () => {
    h = await harness();
    if (h.session.credentials.kind !== "oauth") throw new Error("oauth expected");
    h.session.credentials = { ...h.session.credentials, expiresAt: Date.now() + 5_000 };
    await h.client.listUsers();
    expect(h.session.refreshes).toBe(1);
    expect(h.sim.log.entries.map((r) => [r.path, r.status])).toEqual([
      ["/oauth2/generate-customer-token", 200],
      ["/v2/users", 200],
    ]);
  });

  it("revoked credentials → AUTH_FAILED (RECONNECT_NEEDED)", async () => {
    h = await harness();
    h.sim.oauth.revokeAll();
    const e = await failure(h.client.listUsers());
    expect(e.code).toBe("AUTH_FAILED");
    expect(e.kind).toBe("RECONNECT_NEEDED");
    expect(h.sim.log.count(isToken)).toBeGreaterThanOrEqual(1);
  });

  it("a 401 naming a permission is MISSING_SCOPE after exactly one refresh", async () => {
    h = await harness({ scope: "api:users:read api:calls:read:extensive api:workspaces:read" });
    const user = (await h.client.listUsers()).users[0]!;
    h.sim.log.clear();
    const e = await failure(h.client.listCallsPage(user, { fromMs: 0, toMs: Date.now() }, null));
    expect(e.code).toBe("MISSING_SCOPE");
    expect(e.kind).toBe("RECONNECT_NEEDED");
    expect(e.message).toContain("api:calls:read:transcript");
    expect(h.session.refreshes).toBe(1);
    expect(h.sim.log.entries.map((r) => [r.path, r.status])).toEqual([
      ["/v2/calls/extensive", 200],
      ["/v2/calls/transcript", 401],
      ["/oauth2/generate-customer-token", 200],
      ["/v2/calls/transcript", 401],
    ]);
  });

  it("works with a technical admin's access key (Basic) against the base URL option", async () => {
    h = await harness();
    h.sim.accessKeys.set("AK1", "secret1");
    const client = createGongClient({
      session: new MemorySession(null, { kind: "apiKey", apiKey: "AK1", apiSecret: "secret1" }),
      pacer: new Pacer("gong-test-basic", [{ points: 100, duration: 1 }]),
      paceKey: "basic",
      baseUrl: h.sim.url,
    });
    expect((await client.listUsers()).users.length).toBe(4);
    expect(h.sim.log.entries.at(-1)?.headers.authorization).toMatch(/^Basic /);
  });

  it("a wrong access key → INVALID_API_CREDENTIALS", async () => {
    h = await harness();
    const client = createGongClient({
      session: new MemorySession(null, { kind: "apiKey", apiKey: "AK1", apiSecret: "nope" }),
      pacer: new Pacer("gong-test-basic2", [{ points: 100, duration: 1 }]),
      paceKey: "basic",
      baseUrl: h.sim.url,
    });
    expect((await failure(client.listUsers())).code).toBe("INVALID_API_CREDENTIALS");
  });
});
