/**
 * Hot reads against a raw-SQL floor, and live progress fan-out.
 *
 * callsync (`npm run serve`, production settings, its own process) and the floor (bench/hot/
 * floor.ts, one hand-written SQL statement per request, same JSON, same auth check) each talk to
 * PostgreSQL through a metering relay (statements, bytes, backend CPU). A load generator in its
 * own process drives one system at a time; rounds interleave the systems so drift on this shared
 * machine hits both alike. Printed: system × query × connections → req/s, p50, p95, CPU ms per
 * request (Node and PostgreSQL), KB read from PostgreSQL and SQL statements per request; the
 * ratios to the floor with their spread over the rounds; serve's RSS after the load; and the
 * fan-out of one integration's syncProgress to 1, 100 and 500 graphql-ws subscribers.
 *
 * Sizing (env): BENCH_ROUNDS (3), BENCH_SECONDS per run (3), BENCH_CONNECTIONS ("1,8,32"),
 * BENCH_SUBSCRIBERS ("1,100,500", "" skips the fan-out), BENCH_EVENTS per fan-out level (20),
 * BENCH_QUERIES ("deal page,deal list"), FLOOR_PREPARED=1 (the floor prepares its statements too).
 * With BENCH_PROFILE=<dir> serve writes a CPU profile there.
 */
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { mintToken } from "../../src/auth/tokens.js";
import { openDatabase } from "../../src/db/client.js";
import { createEventBus } from "../../src/events/pubsub.js";
import { freePort, percentile, seededBenchDatabase } from "../support.js";
import { seedHotDataset } from "./dataset.js";
import { type PgMeter, startPgMeter } from "./pg-meter.js";
import { processCpuMs, processRssMb } from "./proc.js";
import { runLoad, type ServerProcess, serveCommand, startFloor, startServe, startSubscribers } from "./processes.js";
import { DEAL_LIST, DEAL_PAGE } from "./queries.js";

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const ROUNDS = Number(env("BENCH_ROUNDS", "3"));
const SECONDS = Number(env("BENCH_SECONDS", "3"));
const CONNECTIONS = env("BENCH_CONNECTIONS", "1,8,32").split(",").map(Number);
const SUBSCRIBERS = env("BENCH_SUBSCRIBERS", "1,100,500").split(",").filter(Boolean).map(Number);
const QUERIES = env("BENCH_QUERIES", "deal page,deal list").split(",");
const EVENTS = Number(env("BENCH_EVENTS", "20"));
const REDIS_URL = env("BENCH_REDIS_URL", "redis://127.0.0.1:6379");
/** The seeded template is reused while these (and the migrations) are unchanged. */
const DATASET_SOURCES = ["dataset.ts", "../../src/sync/store.ts", "../../src/deals/linking.ts"].map((f) =>
  fileURLToPath(new URL(f, import.meta.url)),
);

interface System {
  name: "floor" | "callsync";
  server: ServerProcess;
  meter: PgMeter;
}

interface Sample {
  system: System["name"];
  query: string;
  connections: number;
  round: number;
  rps: number;
  latenciesMs: number[];
  nodeCpuMs: number;
  pgCpuMs: number;
  pgBytes: number;
  statements: number;
  requests: number;
}

const median = (xs: number[]) => percentile(xs, 50);
/** This machine may be shared: the load average says how much the absolute numbers can be trusted. */
const loadAverage = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ")} (1/5/15 min) on ${cpus().length} cores`;
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");

async function post(url: string, token: string, body: string): Promise<string> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body,
  });
  return res.text();
}

/** Requests/s seen last for a system × query × connections: sizes the next run to about SECONDS. */
const rate = new Map<string, number>();

