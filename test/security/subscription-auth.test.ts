/**
 * Rule 7 — long-lived subscriptions keep being authorized. A graphql-ws or SSE subscription ends
 * within seconds of its token expiring, its user being removed, or losing access (role or
 * workspace change): graphql-ws closes the socket with 4401 / 4403, SSE sends an UNAUTHENTICATED
 * error and completes. The re-check is one statement per interval for all subscribers.
 */
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { mintToken } from "../../src/auth/tokens.js";
import { startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";

const RECHECK_MS = 500;
/** "Within seconds": the re-check interval plus scheduling slack on a loaded machine. */
const WITHIN_MS = 5_000;

let api: TestApi;
let workspaceId: string;
let otherWorkspaceId: string;
let integrationId: string;
let n = 0;

const QUERY = `subscription($id: ID!) { integrationEvents(integrationId: $id) { type } }`;
const gid = () => Buffer.from(`Integration:${integrationId}`).toString("base64");

beforeAll(async () => {
  api = await startApi({ SUBSCRIPTION_RECHECK_MS: String(RECHECK_MS) });
  const ws = await createWorkspace(api.prisma, "Live Co");
  workspaceId = ws.workspace.id;
  otherWorkspaceId = (await createWorkspace(api.prisma, "Elsewhere Co")).workspace.id;
  integrationId = (
    await api.prisma.integration.create({
      data: { workspaceId, provider: "GONG", status: "CONNECTED", wizardStep: "COMPLETE" },
    })
  ).id;
}, 60_000);
afterAll(() => api.close());

/** A user of its own (so removing or moving it touches no other test) and a token for it. */
async function freshUser(role: "ADMIN" | "MEMBER" = "MEMBER", expiresIn: string | number = "1h") {
  const user = await api.prisma.user.create({
    data: { workspaceId, email: `live${++n}@liveco.test`, name: `Live ${n}`, role },
  });
  const token = await mintToken(api.runtime.config.jwt, { userId: user.id, workspaceId }, expiresIn);
  return { user, token };
}

function publish() {
  api.runtime.services.pubsub.publish("integration", integrationId, {
    type: "STATUS_CHANGED",
    integrationId,
    at: Date.now(),
  });
}

/** A graphql-ws subscription that records its events and how its socket closed. */
function wsSubscription(token: string) {
  const state = { events: 0, closeCode: null as number | null, closedAt: 0, acked: false };
  const client = createClient({
    url: api.url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    on: {
      connected: () => {
        state.acked = true;
      },
      closed: (event) => {
        state.closeCode = (event as { code: number }).code;
        state.closedAt = Date.now();
      },
    },
  });
  client.subscribe(
    { query: QUERY, variables: { id: gid() } },
    { next: (r) => void (r.data && state.events++), error: () => {}, complete: () => {} },
  );
  return { state, dispose: () => client.dispose() };
}

/** An SSE subscription: its raw event text, and whether the stream completed. */
async function sseSubscription(token: string) {
  const controller = new AbortController();
  const res = await fetch(api.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY, variables: { id: gid() } }),
    signal: controller.signal,
  });
  const state = { text: "", ended: false, endedAt: 0 };
  const reader = res.body!.getReader();
  const done = (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        state.text += new TextDecoder().decode(chunk.value);
      }
    } catch {
      // aborted
    }
    state.ended = true;
    state.endedAt = Date.now();
  })();
  return { state, done, stop: () => controller.abort() };
}

