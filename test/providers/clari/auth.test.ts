import { describe, expect, it } from "vitest";
import { verifyClariCredentials } from "../../../src/providers/clari/index.js";
import { ProviderError } from "../../../src/providers/errors.js";
import { adaUser, call, clientFor, dataset, HOUR, simulator } from "./support.js";

const window = () => ({ fromMs: Date.now() - 10 * 24 * HOUR, toMs: Date.now() });

describe("Clari Copilot authentication: API key and secret headers", () => {
  it("sends X-Api-Key and X-Api-Password on every request and never an Authorization header", async () => {
    const sim = await simulator({ dataset: dataset([call({ startMs: Date.now() - 48 * HOUR })]) });
    const client = clientFor(sim);
    await client.listUsers();
    await client.listCallsPage(adaUser, window(), null);
    expect(sim.log.count()).toBeGreaterThanOrEqual(3);
    for (const r of sim.log.entries) {
      expect(r.headers["x-api-key"]).toBe(sim.apiKeys.default.apiKey);
      expect(r.headers["x-api-password"]).toBe(sim.apiKeys.default.apiSecret);
      expect(r.headers.authorization).toBeUndefined();
    }
  });

  it("verifies a good key pair with one GET /users and names the workspace by its users' email domain", async () => {
    const sim = await simulator({ dataset: dataset([]) });
    const account = await verifyClariCredentials({ ...sim.apiKeys.default, baseUrl: sim.url });
    expect(account.name).toBe("acme.test");
    expect(account.accountId).toMatch(/^clari:[0-9a-f]{16}$/);
    expect(account.accountId).not.toContain(sim.apiKeys.default.apiKey);
    expect(account.authorizedBy).toBeNull();
    expect(sim.log.entries.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /users"]);
  });

  it("gives the same account id for the same key, so reconnecting finds the same workspace", async () => {
    const sim = await simulator();
    const a = await verifyClariCredentials({ ...sim.apiKeys.default, baseUrl: sim.url });
    const b = await clientFor(sim).verify();
    expect(b.accountId).toBe(a.accountId);
  });

  for (const status of [401, 403] as const) {
    it(`a wrong secret answered with ${status} is INVALID_API_CREDENTIALS on connect`, async () => {
      const sim = await simulator({ settings: { authFailureStatus: status } });
      const error = await verifyClariCredentials({
        apiKey: sim.apiKeys.default.apiKey,
        apiSecret: "wrong",
        baseUrl: sim.url,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ code: "INVALID_API_CREDENTIALS", kind: "RECONNECT_NEEDED" });
      expect(sim.log.entries.map((r) => r.status)).toEqual([status]);
    });
  }

  it("an empty key or secret is refused without asking Clari", async () => {
    const sim = await simulator();
    await expect(verifyClariCredentials({ apiKey: " ", apiSecret: "x", baseUrl: sim.url })).rejects.toMatchObject({
      code: "INVALID_API_CREDENTIALS",
    });
    expect(sim.log.count()).toBe(0);
  });

  it("a provider outage during connect is PROVIDER_UNAVAILABLE (transient), not bad credentials", async () => {
    const sim = await simulator();
    sim.behaviours.failNext(5, 503);
    await expect(verifyClariCredentials({ ...sim.apiKeys.default, baseUrl: sim.url })).rejects.toMatchObject({
      code: "PROVIDER_UNAVAILABLE",
      kind: "TRANSIENT",
    });
  });

  it("a provider that does not answer during connect is PROVIDER_TIMEOUT (transient)", async () => {
    const sim = await simulator();
    sim.behaviours.hangNext = 2;
    await expect(
      verifyClariCredentials({ ...sim.apiKeys.default, baseUrl: sim.url, timeoutMs: 100 }),
    ).rejects.toMatchObject({ code: "PROVIDER_TIMEOUT", kind: "TRANSIENT" });
  });

  for (const status of [401, 403] as const) {
    it(`a key revoked after connecting (${status}) is AUTH_FAILED: reconnect needed, no retry storm`, async () => {
      const sim = await simulator({
        dataset: dataset([call({ startMs: Date.now() - 48 * HOUR })]),
        settings: { authFailureStatus: status },
      });
      const client = clientFor(sim);
      await client.listUsers();
      sim.apiKeys.revoke();
      sim.log.clear();
      const error = await client.listCallsPage(adaUser, window(), null).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "AUTH_FAILED", kind: "RECONNECT_NEEDED" });
      expect(sim.log.count()).toBe(1);
    });
  }

  it("verify() on saved credentials that Clari refuses says the key or secret is invalid", async () => {
    const sim = await simulator();
    sim.apiKeys.revoke();
    await expect(clientFor(sim).verify()).rejects.toMatchObject({ code: "INVALID_API_CREDENTIALS" });
  });

  it("OAuth credentials handed to the Clari client are refused as invalid API credentials", async () => {
    const sim = await simulator();
    const client = clientFor(sim, {
      credentials: {
        kind: "oauth",
        accessToken: "x",
        refreshToken: null,
        expiresAt: null,
        apiBaseUrl: null,
        scope: null,
      },
    });
    await expect(client.listUsers()).rejects.toMatchObject({ code: "INVALID_API_CREDENTIALS" });
    expect(sim.log.count()).toBe(0);
  });

  it("reads the credentials from the session on each request, so a reconnect with a new key takes effect", async () => {
    const sim = await simulator({ dataset: dataset([]) });
    sim.apiKeys.add("new-key", "new-secret");
    let credentials = { kind: "apiKey" as const, ...sim.apiKeys.default };
    const session = { current: async () => credentials, refresh: async () => credentials };
    const client = clientFor(sim, { session });
    await client.listUsers();
    sim.apiKeys.revoke();
    credentials = { kind: "apiKey", apiKey: "new-key", apiSecret: "new-secret" };
    expect((await client.listUsers()).users).toHaveLength(2);
    expect(sim.log.entries.at(-1)?.headers["x-api-key"]).toBe("new-key");
  });
});
