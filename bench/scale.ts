/**
 * `npm run bench:scale`: the scheduler at scale. N Gong integrations (one workspace and one
 * simulator account each, 3 matched users), all connected at the same moment, worker processes
 * (`npm run worker` as production runs it: the build, then node) doing the work, the sync interval
 * shortened so a few waves fit in minutes.
 * Waits for every backfill, then prints per wave (the k-th scheduled run of every integration
 * after the last backfill finished; earlier ones are one "during backfill" row): syncs expected / run, start lag
 * (start − due) p50 / p95 / max, run duration p50 / p95, scheduled runs per worker, the most jobs
 * one worker held claimed at once, jobs table rows at the wave's end (and its peak), the workers'
 * CPU and peak RSS during it, PostgreSQL connections. Numbers only; nothing is asserted.
 *
 *   npm run bench:scale -- --integrations 50,200,500 --interval-minutes 2 --waves 3 --workers 2
 *   npm run bench:scale -- --import-concurrency 12 --job-concurrency 24   (the workers' limits)
 *
 * The workers keep finished jobs for --retention-seconds (default 60) and clean up every
 * --cleanup-seconds (15), the production mechanism on a shortened clock, so the table's size
 * over a few waves shows what it does over months. The due time of a run is the integration's
 * `nextSyncAt` as it stood before the run (sampled every second), so the same bench measures any
 * scheduling policy. The machine's load average is printed with each table: on a shared machine
 * the lag and CPU figures include other processes' contention. BENCH_KEEP=1 keeps the database
 * (its URL is printed) for a look afterwards.
 */
