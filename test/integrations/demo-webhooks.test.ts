/**
 * Webhooks in `npm start` (src/demo/webhooks.ts): the demo registers every webhook endpoint an
 * admin enables with its simulator, and a new Gong call appears now and then; the simulator
 * announces it and the call is stored without any sync run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoSimulators, startDemoSimulators } from "../../src/demo/simulators.js";
import { wireDemoWebhooks } from "../../src/demo/webhooks.js";
import { seedDemo } from "../../src/seed/demo.js";
import { WebhooksEnableDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { freePort } from "../support/net.js";
import { connectGong, gql } from "../support/processes.js";

let sims: DemoSimulators;
let api: TestApi;
let token: string;
let stop: () => void = () => {};

beforeAll(async () => {
  sims = await startDemoSimulators({ ports: { gong: 0, salesloft: 0, clari: 0 } });
  sims.gong.oauth.consentPage = false;
  const port = await freePort();
  api = await startApi(
    { ...sims.env, PUBLIC_URL: `http://127.0.0.1:${port}`, WORKER_IN_PROCESS: "true", JOB_PROCESS_EVERY_MS: "200" },
    { port },
  );
  const demo = await seedDemo(api.prisma, { scenario: sims.scenario });
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
}, 60_000);

afterAll(async () => {
  stop();
  if (api) await api.settleJobs();
  await api?.close();
  await sims?.close();
});

describe("webhooks in npm start", () => {
  it("a new simulated Gong call reaches an enabled endpoint and is stored without a sync", async () => {
    const { integrationId } = await connectGong(api.url, token);
    const enabled = await gql(api.url, WebhooksEnableDocument, { integrationId }, token);
    expect(enabled.errors).toBeUndefined();
    stop = wireDemoWebhooks(api.runtime, sims, { pollMs: 100, newCallEveryMs: 300 });
    let stored = 0;
    for (let i = 0; i < 200 && stored === 0; i++) {
      stored = await api.prisma.call.count({ where: { title: { startsWith: "New demo call" } } });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stored).toBeGreaterThan(0);
    expect(sims.gong.webhooks.deliveries.some((d) => d.status === 202)).toBe(true);
    expect(await api.prisma.syncRun.count()).toBe(0);
  }, 60_000);
});
