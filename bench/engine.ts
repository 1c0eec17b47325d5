/**
 * The sync engine end to end: a Gong backfill of 1,000 calls through the public API (OAuth
 * round trip, startSync) with the simulator enforcing Gong's documented quota, measured as
 * calls/s, provider requests per 100 calls, and the latency of progress events from the
 * worker's write to a graphql-ws subscriber.
 */
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { defaultScenario } from "../src/simulators/scenario.js";
import { gongBench, ms, percentile } from "./support.js";

const DAY = 86_400_000;

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
  const bench = await gongBench({ scenario, simulator: { quota: true } });
  const { gong, url, token, api: runtime } = bench;
  const integration = { id: bench.integrationId };
  try {
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
    await bench.startSync();
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
    await bench.close();
  }
}
