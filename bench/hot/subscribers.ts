/**
 * Fan-out subscribers, in their own process: N graphql-ws clients (one WebSocket each) on one
 * integration's syncProgress, each recording commit → receipt latency (receipt time minus the
 * event's `at`, stamped by the publisher right after its commit).
 * Argument: JSON { url, token, integrationId, count }. Commands on stdin, one per line:
 * "status" → { warmed, receipts } (warmed = subscribers that have had an event); "reset" clears
 * the latencies; "report" → { latenciesMs, receipts, errors } and exit.
 */
import { createInterface } from "node:readline";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { SYNC_PROGRESS } from "./queries.js";

const spec = JSON.parse(process.argv[2]!) as { url: string; token: string; integrationId: string; count: number };
let latenciesMs: number[] = [];
let errors = 0;
const warmed = new Set<number>();
const clients = Array.from({ length: spec.count }, (_, i) => {
  const client = createClient({
    url: spec.url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${spec.token}` },
    retryAttempts: 0,
  });
  client.subscribe<{ syncProgress: { at: string } }>(
    { query: SYNC_PROGRESS, variables: { integrationId: spec.integrationId } },
    {
      next: (result) => {
        const received = Date.now();
        if (result.errors || !result.data) {
          errors++;
          return;
        }
        latenciesMs.push(received - Date.parse(result.data.syncProgress.at));
        warmed.add(i);
      },
      error: () => errors++,
      complete: () => {},
    },
  );
  return client;
});

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "status")
    process.stdout.write(`${JSON.stringify({ warmed: warmed.size, receipts: latenciesMs.length, errors })}\n`);
  if (line === "reset") latenciesMs = [];
  if (line === "report") {
    process.stdout.write(`${JSON.stringify({ latenciesMs, receipts: latenciesMs.length, errors })}\n`);
    void Promise.all(clients.map((c) => c.dispose())).then(() => process.exit(0));
  }
});
