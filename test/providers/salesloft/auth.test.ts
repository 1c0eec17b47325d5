import { afterEach, describe, expect, it } from "vitest";
import { Pacer } from "../../../src/providers/pacer.js";
import { createSalesloftClient } from "../../../src/providers/salesloft/client.js";
import type { CredentialSession } from "../../../src/providers/types.js";
import { type Harness, harness, requests } from "./helpers.js";

let h: Harness;
afterEach(async () => h?.close());

describe("Salesloft client authentication", () => {
  it("sends the access token as a Bearer header", async () => {
    h = await harness();
    await h.client.verify();
    const me = h.sim.log.find((r) => r.path === "/v2/me")[0];
    expect(me?.headers.authorization).toBe(`Bearer ${h.session.credentials.accessToken}`);
  });

  it("an expired access token is refreshed once, transparently, and the rotated pair is kept", async () => {
    h = await harness();
    const before = h.session.credentials;
    h.sim.oauth.expireAccessTokens();
    expect((await h.client.listUsers()).users).toHaveLength(h.sim.dataset.users.length);
    expect(h.session.refreshes).toBe(1);
    expect(h.session.credentials.refreshToken).not.toBe(before.refreshToken);
    expect(h.sim.log.count((r) => r.path === "/v2/users" && r.status === 401)).toBe(1);
    expect(requests(h.sim, "/oauth/token")).toBe(1);
  });

  it("revoked credentials end in RECONNECT_NEEDED (the refresh is invalid_grant)", async () => {
    h = await harness();
    h.sim.oauth.revokeAll();
    await expect(h.client.verify()).rejects.toMatchObject({ code: "AUTH_FAILED", kind: "RECONNECT_NEEDED" });
    expect(h.session.refreshes).toBe(0);
  });

  it("a missing scope (403) is RECONNECT_NEEDED without a refresh attempt", async () => {
    h = await harness();
    h.sim.behaviours.failNext(1, 403);
    await expect(h.client.listUsers()).rejects.toMatchObject({ code: "MISSING_SCOPE", kind: "RECONNECT_NEEDED" });
    expect(requests(h.sim, "/oauth/token")).toBe(0);
  });

  it("a user-generated API key works as the Bearer token too", async () => {
    h = await harness();
    h.sim.apiKeys.add("key-123");
    const session: CredentialSession = {
      current: async () => ({ kind: "apiKey", apiKey: "key-123", apiSecret: "" }),
      refresh: async () => {
        throw new Error("API keys do not refresh");
      },
    };
    const client = createSalesloftClient({
      session,
      pacer: new Pacer("salesloft-key", [{ points: 100, duration: 1 }]),
      paceKey: "team",
      apiBaseUrl: h.sim.url,
    });
    await expect(client.verify()).resolves.toMatchObject({ accountId: String(h.sim.dataset.team.id) });
  });

  it("a bad API key is RECONNECT_NEEDED", async () => {
    h = await harness();
    const client = createSalesloftClient({
      session: {
        current: async () => ({ kind: "apiKey", apiKey: "nope", apiSecret: "" }),
        refresh: async (c) => c,
      },
      pacer: new Pacer("salesloft-key", [{ points: 100, duration: 1 }]),
      paceKey: "team",
      apiBaseUrl: h.sim.url,
    });
    await expect(client.verify()).rejects.toMatchObject({ kind: "RECONNECT_NEEDED" });
  });
});
