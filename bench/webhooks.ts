/**
 * Webhook → readable latency: a connected Gong integration (small backfill), its webhook enabled
 * with a public key, the simulator's automation rule signing each delivery. 60 new calls are
 * processed upstream one after another (one every 900 ms, under Gong's 3/s quota at two requests
 * per call); for each, the time from the simulator sending the delivery to the call being listed
 * by the GraphQL API. Documented quota enforced by the simulator. Prints p50/p95/max.
 */
import { generateKeyPairSync } from "node:crypto";
import { defaultScenario } from "../src/simulators/scenario.js";
import { gongBench, ms, percentile } from "./support.js";

const DAY = 86_400_000;
const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 60);

export async function benchWebhooks(): Promise<void> {
  const scenario = defaultScenario({ callsPerUser: 5, fromMs: Date.now() - 10 * DAY, toMs: Date.now() - DAY });
  const bench = await gongBench({ scenario, simulator: { quota: true }, period: "DAYS_30" });
  const { gong, api: runtime, integrationId: id } = bench;
  const { gql } = bench;
  try {
    await bench.waitForRun(await bench.startSync());
    const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const enabled = await gql(`mutation($id: ID!) { enableWebhook(integrationId: $id) { webhook { url } } }`, { id });
    const webhookUrl = (enabled.enableWebhook as { webhook: { url: string } }).webhook.url;
    await gql(`mutation($id: ID!, $k: String) { setWebhookPublicKey(integrationId: $id, publicKey: $k) { id } }`, {
      id,
      k: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
    });
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
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchWebhooks();
  process.exit(0);
}
