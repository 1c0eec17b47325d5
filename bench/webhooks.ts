/**
 * Webhook → readable latency: a connected Gong integration (small backfill), its webhook enabled
 * with a public key, the simulator's automation rule signing each delivery. 60 new calls are
 * processed upstream one after another (one every 900 ms, under Gong's 3/s quota at two requests
 * per call); for each, the time from the simulator sending the delivery to the call being listed
 * by the GraphQL API. Documented quota enforced by the simulator. Prints p50/p95/max.
 */
import { generateKeyPairSync } from "node:crypto";
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
const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 60);

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

export async function benchWebhooks(): Promise<void> {
  const scenario = defaultScenario({ callsPerUser: 5, fromMs: Date.now() - 10 * DAY, toMs: Date.now() - DAY });
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
    await authorizeInBrowser(authorizationUrl, token);
    const id = integration.id;
    await gql(url, token, `mutation($id: ID!) { chooseBackfill(integrationId: $id, period: DAYS_30) { id } }`, { id });
    await gql(url, token, `mutation($id: ID!) { startSync(integrationId: $id) { id } }`, { id });
    for (;;) {
      const r = await gql(url, token, `{ integration(provider: GONG) { latestRun { status } } }`);
      if ((r.integration as { latestRun: { status: string } }).latestRun.status !== "RUNNING") break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const enabled = await gql(
      url,
      token,
      `mutation($id: ID!) { enableWebhook(integrationId: $id) { webhook { url } } }`,
      { id },
    );
    const webhookUrl = (enabled.enableWebhook as { webhook: { url: string } }).webhook.url;
    await gql(
      url,
      token,
      `mutation($id: ID!, $k: String) { setWebhookPublicKey(integrationId: $id, publicKey: $k) { id } }`,
      {
        id,
        k: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
      },
    );
    gong.switches.visibleAfterMs = 0;
    gong.switches.contentAfterMs = 0;
    gong.webhooks.add({ url: webhookUrl, privateKey: keys.privateKey });

    const ada = gong.dataset.users.find((u) => u.emailAddress === "ada@acme.test")!;
    const template = gong.dataset.calls.find((c) => String(c.metaData.primaryUserId) === String(ada.id))!;
    const latencies: number[] = [];
    const pending = new Map<string, true>();
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const watcher = (async () => {
      while (latencies.length < EVENTS) {
        const r = await gql(
          url,
          token,
          `query($s: DateTime) { calls(filter: { startedAfter: $s }, first: 100) { edges { node { providerCallId } } } }`,
          { s: since },
        );
        const now = Date.now();
        for (const e of (r.calls as { edges: { node: { providerCallId: string } }[] }).edges) {
          const callId = e.node.providerCallId;
          if (!pending.delete(callId)) continue;
          const d = gong.webhooks.deliveries.find((x) => x.callId === callId);
          if (d) latencies.push(now - d.sentAt);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    for (let i = 0; i < EVENTS; i++) {
      const call = structuredClone(template);
      const callId = String(9_200_000_000_000_000_000n + BigInt(i));
      call.metaData = {
        ...call.metaData,
        id: callId,
        title: `Webhook bench ${i}`,
        started: new Date(Date.now() - 1_800_000).toISOString(),
        duration: 600,
      };
      pending.set(callId, true);
      gong.dataset.calls.push(call);
      await new Promise((r) => setTimeout(r, 900));
    }
    await Promise.race([watcher, new Promise((r) => setTimeout(r, 120_000))]);
    const refused = gong.webhooks.deliveries.filter((d) => d.status !== 202).length;
    console.log("\n## Webhooks: Gong delivery → call readable through the API (documented quota)\n");
    console.log("| events | readable | p50 | p95 | max | deliveries not 202 | sync runs during |");
    console.log("| --- | --- | --- | --- | --- | --- | --- |");
    const runs = await runtime.db.prisma.syncRun.count();
    console.log(
      `| ${EVENTS} | ${latencies.length} | ${ms(percentile(latencies, 50))} | ${ms(percentile(latencies, 95))} | ${ms(Math.max(...latencies))} | ${refused} | ${runs - 1} |`,
    );
  } finally {
    gong.webhooks.clear();
    await runtime.close();
    await gong.close();
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchWebhooks();
  process.exit(0);
}
