/**
 * The chaos suite's fault → outcome table, test-output/chaos-summary.md: every scenario adds
 * its rows from what it measured (calls stored against the dataset, duplicates, failed users,
 * how long recovery took), so the table comes from a real run. The global setup empties it at
 * the start of each test run.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SUMMARY_PATH = fileURLToPath(new URL("../../test-output/chaos-summary.md", import.meta.url));
const SUMMARY_HEADER =
  "| fault | calls stored / expected | duplicates | failed users | time to recover | notes |\n| --- | --- | --- | --- | --- | --- |\n";

/** Empties the table (global setup: once per test run). */
export function resetOutcomes(): void {
  mkdirSync(fileURLToPath(new URL("../../test-output/", import.meta.url)), { recursive: true });
  writeFileSync(SUMMARY_PATH, SUMMARY_HEADER);
}

export interface Outcome {
  fault: string;
  stored: number | string;
  expected: number | string;
  duplicates: number;
  /** Users FAILED: a count, or a count with the reason when the scenario expects them. */
  failedUsers: number | string;
  /** What recovered when, in words with seconds ("/ready 1.2 s, imports 2.0 s after restore"). */
  recovered: string;
  notes?: string;
}

/** Adds a row to test-output/chaos-summary.md and logs it. */
export function recordOutcome(o: Outcome): void {
  const row = `| ${o.fault} | ${o.stored} / ${o.expected} | ${o.duplicates} | ${o.failedUsers} | ${o.recovered} | ${o.notes ?? ""} |`;
  console.log(`[chaos] ${row}`);
  mkdirSync(fileURLToPath(new URL("../../test-output/", import.meta.url)), { recursive: true });
  appendFileSync(SUMMARY_PATH, `${row}\n`);
}

/** Seconds with one decimal, for the table. */
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