async function measure(
  system: System,
  query: string,
  body: string,
  token: string,
  connections: number,
  expectBody: string,
  round: number,
): Promise<Sample> {
  const key = `${system.name}/${query}`;
  const estimate = rate.get(`${key}/${connections}`) ?? rate.get(`${key}/warm-up`)! * (connections === 1 ? 0.3 : 1);
  const requests = Math.max(2 * connections, Math.round(estimate * SECONDS));
  const cpu0 = processCpuMs(system.server.pid)!;
  const db0 = system.meter.totals();
  const load = await runLoad({ url: system.server.url, body, token, connections, requests, expectBody });
  rate.set(`${key}/${connections}`, load.requests / load.seconds);
  const cpu1 = processCpuMs(system.server.pid)!;
  const db1 = system.meter.totals();
  if (load.mismatches || load.non2xx || load.errors)
    throw new Error(
      `${system.name} ${query}: ${load.mismatches} wrong bodies, ${load.non2xx} non-2xx, ${load.errors} errors`,
    );
  const n = Math.max(1, load.requests);
  return {
    system: system.name,
    query,
    connections,
    round,
    rps: load.requests / load.seconds,
    latenciesMs: load.latenciesMs,
    nodeCpuMs: (cpu1 - cpu0) / n,
    pgCpuMs: (db1.backendCpuMs - db0.backendCpuMs) / n,
    pgBytes: (db1.bytesFromServer - db0.bytesFromServer) / n,
    statements: (db1.statements - db0.statements) / n,
    requests: load.requests,
  };
}

