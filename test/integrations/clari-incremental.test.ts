/**
 * Clari Copilot incremental listing and upstream deletions, end to end with the simulator:
 * - after the backfill, a sync lists `filterModifiedGt` the user's high-water mark, so a call
 *   of five weeks ago changed in Copilot is updated by the next sync (no deep re-read for Clari);
 * - a call deleted in Copilot answers 404 on `/call-details` when callsync asks for it again (the
 *   transcript follow-up): it is marked deleted upstream and left out of the call list; a call
 *   still processing also answers 404 (not ready yet) and is not marked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateClariDataset } from "../../src/simulators/clari/dataset.js";
import { type ClariSimulator, startClariSimulator } from "../../src/simulators/clari/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { UpstreamCallsDocument, WizardSyncNowDocument } from "../generated/graphql.js";
import type { TestApi } from "../support/api.js";
import { type ApiEnv, backfillThroughWizard, clariEnv, runFinished } from "../support/backfill.js";
import { globalId } from "../support/fixtures.js";

const MIN = 60_000;
const DAY = 86_400_000;
const scenario = defaultScenario({
  callsPerUser: 6,
  segmentsPerCall: 3,
  fromMs: Date.now() - 40 * DAY,
  toMs: Date.now() - 2 * DAY,
});
const WORKSPACE_EMAILS = new Set(["ada@acme.test", "max@acme.test", "sam@acme.test"]);

let sim: ClariSimulator;
let env: ApiEnv;
let api: TestApi;
let token: string;
let integrationGid: string;
let integrationId: string;
const late = { transcript: "clari-late-transcript-only", processing: "clari-late-still-processing" };

beforeAll(async () => {
  sim = await startClariSimulator({ dataset: generateClariDataset(scenario, { failedRatio: 0 }) });
  // Two calls that ended minutes ago: one with its transcript in and AI content still running,
  // one still processing (Clari answers 404 on its details until it is done).
  const emailOf = (userId: string) => sim.dataset.users.find((u) => u.id === userId)?.email ?? "";
  const template = sim.dataset.calls.find(
    (c) =>
      c.status === "POST_PROCESSING_DONE" &&
      c.type !== "DIALER" &&
      (c.users ?? []).some((u) => WORKSPACE_EMAILS.has(emailOf(u.userId))),
  )!;
  const seconds = template.metrics?.call_duration ?? 600;
  for (const [id, endedAgo] of [
    [late.transcript, 10 * MIN],
    [late.processing, 1 * MIN],
  ] as const) {
    const copy = structuredClone(template);
    copy.id = id;
    copy.time = new Date(Date.now() - endedAgo - seconds * 1000).toISOString();
    sim.dataset.calls.push(copy);
  }
  env = await clariEnv(sim, { scenario });
  ({ api, token } = env);
  ({ integrationGid, integrationId } = await backfillThroughWizard(api, token, "CLARI_COPILOT", sim.apiKeys.default));
  await api.settleJobs();
}, 120_000);

afterAll(async () => {
  if (api) await api.settleJobs();
  await env?.close();
});

async function syncNow() {
  const run = await api.gql(WizardSyncNowDocument, { integrationId: integrationGid }, token);
  expect(run.errors).toBeUndefined();
  return runFinished(api, token, "CLARI_COPILOT", run.data!.syncNow.id);
}

describe("Clari Copilot incremental listing", () => {
  it("a call of five weeks ago changed in Copilot is updated by the next sync, which lists filterModifiedGt the mark", async () => {
    const stored = await api.prisma.call.findMany({ where: { integrationId }, select: { providerCallId: true } });
    const ids = new Set(stored.map((c) => c.providerCallId));
    const old = sim.dataset.calls.find((c) => ids.has(c.id) && Date.now() - Date.parse(c.time) > 30 * DAY)!;
    old.title = "Reprocessed in Copilot five weeks later";
    old.last_modified_time = new Date().toISOString();
    sim.log.clear();

    const done = await syncNow();
    expect(done.status).toBe("COMPLETED");
    const calls = await api.prisma.call.findMany({ where: { integrationId, providerCallId: old.id } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.title).toBe("Reprocessed in Copilot five weeks later");
    const listings = sim.log.find((r) => r.path === "/calls");
    expect(listings.length).toBeGreaterThan(0);
    for (const l of listings) expect(l.query.filterModifiedGt).toBeDefined();
    // Unchanged history is not fetched again: details only for what changed (and the follow-up).
    const details = sim.log.find((r) => r.path === "/call-details");
    expect(details.map((r) => r.query.id?.[0])).toContain(old.id);
    expect(details.length).toBeLessThan(stored.length / 2);
  }, 60_000);
});

describe("Clari Copilot upstream deletions", () => {
  it("a deleted call answering 404 on its details is marked deleted upstream and hidden; a call still processing is not", async () => {
    const before = await api.prisma.call.findMany({
      where: { integrationId, providerCallId: { in: [late.transcript, late.processing] } },
    });
    expect(before.map((c) => [c.providerCallId, c.readiness]).sort()).toEqual([
      [late.processing, "PROCESSING"],
      [late.transcript, expect.not.stringMatching(/^PROCESSING$/)],
    ]);
    expect(sim.deleteCall(late.transcript)).toBe(true);
    expect(sim.deleteCall(late.processing)).toBe(true);
    const ask = Date.now();
    await syncNow(); // the follow-up that ends the run asks for both again

    const gone = await api.prisma.call.findFirstOrThrow({ where: { integrationId, providerCallId: late.transcript } });
    expect(gone.deletedUpstreamAt?.getTime()).toBeGreaterThanOrEqual(ask);
    const waiting = await api.prisma.call.findFirstOrThrow({
      where: { integrationId, providerCallId: late.processing },
    });
    expect(waiting.deletedUpstreamAt).toBeNull();

    const list = await api.gql(UpstreamCallsDocument, {}, token);
    const listed = list.data!.calls.edges.map((e) => e.node.id);
    expect(listed).not.toContain(globalId("Call", gone.id));
    expect(listed).toContain(globalId("Call", waiting.id));
    const shown = await api.gql(UpstreamCallsDocument, { filter: { includeDeletedUpstream: true } }, token);
    expect(shown.data!.calls.edges.map((e) => e.node.id)).toContain(globalId("Call", gone.id));
  }, 60_000);
});
