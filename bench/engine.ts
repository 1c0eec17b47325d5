/**
 * The sync engine end to end: a Gong backfill of 1,000 calls through the public API (OAuth
 * round trip, startSync) with the simulator enforcing Gong's documented quota, measured as
 * calls/s, provider requests per 100 calls, and the latency of progress events from the
 * worker's write to a graphql-ws subscriber.
 */
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { mintToken } from "../src/auth/tokens.js";
import { loadConfig } from "../src/config.js";
import { openRuntime } from "../src/runtime.js";
import { seedDemo } from "../src/seed/demo.js";
import { generateGongDataset } from "../src/simulators/gong/dataset.js";
import { startGongSimulator } from "../src/simulators/gong/server.js";
import { defaultScenario } from "../src/simulators/scenario.js";
import { authorizeInBrowser } from "../test/support/oauth.js";
import { benchDatabase, freePort, ms, percentile } from "./support.js";

const DAY = 86_400_000;

async function gql(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, never>; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as Record<string, Record<string, unknown>>;
}

export async function benchEngine(): Promise<void> {
  const names = ["Ada", "Max", "Sam", "Lena", "Omar", "Iris", "Raj", "Zoe", "Tom", "Noah"];
  const scenario = defaultScenario({
    users: names.map((firstName) => ({ email: `${firstName.toLowerCase()}@acme.test`, firstName, lastName: "Seller" })),
    callsPerUser: 100,
    fromMs: Date.now() - 120 * DAY,
    toMs: Date.now() - 2 * DAY,
  });
  // Every scenario user but the last has a workspace account; add one more so all ten import.
  scenario.users.push({ email: "nobody@elsewhere.test", firstName: "No", lastName: "Body" });
  const gong = await startGongSimulator({ dataset: generateGongDataset(scenario), quota: true });
  const database = await benchDatabase();
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    LOG_LEVEL: "silent",
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    JOB_PROCESS_EVERY_MS: "200",
    GONG_CLIENT_ID: gong.clientId,
    GONG_CLIENT_SECRET: gong.clientSecret,
    GONG_AUTHORIZE_URL: `${gong.url}/oauth2/authorize`,
    GONG_TOKEN_URL: `${gong.url}/oauth2/generate-customer-token`,
  });
  const runtime = await openRuntime(config, { role: "start", port });
  try {
    const url = runtime.app!.url();
    const demo = await seedDemo(runtime.db.prisma, { scenario });
    const token = await mintToken(config.jwt, { userId: demo.adminId, workspaceId: demo.workspaceId });
    const connect = await gql(
      url,
      token,
      `mutation { connectIntegration(provider: GONG) { authorizationUrl integration { id } } }`,
    );
    const { authorizationUrl, integration } = connect.connectIntegration as {
      authorizationUrl: string;
      integration: { id: string };
    };
    // The browser's round trip: callsync's start route (sets the state cookie), consent, callback.
    const { outcome } = await authorizeInBrowser(authorizationUrl, token);
    if (outcome !== "connected") throw new Error(`Gong authorization: ${outcome}`);
    await gql(url, token, `mutation($id: ID!) { chooseBackfill(integrationId: $id, period: ALL_TIME) { id } }`, {
      id: integration.id,
    });

    const latencies: number[] = [];
    const client = createClient({
      url: url.replace("http", "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    let finish: () => void = () => {};
    const finished = new Promise<void>((r) => {
      finish = r;
    });
    client.subscribe<{ syncProgress: { at: string; run: { status: string } } }>(
      {
        query: `subscription($id: ID!) { syncProgress(integrationId: $id) { at run { status } } }`,
        variables: { id: integration.id },
      },
      {
        next: ({ data }) => {
          if (!data) return;
          latencies.push(Date.now() - Date.parse(data.syncProgress.at));
          if (data.syncProgress.run.status !== "RUNNING") finish();
        },
        error: () => finish(),
        complete: () => {},
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    gong.log.clear();
    const t0 = performance.now();
    await gql(url, token, `mutation($id: ID!) { startSync(integrationId: $id) { id } }`, { id: integration.id });
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    await client.dispose();
    const calls = await runtime.db.prisma.call.count();
    const requests = gong.log.count();
    console.log("\n## Sync engine: Gong backfill through the public API (documented quota 3 req/s)\n");
    console.log(
      "| calls stored | seconds | calls/s | provider requests | requests / 100 calls | 429s | progress events | event latency p50 / p95 / max |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
    console.log(
      `| ${calls} | ${seconds.toFixed(1)} | ${(calls / seconds).toFixed(1)} | ${requests} | ${((requests / calls) * 100).toFixed(1)} | ${gong.log.count((r) => r.status === 429)} | ${latencies.length} | ${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 95))} / ${ms(Math.max(...latencies))} |`,
    );
  } finally {
    await runtime.close();
    await gong.close();
    await database.drop();
  }
}