async function until(predicate: () => boolean, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Delivery works while access holds (the guard is not what ends the stream). */
async function deliversOnce(events: () => number) {
  // Published until one arrives: the subscription may still be setting up.
  const end = Date.now() + WITHIN_MS;
  while (events() === 0) {
    if (Date.now() > end) throw new Error("no event delivered");
    publish();
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("graphql-ws: the socket closes with a documented code", () => {
  it("4401 within seconds of the token's expiry", async () => {
    const { token } = await freshUser("MEMBER", "3s");
    const sub = wsSubscription(token);
    try {
      await deliversOnce(() => sub.state.events);
      await until(() => sub.state.closeCode !== null, 3_000 + WITHIN_MS);
      expect(sub.state.closeCode).toBe(4401);
    } finally {
      await sub.dispose();
    }
  });

  it.each([
    ["the user is removed", 4401, (id: string) => api.prisma.user.delete({ where: { id } })],
    [
      "the user's role changes",
      4403,
      (id: string) => api.prisma.user.update({ where: { id }, data: { role: "ADMIN" } }),
    ],
    [
      "the user moves to another workspace",
      4403,
      (id: string) => api.prisma.user.update({ where: { id }, data: { workspaceId: otherWorkspaceId } }),
    ],
  ])("%s → %i within seconds", async (_name, code, change) => {
    const { user, token } = await freshUser();
    const sub = wsSubscription(token);
    try {
      await deliversOnce(() => sub.state.events);
      const changedAt = Date.now();
      await change(user.id);
      await until(() => sub.state.closeCode !== null, WITHIN_MS);
      expect(sub.state.closeCode).toBe(code);
      expect(sub.state.closedAt - changedAt).toBeLessThan(WITHIN_MS);
      // Nothing is delivered after access lapsed.
      const seen = sub.state.events;
      publish();
      await new Promise((r) => setTimeout(r, 300));
      expect(sub.state.events).toBe(seen);
    } finally {
      await sub.dispose();
    }
  });
});

describe("SSE: the stream sends UNAUTHENTICATED and completes", () => {
  const eventsIn = (text: string) => (text.match(/"type":"STATUS_CHANGED"/g) ?? []).length;

  it("when the token expires", async () => {
    const { token } = await freshUser("MEMBER", "3s");
    const sse = await sseSubscription(token);
    await deliversOnce(() => eventsIn(sse.state.text));
    await until(() => sse.state.ended, 3_000 + WITHIN_MS);
    expect(sse.state.text).toContain('"code":"UNAUTHENTICATED"');
    expect(sse.state.text).toMatch(/event: complete/);
  });

  it("when the user is removed", async () => {
    const { user, token } = await freshUser();
    const sse = await sseSubscription(token);
    await deliversOnce(() => eventsIn(sse.state.text));
    await api.prisma.user.delete({ where: { id: user.id } });
    await until(() => sse.state.ended, WITHIN_MS);
    expect(sse.state.text).toContain('"code":"UNAUTHENTICATED"');
    expect(sse.state.text).toMatch(/event: complete/);
  });

  it("when the user's role changes", async () => {
    const { user, token } = await freshUser("ADMIN");
    const sse = await sseSubscription(token);
    await deliversOnce(() => eventsIn(sse.state.text));
    await api.prisma.user.update({ where: { id: user.id }, data: { role: "MEMBER" } });
    await until(() => sse.state.ended, WITHIN_MS);
    expect(sse.state.text).toContain('"code":"UNAUTHENTICATED"');
  });
});

describe("the re-check is batched", () => {
  it("one statement per interval for many subscribers, none per event", async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => freshUser()));
    const subs = users.map((u) => wsSubscription(u.token));
    try {
      await until(() => subs.every((s) => s.state.acked), WITHIN_MS);
      await new Promise((r) => setTimeout(r, 300));
      api.resetQueries();
      const started = Date.now();
      for (let i = 0; i < 10; i++) publish();
      await until(() => subs.every((s) => s.state.events >= 10), WITHIN_MS);
      await new Promise((r) => setTimeout(r, 4 * RECHECK_MS));
      const elapsed = Date.now() - started;
      const rechecks = api.queries.filter((q) => /FROM "public"\."User"/.test(q) && /IN \(/.test(q));
      expect(rechecks.length).toBeGreaterThan(0);
      expect(rechecks.length).toBeLessThanOrEqual(Math.ceil(elapsed / RECHECK_MS) + 1);
      expect(subs.every((s) => s.state.closeCode === null)).toBe(true);
    } finally {
      await Promise.all(subs.map((s) => s.dispose()));
    }
  });
});
