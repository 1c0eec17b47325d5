/**
 * `npm run bench`: prints numbers, never asserts timings.
 *   hot reads:   callsync vs a raw-SQL floor server (req/s, latency, CPU, bytes, statements),
 *                and live progress fan-out to 1/100/500 subscribers (bench/hot/index.ts)
 *   providers:   requests and time to import 1,000 calls against each simulated quota
 *   engine:      end-to-end backfill throughput and event latency (Gong, documented quota)
 *   webhooks:    Gong webhook delivery → call readable through the API, p50/p95 over 60 events
 *   pacing:      3,000-call Gong backfill with two workers under the enforced quota: time vs bound, 429s
 *   quota:       Gong backfill under a reduced daily quota (1,000 calls; `--quota-10k` for 10,000):
 *                time vs the quota bound, requests per 100 calls
 * `npm run bench -- --quick` skips the two providers whose quota makes them take minutes;
 * `npm run bench -- --hot` runs only the hot reads and the fan-out;
 * `npm run bench -- --pacing` only the two-worker backfill under the enforced quota;
 * `npm run bench -- --quota` (or `--quota-10k`) only the backfill under a reduced daily quota.
 */

import { benchBackfillWorkers } from "./backfill-workers.js";
import { benchEngine } from "./engine.js";
import { benchHot } from "./hot/index.js";
import { benchClari } from "./providers/clari.js";
import { benchGong } from "./providers/gong.js";
import { benchSalesloft } from "./providers/salesloft.js";
import { benchQuotaBackfill } from "./quota-backfill.js";
import { benchWebhooks } from "./webhooks.js";

const quick = process.argv.includes("--quick");

if (process.argv.includes("--quota") || process.argv.includes("--quota-10k")) {
  await benchQuotaBackfill();
  process.exit(0);
}

if (process.argv.includes("--pacing")) {
  await benchBackfillWorkers();
  process.exit(0);
}

await benchHot();
if (process.argv.includes("--hot")) process.exit(0);

console.log("\n## Provider clients: 1,000 calls with transcripts, summaries, action items\n");
console.log("| provider | calls | requests | requests / 100 calls | seconds (documented quota) |");
console.log("| --- | --- | --- | --- | --- |");
for (const run of quick ? [benchGong] : [benchGong, benchClari, benchSalesloft]) {
  const r = await run();
  console.log(
    `| ${r.provider} | ${r.calls} | ${r.requests} | ${r.requestsPer100Calls.toFixed(1)} | ${r.seconds.toFixed(1)} |`,
  );
}

await benchEngine();
await benchWebhooks();
await benchBackfillWorkers();
await benchQuotaBackfill();
process.exit(0);
