/**
 * Pacing across workers: a 3,000-call Gong backfill (10 users × 300 calls) with one API and two
 * worker runtimes (separate pacers and Redis connections, as separate processes have) while the
 * simulator enforces Gong's 3 requests/s. Printed: wall time against the quota's lower bound
 * (requests ÷ 3/s), the share of 429s, provider requests per 100 calls.
 *
 * BENCH_GONG_PAGE_SIZE (default 25) sizes the pages: Gong's own is 100 (≈ 60 requests in all);
 * smaller pages make more requests, and so a finer 429 share, for a longer run.
 */
import { randomInt } from "node:crypto";
import { GONG_MIN_INTERVAL_MS } from "../src/providers/gong/client.js";
import { GONG_SIM_QUOTA } from "../src/simulators/gong/server.js";
import { defaultScenario } from "../src/simulators/scenario.js";
import { gongBench, percentile } from "./support.js";

const DAY = 86_400_000;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

export async function benchBackfillWorkers(): Promise<void> {
  const pageSize = Number(process.env.BENCH_GONG_PAGE_SIZE ?? 25);
  const users = Array.from({ length: 10 }, (_, i) => ({
    email: `seller${i + 1}@acme.test`,
    firstName: `Seller${i + 1}`,
    lastName: "Bench",
  }));
  const scenario = defaultScenario({
    // Its own Gong account id, so the shared pacer keys in Redis are this run's alone.
    seed: randomInt(1, 2 ** 31),
    users: [...users, { email: "nobody@elsewhere.test", firstName: "No", lastName: "Body" }],
    callsPerUser: 300,
    fromMs: Date.now() - 300 * DAY,
    toMs: Date.now() - 2 * DAY,
    segmentsPerCall: 4,
  });
  const bench = await gongBench({
    scenario,
    simulator: { quota: true, switches: { pageSize } },
    env: { REDIS_URL },
    workers: 2,
  });
  const { gong, api } = bench;
  try {
    gong.log.clear();
    const t0 = performance.now();
    const runId = await bench.startSync();
    await bench.waitForRun(runId);
    const seconds = (performance.now() - t0) / 1000;
    const closed = await api.db.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } });
    const failed = await api.db.prisma.syncUserStatus.findMany({ where: { runId, state: "FAILED" } });
    const users = await api.db.prisma.syncUserStatus.findMany({ where: { runId } });
    const inWindow = gong.dataset.calls.filter((c) => {
      const started = Date.parse(String(c.metaData.started));
      return started >= (closed.windowFrom?.getTime() ?? 0) && started < closed.windowTo.getTime();
    }).length;
    console.log(
      `\nRun ${closed.kind} ${closed.status}, window ${closed.windowFrom?.toISOString() ?? "all"} – ${closed.windowTo.toISOString()}, ` +
        `${inWindow} dataset calls in it; users ${users.map((u) => `${u.state}/${u.callsImported}`).join(" ")}`,
    );
    if (closed.status !== "COMPLETED")
      console.log(
        `\nThe run ended ${closed.status}: ${failed.length} user(s) FAILED (${[...new Set(failed.map((u) => `${u.errorCode}: ${u.errorMessage}`))].join("; ")})`,
      );
    const calls = await api.db.prisma.call.count();
    const requests = gong.log.count();
    const limited = gong.log.count((r) => r.status === 429);
    const rate = GONG_SIM_QUOTA[0]!.points / GONG_SIM_QUOTA[0]!.duration;
    const bound = (requests - limited) / rate;
    console.log(`\n## Pacing across processes: 3,000-call Gong backfill, two workers, quota ${rate} req/s enforced\n`);
    console.log(
      "| calls stored | page size | seconds | quota bound (s) | seconds / bound | provider requests | 429s | 429 share | requests / 100 calls |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    console.log(
      `| ${calls} | ${pageSize} | ${seconds.toFixed(1)} | ${bound.toFixed(1)} | ${(seconds / bound).toFixed(2)} | ${requests} | ${limited} | ${((limited / requests) * 100).toFixed(2)} % | ${((requests / calls) * 100).toFixed(1)} |`,
    );
    // Where the 429s came from: how the requests arrived at the simulator (its clock).
    const arrivals = gong.log.entries.filter((r) => !r.path.startsWith("/oauth2/")).map((r) => r.at);
    arrivals.sort((a, b) => a - b);
    const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
    let peak = 0;
    for (let i = 0, j = 0; i < arrivals.length; i++) {
      while (arrivals[i]! - arrivals[j]! >= 1000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    const byPath = new Map<string, number>();
    for (const r of gong.log.entries.filter((e) => e.status === 429)) byPath.set(r.path, (byPath.get(r.path) ?? 0) + 1);
    console.log(
      `\nArrivals at the simulator: gap between requests min ${Math.min(...gaps)} ms, p5 ${percentile(gaps, 5)} ms, ` +
        `median ${percentile(gaps, 50)} ms (slot ${Math.round(GONG_MIN_INTERVAL_MS)} ms); at most ${peak} in any 1 s; ` +
        `429s by path: ${[...byPath].map(([p, n]) => `${p} ${n}`).join(", ") || "none"}`,
    );
  } finally {
    await bench.close();
  }
}
