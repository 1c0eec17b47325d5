/**
 * `npm run bench`: prints numbers, never asserts timings.
 *   hot queries: SQL statements and latency, base vs 10× data
 *   providers:   requests and time to import 1,000 calls against each simulated quota
 *   engine:      end-to-end backfill throughput and event latency (Gong, documented quota)
 * `npm run bench -- --quick` skips the two providers whose quota makes them take minutes.
 */

import { benchApi } from "./api.js";
import { benchEngine } from "./engine.js";
import { benchClari } from "./providers/clari.js";
import { benchGong } from "./providers/gong.js";
import { benchSalesloft } from "./providers/salesloft.js";

const quick = process.argv.includes("--quick");

await benchApi();

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
process.exit(0);
