/**
 * A fault-injecting TCP proxy for chaos tests: callsync processes connect to PostgreSQL or Redis
 * through it, so an outage can be staged without stopping the shared servers.
 *
 *   const pg = await startFaultProxy(5432);        // pg.port → use in DATABASE_URL
 *   pg.cut();                                       // every connection reset, new ones refused
 *   pg.restore();                                   // connections accepted again
 *   await pg.outage(30_000);                        // cut, wait, restore
 */
import { createConnection, createServer, type Socket } from "node:net";

export interface FaultProxy {
  port: number;
  /** Connections accepted so far (a reconnecting client shows up here). */
  readonly accepted: number;
  readonly isCut: boolean;
  /** Resets every open connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  /** cut(), wait `ms`, restore(). */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<FaultProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let cut = false;
  let accepted = 0;
  const server = createServer((client) => {
    if (cut) {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const upstream = createConnection({ port: targetPort, host: targetHost });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const proxy: FaultProxy = {
    port,
    get accepted() {
      return accepted;
    },
    get isCut() {
      return cut;
    },
    cut() {
      cut = true;
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      cut = false;
    },
    async outage(ms) {
      proxy.cut();
      await new Promise((r) => setTimeout(r, ms));
      proxy.restore();
    },
    close() {
      proxy.cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
