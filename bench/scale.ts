/**
 * `npm run bench:scale`: the scheduler at scale. N Gong integrations (one workspace and one
 * simulator account each, 3 matched users), all connected at the same moment, worker processes
 * (`npm run worker`) doing the work, the sync interval shortened so a few waves fit in minutes.
 * Prints per wave (the k-th scheduled run of every integration): syncs expected / run, start lag
 * (start − due) p50 / p95 / max, run duration p50 / p95, jobs table rows at the wave's end, and
 * the workers' CPU and peak RSS during it. Numbers only; nothing is asserted.
 *
 *   npm run bench:scale -- --integrations 50,200,500 --interval-minutes 1 --waves 3 --workers 2
 *
 * The due time of a run is the integration's `nextSyncAt` as it stood before the run (sampled
 * every second), so the same bench measures any scheduling policy.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.js";
import { CredentialCipher } from "../src/integrations/crypto.js";
import { openRuntime } from "../src/runtime.js";
import { generateGongDataset } from "../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../src/simulators/gong/server.js";
import { defaultScenario } from "../src/simulators/scenario.js";
import { benchDatabase, percentile } from "./support.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLOCK_TICKS = 100;

const { values: args } = parseArgs({
  options: {
    integrations: { type: "string", default: "500" },
    "interval-minutes": { type: "string", default: "1" },
    waves: { type: "string", default: "3" },
    workers: { type: "string", default: "2" },
  },
});

interface Sample {
  at: number;
  rows: number;
  cpuTicks: number[];
  rssKb: number[];
}

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

function startWorker(env: Record<string, string>, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "worker"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env, WORKER_NAME: name, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"msg":"worker started"')) {
        child.stdout!.off("data", onData);
        resolve(child);
      }
      if (out.length > 100_000) out = out.slice(-10_000);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (c: Buffer) => process.stderr.write(`[${name}] ${c}`));
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}) before it started:\n${out}`)));
  });
}

async function benchScale(n: number, intervalMinutes: number, waves: number, workerCount: number) {
  const intervalMs = intervalMinutes * 60_000;
  const scenario = defaultScenario({ callsPerUser: 3, fromMs: Date.now() - 20 * 86_400_000 });
  const dataset = generateGongDataset(scenario);
  const sims: GongSimulator[] = [];
  for (let i = 0; i < n; i++) sims.push(await startGongSimulator({ dataset, switches: { visibleAfterMs: 0 } }));
  const database = await benchDatabase();
  const env = {
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    GONG_CLIENT_ID: sims[0]!.clientId,
    GONG_CLIENT_SECRET: sims[0]!.clientSecret,
    GONG_AUTHORIZE_URL: `${sims[0]!.url}/oauth2/authorize`,
    GONG_TOKEN_URL: `${sims[0]!.url}/oauth2/generate-customer-token`,
  };
  const config = loadConfig({ ...env, LOG_LEVEL: "silent", WORKER_IN_PROCESS: "false" });
  const runtime = await openRuntime(config, { role: "none" });
  const { prisma, pool } = runtime.db;
  const cipher = new CredentialCipher(config.credentialKeys);
  const workers: ChildProcess[] = [];
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
    for (let w = 0; w < workerCount; w++) workers.push(await startWorker(env, `scale-w${w + 1}`));

    // All connected at the same moment: backfill now, the recurring sync from then on.
    const t0 = Date.now();
    await Promise.all(integrations.map((i) => runtime.services.wizard.startSync(i.id, i.adminId)));

    const dues = new Map<string, number[]>();
    const samples: Sample[] = [];
    const sample = async () => {
      const [{ rows }, next] = await Promise.all([
        pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM agenda_jobs`),
        prisma.integration.findMany({ select: { id: true, nextSyncAt: true } }),
      ]);
      for (const r of next) {
        if (!r.nextSyncAt) continue;
        const list = dues.get(r.id) ?? [];
        if (list.at(-1) !== r.nextSyncAt.getTime()) list.push(r.nextSyncAt.getTime());
        dues.set(r.id, list);
      }
      const stats = workers.map((w) => procStats(w.pid!));
      samples.push({
        at: Date.now(),
        rows: rows[0]!.n,
        cpuTicks: stats.map((s) => s.ticks),
        rssKb: stats.map((s) => s.rssKb),
      });
    };
    // Until every integration's last wave was due, plus time for it to run.
    const until = t0 + (waves + 1) * intervalMs + 15_000;
    while (Date.now() < until) {
      await sample();
      await sleep(1_000);
    }
    for (let i = 0; i < 60; i++) {
      const running = await prisma.syncRun.count({ where: { status: "RUNNING" } });
      await sample();
      if (running === 0) break;
      await sleep(1_000);
    }

    const runs = await prisma.syncRun.findMany({
      where: { kind: "SCHEDULED" },
      select: { integrationId: true, startedAt: true, finishedAt: true },
      orderBy: { startedAt: "asc" },
    });
    type WaveRun = { lag: number; duration: number | null; start: number; end: number };
    const byWave: WaveRun[][] = Array.from({ length: waves }, () => []);
    let duplicates = 0;
    const seen = new Set<string>();
    for (const run of runs) {
      const list = dues.get(run.integrationId) ?? [];
      const start = run.startedAt.getTime();
      // The due time this run answered: the last nextSyncAt at or before its start.
      let k = -1;
      for (let i = 0; i < list.length; i++) if (list[i]! <= start + 1_000) k = i;
      if (k < 0 || k >= waves) continue;
      const key = `${run.integrationId}:${k}`;
      if (seen.has(key)) duplicates++;
      seen.add(key);
      const end = run.finishedAt?.getTime() ?? start;
      byWave[k]!.push({ lag: start - list[k]!, duration: run.finishedAt ? end - start : null, start, end });
    }

    const s = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `\n### ${n} integrations, interval ${intervalMinutes} min, ${workerCount} workers` +
        (duplicates ? ` — ${duplicates} duplicate runs!` : ""),
    );
    console.log(
      "| wave | syncs expected / run | start lag p50 / p95 / max (s) | run duration p50 / p95 (s) | jobs rows | worker CPU % | worker RSS MB |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- |");
    const first = samples[0]!;
    console.log(
      `| connect | — | — | — | ${first.rows} | — | ${first.rssKb.map((r) => Math.round(r / 1024)).join(" / ")} |`,
    );
    for (let k = 0; k < waves; k++) {
      const wave = byWave[k]!;
      if (wave.length === 0) {
        console.log(`| ${k + 1} | ${n} / 0 | — | — | — | — | — |`);
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
      console.log(
        `| ${k + 1} | ${n} / ${wave.length} | ${s(percentile(lags, 50))} / ${s(percentile(lags, 95))} / ${s(Math.max(...lags))}` +
          ` | ${s(percentile(durations, 50))} / ${s(percentile(durations, 95))} | ${after.rows} | ${cpu.join(" / ")} | ${rss.join(" / ")} |`,
      );
    }
    const last = samples.at(-1)!;
    console.log(`| end | — | — | — | ${last.rows} | — | — |`);
  } finally {
    for (const w of workers) w.kill("SIGTERM");
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode === null ? w.once("exit", r) : r(null)))));
    await runtime.close();
    await database.drop();
    for (const sim of sims) await sim.close();
  }
}

const sizes = args.integrations.split(",").map(Number);
for (const n of sizes) await benchScale(n, Number(args["interval-minutes"]), Number(args.waves), Number(args.workers));
process.exit(0);
