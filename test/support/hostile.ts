/**
 * A host posing as a provider, on loopback: counts every request it receives, and either
 * forwards to a real simulator or answers with whatever the test wants (a hostile error body,
 * a redirect elsewhere).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface HostileServer {
  url: string;
  port: number;
  requests: { method: string; path: string; authorization: string | null }[];
  /** Answers a request itself, or returns false to forward it (when `forwardTo` is set). */
  answer: (req: IncomingMessage, res: ServerResponse) => boolean;
  close(): Promise<void>;
}

export async function startHostileServer(forwardTo?: string): Promise<HostileServer> {
  const hostile: HostileServer = {
    url: "",
    port: 0,
    requests: [],
    answer: () => false,
    close: async () => {},
  };
  const server = createServer(async (req, res) => {
    hostile.requests.push({
      method: req.method ?? "GET",
      path: req.url ?? "/",
      authorization: req.headers.authorization ?? null,
    });
    if (hostile.answer(req, res)) return;
    if (!forwardTo) return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !["host", "content-length", "connection"].includes(k)),
    ) as Record<string, string>;
    const upstream = await fetch(new URL(req.url ?? "/", forwardTo), {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hostile.port = (server.address() as AddressInfo).port;
  hostile.url = `http://127.0.0.1:${hostile.port}`;
  hostile.close = () => new Promise((resolve) => server.close(() => resolve()));
  return hostile;
}