function printTables(samples: Sample[], queries: string[]) {
  console.log(`\n## Hot reads: callsync vs the raw-SQL floor (${ROUNDS} interleaved rounds × ${SECONDS} s per run)\n`);
  console.log(
    "| system | query | conns | req/s (median) | p50 ms | p95 ms | CPU ms/req Node + PG | KB from PG /req | SQL /req |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const query of queries)
    for (const connections of CONNECTIONS)
      for (const system of ["floor", "callsync"] as const) {
        const runs = samples.filter((s) => s.system === system && s.query === query && s.connections === connections);
        const lat = runs.flatMap((s) => s.latenciesMs);
        const total = runs.reduce((a, s) => a + s.requests, 0);
        const per = (k: "nodeCpuMs" | "pgCpuMs" | "pgBytes" | "statements") =>
          runs.reduce((a, s) => a + s[k] * s.requests, 0) / total;
        console.log(
          `| ${system} | ${query} | ${connections} | ${fmt(median(runs.map((s) => s.rps)), 0)} | ${fmt(percentile(lat, 50))} | ${fmt(percentile(lat, 95))} | ${fmt(per("nodeCpuMs"), 2)} + ${fmt(per("pgCpuMs"), 2)} | ${fmt(per("pgBytes") / 1024)} | ${fmt(per("statements"), 2)} |`,
        );
      }
  console.log("\n### callsync ÷ floor, per round: median [min – max]\n");
  console.log("| query | conns | req/s ratio | CPU/req ratio (Node + PG) | p95 ratio |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const query of queries)
    for (const connections of CONNECTIONS) {
      const ratios = { rps: [] as number[], cpu: [] as number[], p95: [] as number[] };
      for (let round = 1; round <= ROUNDS; round++) {
        const pick = (system: string) =>
          samples.find(
            (s) => s.system === system && s.query === query && s.connections === connections && s.round === round,
          )!;
        const c = pick("callsync");
        const f = pick("floor");
        ratios.rps.push(c.rps / f.rps);
        ratios.cpu.push((c.nodeCpuMs + c.pgCpuMs) / (f.nodeCpuMs + f.pgCpuMs));
        ratios.p95.push(percentile(c.latenciesMs, 95) / percentile(f.latenciesMs, 95));
      }
      const spread = (xs: number[]) =>
        `${fmt(median(xs), 2)} [${fmt(Math.min(...xs), 2)} – ${fmt(Math.max(...xs), 2)}]`;
      console.log(
        `| ${query} | ${connections} | ×${spread(ratios.rps)} | ×${spread(ratios.cpu)} | ×${spread(ratios.p95)} |`,
      );
    }
}

async function fanOut(serve: System, db: pg.Pool, token: string, data: Awaited<ReturnType<typeof seedHotDataset>>) {
  const bus = createEventBus(REDIS_URL);
  const integrationId = Buffer.from(data.integrationId, "base64").toString().split(":")[1]!;
  let statusIndex = 0;
  // The worker's side of a progress event: commit the change, then publish (as SyncEngine does).
  const progress = async () => {
    const statusId = data.statusIds[statusIndex++ % data.statusIds.length]!;
    await db.query(
      `UPDATE "SyncUserStatus" SET "callsImported" = "callsImported" + 1, "updatedAt" = now() WHERE id = $1`,
      [statusId],
    );
    bus.pubsub.publish("syncProgress", integrationId, { integrationId, runId: data.runId, statusId, at: Date.now() });
  };
  console.log(`\n## Live progress fan-out: one integration's syncProgress, ${EVENTS} events at 10/s per level\n`);
  console.log(
    "| subscribers | deliveries | latency commit → receipt p50 / p95 / max | serve CPU per delivery | PG CPU per event | serve RSS after |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  const loadBefore = loadAverage();
  try {
    for (const count of SUBSCRIBERS) {
      const groups = Array.from({ length: Math.ceil(count / 250) }, (_, g) =>
        startSubscribers({
          url: serve.server.url,
          token,
          integrationId: data.integrationId,
          count: Math.min(250, count - g * 250),
        }),
      );
      const warmUntil = Date.now() + 60_000;
      for (;;) {
        await progress();
        await new Promise((r) => setTimeout(r, 200));
        const warmed = (await Promise.all(groups.map((g) => g.status()))).reduce((a, s) => a + s.warmed, 0);
        if (warmed === count) break;
        if (Date.now() > warmUntil) throw new Error(`only ${warmed} of ${count} subscribers received events`);
      }
      await new Promise((r) => setTimeout(r, 500));
      for (const g of groups) g.reset();
      const cpu0 = processCpuMs(serve.server.pid)!;
      const db0 = serve.meter.totals();
      for (let e = 0; e < EVENTS; e++) {
        await progress();
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1500));
      const cpu1 = processCpuMs(serve.server.pid)!;
      const db1 = serve.meter.totals();
      const reports = await Promise.all(groups.map((g) => g.report()));
      const lat = reports.flatMap((r) => r.latenciesMs);
      const errors = reports.reduce((a, r) => a + r.errors, 0);
      console.log(
        `| ${count} | ${lat.length} of ${count * EVENTS}${errors ? ` (${errors} errors)` : ""} | ${fmt(percentile(lat, 50))} / ${fmt(percentile(lat, 95))} / ${fmt(Math.max(...lat))} ms | ${fmt(((cpu1 - cpu0) / Math.max(1, lat.length)) * 1000, 0)} µs | ${fmt((db1.backendCpuMs - db0.backendCpuMs) / EVENTS, 2)} ms | ${fmt(processRssMb(serve.server.pid)!, 0)} MB |`,
      );
    }
    console.log(`\nFan-out measured from ${loadBefore} to ${loadAverage()}`);
  } finally {
    await bus.close();
  }
}

export async function benchHot(): Promise<void> {
  const started = performance.now();
  const database = await seededBenchDatabase("hot", DATASET_SOURCES, async (url) => {
    // Seeding stores 10,100 calls in transactions that also link deals; on a busy machine one
    // can outlast Prisma's 5 s default for interactive transactions.
    const db = openDatabase(url, { transactionTimeoutMs: 120_000 });
    try {
      const data = await seedHotDataset(db.prisma);
      // Bulk-loaded tables get fresh planner statistics, as autovacuum would give them in production.
      await db.pool.query("ANALYZE");
      return data;
    } finally {
      await db.close();
    }
  });
  const data = database.data;
  const seedDb = openDatabase(database.url);
  const servers: ServerProcess[] = [];
  const meters: PgMeter[] = [];
  try {
    console.log(
      `\nData: ${data.deals} deals, ${data.calls} calls with participants, summaries, action items and transcripts (${database.seededNow ? "seeded" : "cloned from the seeded template"} in ${fmt((performance.now() - started) / 1000)} s)`,
    );
    const jwt = { secret: randomBytes(32).toString("hex"), issuer: "callsync", audience: "callsync-api" };
    const token = await mintToken(jwt, { userId: data.userId, workspaceId: data.workspaceId });
    const floorMeter = await startPgMeter(database.url);
    const serveMeter = await startPgMeter(database.url);
    meters.push(floorMeter, serveMeter);
    const floorServer = await startFloor({ FLOOR_DATABASE_URL: floorMeter.url, JWT_SECRET: jwt.secret });
    servers.push(floorServer);
    const serveServer = await startServe(
      {
        NODE_ENV: "production",
        DATABASE_URL: serveMeter.url,
        JWT_SECRET: jwt.secret,
        CREDENTIALS_KEYS: `bench:${randomBytes(32).toString("base64")}`,
        PURGE_AUDIT_KEY: randomBytes(32).toString("base64"),
        REDIS_URL,
        WORKER_IN_PROCESS: "false",
        LOG_LEVEL: "info",
      },
      await freePort(),
    );
    servers.push(serveServer);
    const systems: System[] = [
      { name: "floor", server: floorServer, meter: floorMeter },
      { name: "callsync", server: serveServer, meter: serveMeter },
    ];

    const queries = [
      { name: "deal page", body: JSON.stringify({ query: DEAL_PAGE, variables: { id: data.dealId } }) },
      { name: "deal list", body: JSON.stringify({ query: DEAL_LIST, variables: {} }) },
    ].filter((q) => QUERIES.includes(q.name));
    const expected = new Map<string, string>();
    for (const q of queries) {
      const [floor, callsync] = await Promise.all(systems.map((s) => post(s.server.url, token, q.body)));
      if (floor !== callsync)
        throw new Error(
          `the floor's ${q.name} differs from callsync's:\nfloor:    ${floor!.slice(0, 600)}\ncallsync: ${callsync!.slice(0, 600)}`,
        );
      if (!callsync!.startsWith('{"data":') || callsync!.includes('"errors"'))
        throw new Error(`${q.name}: ${callsync}`);
      expected.set(q.name, callsync!);
    }
    for (const system of systems)
      for (const q of queries) {
        const warm = await runLoad({
          url: system.server.url,
          body: q.body,
          token,
          connections: 8,
          requests: 64,
          expectBody: expected.get(q.name)!,
        });
        rate.set(`${system.name}/${q.name}/warm-up`, warm.requests / warm.seconds);
      }

    const samples: Sample[] = [];
    const loadBefore = loadAverage();
    for (let round = 1; round <= ROUNDS; round++)
      for (const q of queries)
        for (const connections of CONNECTIONS) {
          const order = (round + connections) % 2 === 0 ? systems : [...systems].reverse();
          for (const system of order)
            samples.push(await measure(system, q.name, q.body, token, connections, expected.get(q.name)!, round));
        }
    const serve = serveCommand();
    console.log(
      `\nMeasured from ${loadBefore} to ${loadAverage()}; the floor's statements ${process.env.FLOOR_PREPARED === "1" ? "prepared (FLOOR_PREPARED=1), as callsync's hot reads are" : "unprepared (FLOOR_PREPARED=1 prepares them, as callsync's hot reads are)"}; serve ran as \`node ${[...serve.flags, serve.script].join(" ")} serve\`${serve.build ? ` after \`${serve.build}\`` : ""}`,
    );
    printTables(
      samples,
      queries.map((q) => q.name),
    );
    console.log(
      `\nRSS after the load run: callsync serve ${fmt(processRssMb(serveServer.pid)!, 0)} MB, floor ${fmt(processRssMb(floorServer.pid)!, 0)} MB`,
    );

    if (SUBSCRIBERS.length > 0) await fanOut(systems[1]!, seedDb.pool, token, data);
  } finally {
    for (const s of servers) await s.stop();
    for (const m of meters) await m.close();
    await seedDb.close();
    await database.drop();
  }
}
