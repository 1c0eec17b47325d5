/**
 * A TCP relay between one system under test and PostgreSQL that meters what the system asks of
 * the database, the same way for callsync and the floor: statements executed (protocol Execute
 * and simple Query messages), bytes PostgreSQL sent back, and the backend process of every
 * connection (from BackendKeyData), whose CPU time /proc reports.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { processCpuMs } from "./proc.js";

export interface PgMeterTotals {
  statements: number;
  bytesFromServer: number;
  /** CPU milliseconds of every backend this system has had (closed ones keep their last reading). */
  backendCpuMs: number;
}

export interface PgMeter {
  /** The database URL to give the system: same database, through the relay. */
  url: string;
  totals(): PgMeterTotals;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Splits a PostgreSQL message stream; the first frontend message has no type byte. */
class MessageFramer {
  private buffer: Buffer = Buffer.alloc(0);
  constructor(
    private untypedFirst: boolean,
    private onMessage: (type: string, body: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.untypedFirst) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST)
          throw new Error("pg-meter: the relay does not speak TLS; connect without sslmode");
        this.untypedFirst = false;
        this.buffer = this.buffer.subarray(length);
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      this.onMessage(String.fromCharCode(this.buffer[0]!), this.buffer.subarray(5, 1 + length));
      this.buffer = this.buffer.subarray(1 + length);
    }
  }
}

export async function startPgMeter(databaseUrl: string): Promise<PgMeter> {
  const target = new URL(databaseUrl);
  const backends = new Map<number, number>(); // pid → last CPU reading, ms
  const live = new Set<number>();
  let statements = 0;
  let bytesFromServer = 0;
  const sockets = new Set<Socket>();

  // Both legs without Nagle, as pg and PostgreSQL set their own sockets: otherwise a response split
  // over two writes waits for the peer's delayed ACK (~40 ms) and the relay, not the system, sets
  // the latency of a single connection.
  const server: Server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ port: Number(target.port || 5432), host: target.hostname, noDelay: true });
    sockets.add(client).add(upstream);
    let pid: number | null = null;
    const frontend = new MessageFramer(true, (type) => {
      if (type === "E" || type === "Q") statements++;
    });
    let watchingBackend = true;
    const backend = new MessageFramer(false, (type, body) => {
      if (type !== "K") return;
      pid = body.readInt32BE(0);
      live.add(pid);
      backends.set(pid, 0);
      watchingBackend = false;
    });
    client.on("data", (chunk) => {
      frontend.push(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      bytesFromServer += chunk.length;
      if (watchingBackend) backend.push(chunk);
      client.write(chunk);
    });
    const end = () => {
      if (pid !== null) {
        const cpu = processCpuMs(pid);
        if (cpu !== null) backends.set(pid, cpu);
        live.delete(pid);
      }
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);

  return {
    url: url.toString(),
    totals() {
      for (const pid of live) {
        const cpu = processCpuMs(pid);
        if (cpu !== null) backends.set(pid, cpu);
      }
      let backendCpuMs = 0;
      for (const cpu of backends.values()) backendCpuMs += cpu;
      return { statements, bytesFromServer, backendCpuMs };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