import { type ChildProcess, execSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.js";
import { CredentialCipher } from "../src/integrations/crypto.js";
import { openRuntime } from "../src/runtime.js";
import { generateGongDataset } from "../src/simulators/gong/dataset.js";
import { type GongSimulator, gongOAuthEnv, startGongSimulator } from "../src/simulators/gong/server.js";
import { defaultScenario } from "../src/simulators/scenario.js";
import { productionCommand } from "./hot/processes.js";
import { benchDatabase, percentile } from "./support.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLOCK_TICKS = 100;

const { values: args } = parseArgs({
  options: {
    integrations: { type: "string", default: "500" },
    "interval-minutes": { type: "string", default: "2" },
    waves: { type: "string", default: "3" },
    workers: { type: "string", default: "2" },
    "retention-seconds": { type: "string", default: "60" },
    "cleanup-seconds": { type: "string", default: "15" },
    // The workers' IMPORT_CONCURRENCY / JOB_MAX_CONCURRENCY (default: the configuration's).
    "import-concurrency": { type: "string" },
    "job-concurrency": { type: "string" },
  },
});

interface Sample {
  at: number;
  rows: number;
  cpuTicks: number[];
  rssKb: number[];
  /** Jobs each worker holds claimed (locked) right now. */
  claimed: number[];
  connections: number;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

function procStats(pid: number): { ticks: number; rssKb: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return { ticks, rssKb: Number(rss?.[1] ?? 0) };
  } catch {
    return { ticks: 0, rssKb: 0 };
  }
}

interface Worker {
  name: string;
  child: ChildProcess;
  /** Log lines at level error or above since it started. */
  errors: number;
  lastError: string | null;
}

/** `npm run worker` as production runs it (bench/hot/processes.ts); its build step runs once. */
const workerCommand = productionCommand("worker");

function startWorker(env: Record<string, string>, name: string): Promise<Worker> {
  const child = spawn(process.execPath, [...workerCommand.flags, workerCommand.script, "worker"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env, WORKER_NAME: name, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const worker: Worker = { name, child, errors: 0, lastError: null };
  return new Promise((resolve, reject) => {
    let out = "";
    let started = false;
    // Read every line for as long as it runs (a full pipe would block the worker's logging).
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split("\n");
      out = lines.pop() ?? "";
      for (const line of lines) {
        if (!started && line.includes('"msg":"worker started"')) {
          started = true;
          resolve(worker);
        }
        const level = /"level":(\d+)/.exec(line);
        if (level && Number(level[1]) >= 50) {
          worker.errors++;
          worker.lastError = line.slice(0, 400);
        }
      }
    });
    child.stderr!.on("data", (c: Buffer) => process.stderr.write(`[${name}] ${c}`));
    child.once("exit", (code) => {
      if (!started) reject(new Error(`${name} exited (${code}) before it started:\n${out}`));
    });
  });
}

interface Settings {
  intervalMinutes: number;
  waves: number;
  workers: number;
  retentionSeconds: number;
  cleanupSeconds: number;
  importConcurrency?: string;
  jobConcurrency?: string;
}

async function benchScale(n: number, settings: Settings) {
  const { intervalMinutes, waves, retentionSeconds, cleanupSeconds } = settings;
  const intervalMs = intervalMinutes * 60_000;
  const loadBefore = load();
  const scenario = defaultScenario({ callsPerUser: 3, fromMs: Date.now() - 20 * 86_400_000 });
  const dataset = generateGongDataset(scenario);
  const sims: GongSimulator[] = [];
  for (let i = 0; i < n; i++) sims.push(await startGongSimulator({ dataset, switches: { visibleAfterMs: 0 } }));
  const database = await benchDatabase();
  const databaseName = new URL(database.url).pathname.slice(1);
  const env = {
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    ...gongOAuthEnv(sims[0]!),
    // The production clean-up on a shortened clock (default: a day, every 10 minutes).
    JOB_RETENTION_MS: String(retentionSeconds * 1000),
    JOB_CLEANUP_EVERY_MS: String(cleanupSeconds * 1000),
    ...(settings.importConcurrency ? { IMPORT_CONCURRENCY: settings.importConcurrency } : {}),
    ...(settings.jobConcurrency ? { JOB_MAX_CONCURRENCY: settings.jobConcurrency } : {}),
  };
  const config = loadConfig({ ...env, LOG_LEVEL: "silent", WORKER_IN_PROCESS: "false" });
  const runtime = await openRuntime(config, { role: "none" });
  const { prisma, pool } = runtime.db;
  const cipher = new CredentialCipher(config.credentialKeys);
  const workers: Worker[] = [];
  try {
    // N workspaces, each with a connected Gong integration on its own simulator account.
    const integrations: { id: string; adminId: string }[] = [];
    for (let i = 0; i < n; i += 25) {
      const batch = await Promise.all(
        sims.slice(i, i + 25).map(async (sim, j) => {
          const workspace = await prisma.workspace.create({
            data: {
              name: `Scale ${i + j}`,
              users: {
                create: scenario.users
                  .filter((u) => u.email.endsWith("@acme.test"))
                  .map((u, k) => ({ email: u.email, name: u.firstName, role: k === 0 ? "ADMIN" : "MEMBER" })),
              },
            },
            include: { users: true },
          });
          const integration = await prisma.integration.create({
            data: {
              workspaceId: workspace.id,
              provider: "GONG",
              status: "CONNECTED",
              wizardStep: "SYNC",
              connectedAccountId: `scale-${i + j}`,
              connectedAt: new Date(),
              backfillPeriod: "DAYS_30",
              backfillFrom: new Date(Date.now() - 30 * 86_400_000),
              syncIntervalMinutes: intervalMinutes,
            },
          });
          const tokens = sim.grantTokens();
          await prisma.integration.update({
            where: { id: integration.id },
            data: {
              credentials: cipher.seal(
                {
                  kind: "oauth",
                  accessToken: tokens.accessToken,
                  refreshToken: tokens.refreshToken,
                  expiresAt: Date.now() + tokens.expiresIn * 1000,
                  apiBaseUrl: sim.url,
                  scope: null,
                },
                integration.id,
              ),
              credentialsKeyId: cipher.currentKeyId,
            },
          });
          return { id: integration.id, adminId: workspace.users.find((u) => u.role === "ADMIN")!.id };
        }),
      );
      integrations.push(...batch);
    }
    for (let w = 0; w < settings.workers; w++) workers.push(await startWorker(env, `scale-w${w + 1}`));

    const dues = new Map<string, number[]>();
    // Which worker ran each scheduled run: the recurring job's lock owner at its last start.
    const ranBy = new Map<string, { at: number; worker: string }[]>();
    const samples: Sample[] = [];
    const sample = async () => {
      const [{ rows }, next, claims, scheduled, conns] = await Promise.all([
        pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM agenda_jobs`),
        prisma.integration.findMany({ select: { id: true, nextSyncAt: true } }),
        pool.query<{ worker: string; n: number }>(
          `SELECT last_modified_by AS worker, count(*)::int AS n FROM agenda_jobs
            WHERE locked_at IS NOT NULL GROUP BY 1`,
        ),
        pool.query<{ id: string; worker: string | null; at: Date | null }>(
          `SELECT data->>'integrationId' AS id, last_modified_by AS worker, last_run_at AS at
             FROM agenda_jobs WHERE name = 'sync:scheduled'`,
        ),
        pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [databaseName]),
      ]);
      for (const r of next) {
        if (!r.nextSyncAt) continue;
        const list = dues.get(r.id) ?? [];
        if (list.at(-1) !== r.nextSyncAt.getTime()) list.push(r.nextSyncAt.getTime());
        dues.set(r.id, list);
      }
      for (const r of scheduled.rows) {
        if (!r.at || !r.worker) continue;
        const list = ranBy.get(r.id) ?? [];
        if (list.at(-1)?.at !== r.at.getTime()) list.push({ at: r.at.getTime(), worker: r.worker });
        ranBy.set(r.id, list);
      }
      const stats = workers.map((w) => procStats(w.child.pid!));
      samples.push({
        at: Date.now(),
        rows: rows[0]!.n,
        cpuTicks: stats.map((s) => s.ticks),
        rssKb: stats.map((s) => s.rssKb),
        claimed: workers.map((w) => claims.rows.find((c) => c.worker === w.name)?.n ?? 0),
        connections: conns.rows[0]!.n,
      });
    };

    // All connected at the same moment: backfill now, the recurring sync from then on.
    const t0 = Date.now();
    await Promise.all(integrations.map((i) => runtime.services.wizard.startSync(i.id, i.adminId)));
    await sample();
    // The waves are measured once every backfill is done: wave 1 is each integration's first
    // slot after the last backfill finished, so no wave competes with backfill imports (slots
    // that came earlier are reported apart, as "during backfill").
    const backfillDeadline = Date.now() + Math.max(20, waves * 3) * intervalMs;
    for (;;) {
      const open = await prisma.syncRun.count({ where: { kind: "BACKFILL", status: "RUNNING" } });
      if (open === 0 || Date.now() > backfillDeadline) break;
      await sample();
      await sleep(1_000);
    }
    await sample();
    const backfillDone = Date.now();
    // Wave 1's slot of an integration: its next sync as it stood when the backfills were done
    // (the grid: phase + k × interval); wave k's is k − 1 intervals later.
    const waveOneDue = new Map(
      [...dues].map(([id, list]) => [id, list.find((d) => d >= backfillDone) ?? list.at(-1)!]),
    );
    const lastDue = Math.max(...[...waveOneDue.values()].map((d) => d + (waves - 1) * intervalMs));
    while (Date.now() < lastDue + 30_000) {
      await sample();
      await sleep(1_000);
    }
    for (let i = 0; i < 120; i++) {
      const running = await prisma.syncRun.count({ where: { status: "RUNNING" } });
      await sample();
      if (running === 0) break;
      await sleep(1_000);
    }

    const allRuns = await prisma.syncRun.findMany({
      select: { integrationId: true, kind: true, status: true, startedAt: true, finishedAt: true },
      orderBy: { startedAt: "asc" },
    });
    const backfills = allRuns.filter((r) => r.kind === "BACKFILL");
    const runs = allRuns.filter((r) => r.kind === "SCHEDULED");
    type WaveRun = { lag: number; duration: number | null; start: number; end: number; worker: string | null };
    const byWave: WaveRun[][] = Array.from({ length: waves }, () => []);
    const duringBackfill: WaveRun[] = [];
    let duplicates = 0;
    let failed = 0;
    const seen = new Set<string>();
    for (const run of runs) {
      const list = dues.get(run.integrationId) ?? [];
      const start = run.startedAt.getTime();
      // The due time this run answered: the last nextSyncAt at or before its start.
      let due: number | undefined;
      for (const d of list) if (d <= start + 1_000) due = d;
      if (due === undefined) continue;
      const first = waveOneDue.get(run.integrationId)!;
      const k = Math.round((due - first) / intervalMs);
      const end = run.finishedAt?.getTime() ?? start;
      const starts = ranBy.get(run.integrationId) ?? [];
      // The job started just before the run row was written.
      const by = starts.filter((s) => s.at <= start + 1_000 && s.at >= start - 30_000).at(-1)?.worker ?? null;
      const entry = { lag: start - due, duration: run.finishedAt ? end - start : null, start, end, worker: by };
      if (k < 0) {
        duringBackfill.push(entry);
        continue;
      }
      if (k >= waves) continue;
      const key = `${run.integrationId}:${k}`;
      if (seen.has(key)) duplicates++;
      seen.add(key);
      if (run.status === "FAILED") failed++;
      byWave[k]!.push(entry);
    }
    // A slot that came while the integration's previous sync (its backfill) was still running is
    // skipped by design (SYNC_IN_PROGRESS; the next slot stands): counted apart from missed ones.
    const skipped = Array.from({ length: waves }, (_, k) =>
      [...waveOneDue].filter(([id, first]) => {
        const due = first + k * intervalMs;
        if (seen.has(`${id}:${k}`)) return false;
        return allRuns.some(
          (r) =>
            r.integrationId === id &&
            r.startedAt.getTime() <= due &&
            (r.finishedAt === null || r.finishedAt.getTime() >= due),
        );
      }),
    ).map((l) => l.length);

    const s = (ms: number) => (ms / 1000).toFixed(1);
    const names = workers.map((w) => w.name);
    console.log(
      `\n### ${n} integrations, interval ${intervalMinutes} min, ${settings.workers} workers, ` +
        `job retention ${retentionSeconds} s (clean-up every ${cleanupSeconds} s), ` +
        `IMPORT_CONCURRENCY ${config.jobs.importConcurrency} / JOB_MAX_CONCURRENCY ${config.jobs.maxConcurrency}` +
        (duplicates ? ` — ${duplicates} duplicate runs!` : "") +
        (failed ? ` — ${failed} failed runs` : ""),
    );
    console.log(`load average (1 / 5 / 15 min) before: ${loadBefore}; after: ${load()} (2 cores)`);
    console.log(
      "| wave | syncs expected / run / skipped (sync running) | start lag p50 / p95 / max (s) | run duration p50 / p95 (s) | runs per worker | most claimed by one worker | jobs rows end (peak) | worker CPU % | worker RSS MB | PG connections |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    const first = samples[0]!;
    const bfDurations = backfills
      .filter((r) => r.finishedAt)
      .map((r) => r.finishedAt!.getTime() - r.startedAt.getTime());
    const bfEnd = Math.max(...backfills.map((r) => r.finishedAt?.getTime() ?? Date.now()));
    const inBackfill = samples.filter((x) => x.at <= bfEnd + 1_000);
    const cpuBetween = (before: Sample, after: Sample) => {
      const seconds = (after.at - before.at) / 1000 || 1;
      return after.cpuTicks.map((t, i) => (((t - before.cpuTicks[i]!) / CLOCK_TICKS / seconds) * 100).toFixed(0));
    };
    const peakRss = (within: Sample[]) =>
      workers.map((_, i) => Math.round(Math.max(...within.map((x) => x.rssKb[i]!), 0) / 1024));
    console.log(
      `| backfill | ${n} / ${backfills.filter((r) => r.status === "COMPLETED").length} / — | — | ` +
        `${s(percentile(bfDurations, 50))} / ${s(percentile(bfDurations, 95))} ${
          bfDurations.length === n
            ? `(all done ${s(bfEnd - t0)} s after connect)`
            : `(${n - bfDurations.length} still running at the end)`
        } | — | ` +
        `${Math.max(...inBackfill.flatMap((x) => x.claimed))} | ${inBackfill.at(-1)!.rows} (${Math.max(...inBackfill.map((x) => x.rows))}) | ` +
        `${cpuBetween(first, inBackfill.at(-1)!).join(" / ")} | ` +
        `${peakRss(inBackfill).join(" / ")} | ${Math.max(...inBackfill.map((x) => x.connections))} |`,
    );
    if (duringBackfill.length > 0) {
      // Integrations whose backfill finished early had slots while others' backfills still ran.
      const lags = duringBackfill.map((r) => r.lag);
      const durations = duringBackfill.map((r) => r.duration).filter((d): d is number => d !== null);
      console.log(
        `| during backfill | — / ${duringBackfill.length} / — | ${s(percentile(lags, 50))} / ${s(percentile(lags, 95))} / ${s(Math.max(...lags))}` +
          ` | ${s(percentile(durations, 50))} / ${s(percentile(durations, 95))} | — | — | — | — | — | — |`,
      );
    }
    for (let k = 0; k < waves; k++) {
      const wave = byWave[k]!;
      if (wave.length === 0) {
        console.log(`| ${k + 1} | ${n} / 0 / ${skipped[k]} | — | — | — | — | — | — | — | — |`);
        continue;
      }
      const lags = wave.map((r) => r.lag);
      const durations = wave.map((r) => r.duration).filter((d): d is number => d !== null);
      const from = Math.min(...wave.map((r) => r.start));
      const to = Math.max(...wave.map((r) => r.end), from + 1_000);
      const inWave = samples.filter((x) => x.at >= from && x.at <= to + 1_000);
      const before = samples.filter((x) => x.at <= from).at(-1) ?? first;
      const after = inWave.at(-1) ?? samples.at(-1)!;
      const seconds = (after.at - before.at) / 1000 || 1;
      const cpu = after.cpuTicks.map((t, i) => (((t - before.cpuTicks[i]!) / CLOCK_TICKS / seconds) * 100).toFixed(0));
      const rss = workers.map((_, i) => Math.round(Math.max(...inWave.map((x) => x.rssKb[i]!), 0) / 1024));
      const perWorker = names.map((name) => wave.filter((r) => r.worker === name).length);
      const claimed = Math.max(0, ...inWave.flatMap((x) => x.claimed));
      console.log(
        `| ${k + 1} | ${n} / ${wave.length} / ${skipped[k]} | ${s(percentile(lags, 50))} / ${s(percentile(lags, 95))} / ${s(Math.max(...lags))}` +
          ` | ${s(percentile(durations, 50))} / ${s(percentile(durations, 95))} | ${perWorker.join(" / ")} | ${claimed}` +
          ` | ${after.rows} (${Math.max(...inWave.map((x) => x.rows))}) | ${cpu.join(" / ")} | ${rss.join(" / ")}` +
          ` | ${Math.max(...inWave.map((x) => x.connections))} |`,
      );
    }
    const last = samples.at(-1)!;
    console.log(`| end | — | — | — | — | — | ${last.rows} | — | — | ${last.connections} |`);
    for (const w of workers)
      if (w.errors > 0) console.log(`${w.name}: ${w.errors} error log lines; last: ${w.lastError}`);
  } finally {
    for (const w of workers) w.child.kill("SIGTERM");
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.child.exitCode === null ? w.child.once("exit", r) : r(null)))),
    );
    await runtime.close();
    if (!process.env.BENCH_KEEP) await database.drop();
    else console.log(`kept ${database.url}`);
    for (const sim of sims) await sim.close();
  }
}

if (workerCommand.build) execSync(workerCommand.build, { cwd: ROOT, stdio: "inherit" });
const sizes = args.integrations.split(",").map(Number);
for (const n of sizes)
  await benchScale(n, {
    intervalMinutes: Number(args["interval-minutes"]),
    waves: Number(args.waves),
    workers: Number(args.workers),
    retentionSeconds: Number(args["retention-seconds"]),
    cleanupSeconds: Number(args["cleanup-seconds"]),
    importConcurrency: args["import-concurrency"],
    jobConcurrency: args["job-concurrency"],
  });
process.exit(0);
