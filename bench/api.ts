/**
 * The two hot queries (deal page; 50 deals with their 5 latest calls) on a workspace and on one
 * with 10× the deals and 10× the calls per deal: SQL statements per request (must not grow) and
 * request latency with 1 and 8 concurrent clients over real HTTP, with the ratio to the base.
 */
import { mintToken } from "../src/auth/tokens.js";
import { loadConfig } from "../src/config.js";
import type { Db } from "../src/db/client.js";
import { openRuntime } from "../src/runtime.js";
import { storeCalls } from "../src/sync/store.js";
import { callRecord } from "../test/support/calls.js";
import { benchDatabase, ms, percentile } from "./support.js";

const DEAL_PAGE = `query($id: ID!) { deal(id: $id) { id name stage amount account { name }
  calls(first: 20) { totalCount edges { node { id title startedAt durationMs providerUrl
    participants { name email isInternal } summary { brief keyPoints } actionItems { text owner { name } }
    dealLink { status } } } } } }`;
const DEAL_LIST = `{ deals(first: 50) { edges { node { id name stage
  calls(first: 5) { edges { node { id title startedAt participants { name isInternal } } } } } } } }`;

async function workspace(db: Db, name: string, deals: number, callsPerDeal: number) {
  const ws = await db.workspace.create({
    data: { name, users: { create: { email: `admin@${name}.test`, name: "Admin", role: "ADMIN" } } },
    include: { users: true },
  });
  await db.crmConnection.create({ data: { workspaceId: ws.id, provider: "SALESFORCE" } });
  const integration = await db.integration.create({
    data: { workspaceId: ws.id, provider: "GONG", status: "CONNECTED", wizardStep: "COMPLETE" },
  });
  let n = 0;
  let firstDeal = "";
  for (let d = 0; d < deals; d++) {
    const crmId = `006${name}${String(d).padStart(10, "0")}`;
    const deal = await db.deal.create({
      data: { workspaceId: ws.id, crmProvider: "SALESFORCE", crmId, name: `${name} deal ${d}` },
    });
    firstDeal ||= deal.id;
    const records = Array.from({ length: callsPerDeal }, () =>
      callRecord(++n, { crmRefs: [{ system: "SALESFORCE", objectType: "Opportunity", objectId: crmId }] }),
    );
    await storeCalls(
      db,
      {
        workspaceId: ws.id,
        integrationId: integration.id,
        provider: "GONG",
        usersByEmail: new Map(),
        usersByProviderId: new Map(),
        transcriptWindowMs: 86_400_000,
      },
      records,
    );
  }
  return { user: ws.users[0]!, dealId: Buffer.from(`Deal:${firstDeal}`).toString("base64"), calls: n };
}

export async function benchApi(): Promise<void> {
  const database = await benchDatabase();
  let statements = 0;
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    LOG_LEVEL: "silent",
    WORKER_IN_PROCESS: "false",
  });
  const runtime = await openRuntime(config, { role: "serve", port: 0, onQuery: () => statements++ });
  try {
    const url = runtime.app!.url();
    const sizes = [
      { name: "base", deals: 50, callsPerDeal: 2 },
      { name: "tenfold", deals: 500, callsPerDeal: 20 },
    ];
    console.log("\n## Hot queries (SQL statements per request; latency over HTTP)\n");
    console.log(
      "| data | calls stored | query | statements | 1 client p50 / p95 | 8 clients p50 / p95 | 8 clients req/s |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- |");
    const baseline: Record<string, number> = {};
    for (const size of sizes) {
      const started = performance.now();
      const ws = await workspace(runtime.db.prisma, size.name, size.deals, size.callsPerDeal);
      // Bulk-loaded tables get fresh planner statistics, as autovacuum would give them in production.
      await runtime.db.pool.query("ANALYZE");
      const seeded = ((performance.now() - started) / 1000).toFixed(1);
      const token = await mintToken(config.jwt, { userId: ws.user.id, workspaceId: ws.user.workspaceId });
      for (const [label, query, variables] of [
        ["deal page", DEAL_PAGE, { id: ws.dealId }],
        ["deal list", DEAL_LIST, {}],
      ] as const) {
        const call = async () => {
          const t = performance.now();
          const res = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ query, variables }),
          });
          const body = (await res.json()) as { errors?: unknown };
          if (body.errors) throw new Error(JSON.stringify(body.errors));
          return performance.now() - t;
        };
        for (let i = 0; i < 5; i++) await call(); // warm-up
        statements = 0;
        await call();
        const perRequest = statements;
        const single: number[] = [];
        for (let i = 0; i < 100; i++) single.push(await call());
        const concurrent: number[] = [];
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            for (let i = 0; i < 50; i++) concurrent.push(await call());
          }),
        );
        const rps = (concurrent.length / ((performance.now() - t0) / 1000)).toFixed(0);
        const key = label;
        baseline[key] ??= percentile(single, 50);
        const ratio = (percentile(single, 50) / baseline[key]!).toFixed(2);
        console.log(
          `| ${size.name} (${size.deals} deals × ${size.callsPerDeal} calls; seeded in ${seeded} s) | ${ws.calls} | ${label} | ${perRequest} | ${ms(percentile(single, 50))} / ${ms(percentile(single, 95))} (×${ratio} of base) | ${ms(percentile(concurrent, 50))} / ${ms(percentile(concurrent, 95))} | ${rps} |`,
        );
      }
    }
  } finally {
    await runtime.close();
    await database.drop();
  }
}
