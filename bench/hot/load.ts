/**
 * The load generator, in its own process so it never shares an event loop with a server:
 * autocannon at a fixed number of connections for a fixed number of requests (so every request
 * the server worked on is counted: none is cut off in flight), every response body checked
 * against the expected JSON, each response's latency recorded for exact percentiles.
 * Argument: JSON LoadSpec. Prints a LoadResult.
 */
import autocannon from "autocannon";

export interface LoadSpec {
  url: string;
  body: string;
  token: string;
  connections: number;
  requests: number;
  expectBody: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  latenciesMs: number[];
  errors: number;
  non2xx: number;
  mismatches: number;
}

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
const latenciesMs: number[] = [];
const instance = autocannon(
  {
    url: spec.url,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${spec.token}` },
    body: spec.body,
    connections: spec.connections,
    amount: spec.requests,
    expectBody: spec.expectBody,
  },
  (error, result) => {
    if (error) throw error;
    const out: LoadResult = {
      requests: latenciesMs.length,
      seconds: result.duration,
      latenciesMs,
      errors: result.errors,
      non2xx: result.non2xx,
      mismatches: result.mismatches,
    };
    process.stdout.write(JSON.stringify(out));
  },
);
instance.on("response", (_client, _status, _bytes, responseTime) => latenciesMs.push(responseTime));
