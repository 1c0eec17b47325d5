/**
 * Imports 1,000 Salesloft conversations (transcripts, summaries, action items, CRM links) from
 * the simulator with Salesloft's documented quota (600 cost/minute per team) enforced on both
 * sides, and reports the request count. Salesloft has no batch form of `/extensive` or of the
 * sentences endpoint, so the floor is ~2 requests per call; at 600/minute the run takes ~3.5 min.
 *
 * Run alone: npx tsx bench/providers/salesloft.ts
 */
import { pathToFileURL } from "node:url";
import { createSalesloftClient, createSalesloftPacer, SALESLOFT_QUOTA } from "../../src/providers/salesloft/index.js";
import { generateSalesloftDataset } from "../../src/simulators/salesloft/dataset.js";
import { SALESLOFT_SIM_QUOTA, startSalesloftSimulator } from "../../src/simulators/salesloft/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { connect } from "../../test/providers/salesloft/helpers.js";

export async function benchSalesloft(): Promise<{
  provider: string;
  calls: number;
  requests: number;
  seconds: number;
  requestsPer100Calls: number;
}> {
  const scenario = defaultScenario({ callsPerUser: 250 });
  const dataset = generateSalesloftDataset(scenario);
  const sim = await startSalesloftSimulator({ dataset, switches: { transcriptDelayMs: 0, aiDelayMs: 0 } });
  try {
    const session = await connect(sim);
    sim.behaviours.quota = SALESLOFT_SIM_QUOTA;
    sim.log.clear();
    const client = createSalesloftClient({
      session,
      pacer: createSalesloftPacer({ maxWaitMs: 120_000 }, SALESLOFT_QUOTA),
      paceKey: `team:${dataset.team.id}`,
      apiBaseUrl: sim.url,
      maxInlineWaitMs: 120_000,
    });
    const started = performance.now();
    const window = { fromMs: scenario.fromMs, toMs: Date.now() };
    let calls = 0;
    for (const user of (await client.listUsers()).users) {
      let cursor: string | null = null;
      do {
        const page = await client.listCallsPage(user, window, cursor);
        for (const call of page.calls) if (call.readiness === "READY" && call.transcript?.length) calls++;
        cursor = page.nextCursor;
      } while (cursor);
    }
    const seconds = (performance.now() - started) / 1000;
    // Every API request, including any the provider answered 429 (the pacer should keep those near 0).
    const requests = sim.log.count((r) => r.path.startsWith("/v2/"));
    return {
      provider: "SALESLOFT",
      calls,
      requests,
      seconds: Math.round(seconds * 10) / 10,
      requestsPer100Calls: Math.round((requests / Math.max(1, calls)) * 1000) / 10,
    };
  } finally {
    await sim.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const r = await benchSalesloft();
  console.log(
    `salesloft: ${r.calls} calls, ${r.requests} requests (${r.requestsPer100Calls}/100 calls) in ${r.seconds}s`,
  );
}
