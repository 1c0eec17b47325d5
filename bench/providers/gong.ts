/**
 * Imports 1,000 Gong calls (transcripts, summaries, action items, CRM ids) from the simulator
 * with Gong's documented quota (3 requests/s, 10,000/day per company) enforced on both sides,
 * and reports the request count.
 *
 * Arithmetic. Gong imports per provider user (filter.primaryUserIds), 100 calls per page, and
 * each page costs one POST /v2/calls/extensive plus one POST /v2/calls/transcript for its ≤ 100
 * call ids; users cost one GET /v2/users per 100. For U users owning C_u calls:
 *   requests = ⌈U/100⌉ + Σ_u 2·⌈C_u/100⌉.
 * The scenario has 10 users hosting 100 calls each: 1 + 10·(1 + 1) = 21 requests (goal ≤ 31).
 * Spread unevenly the per-user rounding costs more (e.g. 4 users × 250 calls: 1 + 4·(3 + 3) = 25;
 * 1,000 users × 1 call: 10 + 2,000), so the goal holds when users own many calls each — the
 * usual shape of a sales team's history. Time ≈ requests × GONG_MIN_INTERVAL_MS (~0.37 s).
 *
 * Run alone: npx tsx bench/providers/gong.ts
 */
import { pathToFileURL } from "node:url";
import { createGongClient, createGongPacer } from "../../src/providers/gong/index.js";
import type { ProviderCredentials } from "../../src/providers/types.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";

const DAY = 86_400_000;

export async function benchGong(): Promise<{
  provider: string;
  calls: number;
  requests: number;
  seconds: number;
  requestsPer100Calls: number;
}> {
  const now = Date.now();
  const names = ["Ada", "Max", "Sam", "Lena", "Omar", "Iris", "Raj", "Zoe", "Tom", "Noah"];
  const scenario = defaultScenario({
    users: names.map((firstName) => ({ email: `${firstName.toLowerCase()}@acme.test`, firstName, lastName: "Seller" })),
    callsPerUser: 100,
    fromMs: now - 120 * DAY,
    toMs: now - 2 * DAY, // all processed: transcripts and AI content are in
    deals: [
      ...defaultScenario().deals,
      { crm: "HUBSPOT", dealId: "9876543210", accountId: "5550001", accountName: "Soylent" },
    ],
  });
  const dataset = generateGongDataset(scenario);
  const sim = await startGongSimulator({ dataset, quota: true });
  try {
    const tokens = sim.grantTokens(); // a completed consent, without the browser round trip
    const credentials: ProviderCredentials = {
      kind: "oauth",
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: Date.now() + tokens.expiresIn * 1000,
      apiBaseUrl: sim.url,
      scope: null,
    };
    const client = createGongClient({
      session: {
        current: async () => credentials,
        refresh: async () => {
          throw new Error("the bench's token does not expire");
        },
      },
      pacer: createGongPacer({ prefix: `bench-${now}`, maxWaitMs: 120_000 }),
      paceKey: `company:${dataset.workspaces[0]?.id}`,
    });
    sim.log.clear();
    const started = performance.now();
    const window = { fromMs: scenario.fromMs, toMs: now };
    let calls = 0;
    for (const user of (await client.listUsers()).users) {
      let cursor: string | null = null;
      do {
        const page = await client.listCallsPage(user, window, cursor);
        for (const call of page.calls)
          if (call.readiness === "READY" && call.transcript?.length && call.summary && call.actionItems?.length)
            calls++;
        cursor = page.nextCursor;
      } while (cursor);
    }
    const seconds = (performance.now() - started) / 1000;
    // Every request the simulator saw, including any it answered 429.
    const requests = sim.log.count();
    return {
      provider: "GONG",
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
  const r = await benchGong();
  console.log(`gong: ${r.calls} calls, ${r.requests} requests (${r.requestsPer100Calls}/100 calls) in ${r.seconds}s`);
}
