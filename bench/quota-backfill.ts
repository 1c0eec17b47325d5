/**
 * A Gong backfill under a reduced daily quota (issue 13): 10 users' calls, Gong's page size (100),
 * Gong's 3 requests/s enforced by the simulator, and a "day" shrunk to BENCH_QUOTA_WINDOW_S
 * seconds holding BENCH_QUOTA_BUDGET requests, enforced by the simulator and configured in
 * callsync (GONG_QUOTA). When the day's budget is spent the imports are rescheduled for the
 * refill (no worker held). Printed: wall time against the quota bound — the larger of requests ÷
 * 3/s and the whole windows the requests need before the last — requests per 100 calls, 429s,
 * how often imports were rescheduled for the budget, duplicates.
 *
 * 1,000 calls by default (inside `npm run bench`); `npm run bench -- --quota-10k` runs 10,000.
 */
import { randomInt } from "node:crypto";
import { defaultScenario } from "../src/simulators/scenario.js";
import { gongBench } from "./support.js";

const DAY = 86_400_000;

export async function benchQuotaBackfill(calls = process.argv.includes("--quota-10k") ? 10_000 : 1_000): Promise<void> {
  const users = 10;
  const budget = Number(process.env.BENCH_QUOTA_BUDGET ?? (calls >= 10_000 ? 60 : 12));
  const windowS = Number(process.env.BENCH_QUOTA_WINDOW_S ?? 20);
  const scenario = defaultScenario({
    // Its own Gong account id, so shared pacer keys never meet another run's.
    seed: randomInt(1, 2 ** 31),
    users: [
      ...Array.from({ length: users }, (_, i) => ({
        email: `seller${i + 1}@acme.test`,
        firstName: `Seller${i + 1}`,
        lastName: "Bench",
      })),
      { email: "nobody@elsewhere.test", firstName: "No", lastName: "Body" },
    ],
    callsPerUser: calls / users,
    fromMs: Date.now() - 300 * DAY,
    toMs: Date.now() - 2 * DAY,
    segmentsPerCall: 2,
  });
  const bench = await gongBench({
    scenario,
    simulator: {
      quota: [
        { points: 3, duration: 1 },
        { points: budget, duration: windowS },
      ],
    },
    env: {
      GONG_QUOTA: `3/1,${budget}/${windowS}:budget`,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "silent",
      ...(process.env.BENCH_IMPORT_CONCURRENCY ? { IMPORT_CONCURRENCY: process.env.BENCH_IMPORT_CONCURRENCY } : {}),
    },
  });
  const { gong, api } = bench;
  try {
    // The provider's budget window starts with this run's first request, as callsync's does.
    gong.behaviours.resetQuota();
    gong.log.clear();
    const t0 = performance.now();
    const runId = await bench.startSync();
    await bench.waitForRun(runId);
    const seconds = (performance.now() - t0) / 1000;
    const run = await api.db.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } });
    const stored = await api.db.prisma.call.count();
    const distinct = (await api.db.prisma.call.groupBy({ by: ["providerCallId"] })).length;
    const requests = gong.log.count((r) => r.path.startsWith("/v2/"));
    const limited = gong.log.count((r) => r.status === 429);
    const { rows } = await api.db.pool.query(
      `SELECT count(*)::int AS n FROM agenda_jobs WHERE name = 'sync:import-user'`,
    );
    const served = requests - limited;
    const bound = Math.max(served / 3, (Math.ceil(served / budget) - 1) * windowS);
    console.log(
      `\n## Gong backfill under a reduced daily quota: ${calls} calls, 3 req/s and ${budget} requests per ${windowS} s "day"\n`,
    );
    console.log(
      "| run | calls stored | duplicates | seconds | quota bound (s) | seconds / bound | provider requests | requests / 100 calls | 429s | import jobs (10 users) |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    console.log(
      `| ${run.status} | ${stored} | ${stored - distinct} | ${seconds.toFixed(1)} | ${bound.toFixed(1)} | ${(seconds / bound).toFixed(2)} | ${requests} | ${((requests / stored) * 100).toFixed(2)} | ${limited} | ${rows[0].n} |`,
    );
    if (run.status !== "COMPLETED") {
      const failed = await api.db.prisma.syncUserStatus.findMany({ where: { runId, state: "FAILED" } });
      console.log(
        `\nThe run ended ${run.status}: ${failed.length} user(s) FAILED (${[...new Set(failed.map((u) => `${u.errorCode} after ${u.attempts} attempts`))].join("; ")})`,
      );
    }
  } finally {
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchQuotaBackfill();
  process.exit(0);
}
