/**
 * Imports 1,000 Clari Copilot calls (transcripts, summaries, action items, CRM ids) from the
 * simulator with Clari's documented quota (10 requests/s, 100,000/week per API key) enforced on
 * both sides, and reports the request count.
 *
 * Arithmetic. Clari has no batch form of `/call-details`, the only place transcripts and AI
 * content live, so the floor is one request per call. Listing costs one `GET /calls` per 25 calls
 * per user (25 keeps pages under the 6 MB gateway ceiling), plus one `GET /users`:
 *   requests = 1 + Σ_u ⌈L_u/25⌉ + C
 * where L_u counts the calls listed under user u (a call with two Copilot users is listed under
 * both when `filterUser[]` matches any participant, but detailed once: the client remembers
 * finished calls by `last_modified_time`). 4 users × 250 organised calls (+~20 % shared) ≈
 * 1 + 4·⌈300/25⌉ + 1,000 ≈ 1,050 requests, ~105 per 100 calls; at 10 requests/s ≈ 105 s.
 * Measured: 1 + 51 + 1,000 = 1,052, plus one or two 429s at the edge of the rate limit.
 *
 * Run alone: npx tsx bench/providers/clari.ts
 */
import { pathToFileURL } from "node:url";
import { createClariClient, createClariPacer } from "../../src/providers/clari/index.js";
import type { ProviderCredentials } from "../../src/providers/types.js";
import { generateClariDataset } from "../../src/simulators/clari/dataset.js";
import { startClariSimulator } from "../../src/simulators/clari/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";

const DAY = 86_400_000;

export async function benchClari(): Promise<{
  provider: string;
  calls: number;
  requests: number;
  seconds: number;
  requestsPer100Calls: number;
}> {
  const now = Date.now();
  const scenario = defaultScenario({
    callsPerUser: 250,
    fromMs: now - 180 * DAY,
    toMs: now - 2 * DAY, // all processed: transcripts and AI content are in
  });
  const dataset = generateClariDataset(scenario, { failedRatio: 0 });
  const sim = await startClariSimulator({ dataset, quota: true });
  try {
    const credentials: ProviderCredentials = { kind: "apiKey", ...sim.apiKeys.default };
    const client = createClariClient({
      session: { current: async () => credentials, refresh: async () => credentials },
      pacer: createClariPacer({ prefix: `bench-${now}`, maxWaitMs: 120_000 }),
      paceKey: "clari:bench",
      baseUrl: sim.url,
    });
    sim.log.clear();
    const started = performance.now();
    const window = { fromMs: scenario.fromMs, toMs: now };
    const imported = new Set<string>();
    for (const user of (await client.listUsers()).users) {
      let cursor: string | null = null;
      do {
        const page = await client.listCallsPage(user, window, cursor);
        for (const call of page.calls)
          if (call.readiness === "READY" && call.transcript?.length && call.summary && call.actionItems?.length)
            imported.add(call.providerCallId);
        cursor = page.nextCursor;
      } while (cursor);
    }
    const seconds = (performance.now() - started) / 1000;
    // Every request the simulator saw, including any it answered 429.
    const requests = sim.log.count();
    const calls = imported.size;
    return {
      provider: "CLARI_COPILOT",
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
  const r = await benchClari();
  console.log(`clari: ${r.calls} calls, ${r.requests} requests (${r.requestsPer100Calls}/100 calls) in ${r.seconds}s`);
}
