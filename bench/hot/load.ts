/**
 * The load generator, in its own process so it never shares an event loop with a server:
 * autocannon at a fixed number of connections for a fixed number of requests (so every request
 * the server worked on is counted: none is cut off in flight), every response body checked
 * against the expected JSON, each response's latency recorded for exact percentiles. The run's
 * duration is timed here, from the start to the last response: autocannon notices that the last
 * request is answered only at its next sample tick and reports a duration rounded up to it, which
 * made requests/s of a 3 s run step in thirds (1 s sample interval).
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
const started = performance.now();
let lastResponse = started;
const instance = autocannon(
  {
    url: spec.url,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${spec.token}` },
    body: spec.body,
    connections: spec.connections,
    amount: spec.requests,
    expectBody: spec.expectBody,
    // Only how soon the process notices it is done: durations are timed above.
    sampleInt: 50,
  },
  (error, result) => {
    if (error) throw error;
    const out: LoadResult = {
      requests: latenciesMs.length,
      seconds: (lastResponse - started) / 1000,
      latenciesMs,
      errors: result.errors,
      non2xx: result.non2xx,
      mismatches: result.mismatches,
    };
    process.stdout.write(JSON.stringify(out));
  },
);
instance.on("response", (_client, _status, _bytes, responseTime) => {
  latenciesMs.push(responseTime);
  lastResponse = performance.now();
});
