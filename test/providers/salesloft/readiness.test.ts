import { afterEach, describe, expect, it } from "vitest";
import type { ProviderUser } from "../../../src/providers/types.js";
import { generateSalesloftDataset, salesloftTime } from "../../../src/simulators/salesloft/dataset.js";
import { defaultScenario } from "../../../src/simulators/scenario.js";
import { type Harness, harness, requests } from "./helpers.js";

let h: Harness;
afterEach(async () => h?.close());

const MIN = 60_000;
/** One user with 3 conversations, the newest created 1 minute ago. */
function fresh() {
  const scenario = defaultScenario({
    users: [{ email: "sam@acme.test", firstName: "Sam", lastName: "Seller" }],
    callsPerUser: 3,
    segmentsPerCall: 4,
  });
  const dataset = generateSalesloftDataset(scenario);
  const newest = dataset.conversations.at(-1);
  if (newest) newest.created_at = salesloftTime(Date.now() - MIN);
  return { scenario, dataset, newestId: newest?.id ?? "" };
}

async function newestCall(hh: Harness, id: string) {
  const [user] = (await hh.client.listUsers()).users as [ProviderUser];
  const page = await hh.client.listCallsPage(user, { fromMs: 0, toMs: Date.now() + 86_400_000 }, null);
  return page.calls.find((c) => c.providerCallId === id);
}

describe("Salesloft availability and readiness", () => {
  it("a conversation is listed once created; without a transcription yet it is TRANSCRIPT_PENDING", async () => {
    const { dataset, newestId } = fresh();
    h = await harness({ dataset, switches: { transcriptDelayMs: 15 * MIN, aiDelayMs: 30 * MIN } });
    const call = await newestCall(h, newestId);
    expect(call).toMatchObject({ readiness: "TRANSCRIPT_PENDING", transcript: null, summary: null, actionItems: null });
    expect(call?.participants.length).toBeGreaterThan(1);
    expect(requests(h.sim, /sentences$/)).toBe(2); // only the two older, processed conversations
  });

  it("with the transcript in but AI blocks still processing it is PROCESSING", async () => {
    const { dataset, newestId } = fresh();
    h = await harness({ dataset, switches: { transcriptDelayMs: 0, aiDelayMs: 30 * MIN } });
    const call = await newestCall(h, newestId);
    expect(call?.readiness).toBe("PROCESSING");
    expect(call?.transcript).toHaveLength(4);
    expect(call?.summary).toBeNull();
    expect(call?.actionItems).toBeNull();
  });

  it("when unfinished AI blocks are sent as null, a young transcribed call is PROCESSING, an old one READY", async () => {
    const { dataset, newestId } = fresh();
    h = await harness({ dataset, switches: { transcriptDelayMs: 0, aiDelayMs: 30 * MIN, pendingAiAs: "null" } });
    expect(await newestCall(h, newestId)).toMatchObject({ readiness: "PROCESSING", summary: null, actionItems: null });
    const old = h.makeClient({ aiGraceMs: 0 });
    const [call] = await old.fetchCalls([newestId]);
    expect(call).toMatchObject({ readiness: "READY", summary: null, actionItems: null });
  });

  it("an unknown in-progress status spelling still means not ready", async () => {
    const { dataset, newestId } = fresh();
    h = await harness({ dataset, switches: { transcriptDelayMs: 0, aiDelayMs: 30 * MIN, pendingStatus: "queued" } });
    expect((await newestCall(h, newestId))?.readiness).toBe("PROCESSING");
  });

  it("after the simulated clock passes the delays the same call is READY and its updated_at moved", async () => {
    const { dataset, newestId } = fresh();
    h = await harness({ dataset, switches: { transcriptDelayMs: 15 * MIN, aiDelayMs: 30 * MIN } });
    const before = await newestCall(h, newestId);
    h.sim.clock.advance(31 * MIN);
    const [after] = await h.client.fetchCalls([newestId]);
    expect(after).toMatchObject({ readiness: "READY" });
    expect(after?.transcript).toHaveLength(4);
    expect(after?.summary?.brief).toBeTruthy();
    expect(after?.providerUpdatedAt).toBeGreaterThan(before?.providerUpdatedAt ?? 0);
  });

  it("a conversation created in the simulated future is not listed yet", async () => {
    const { dataset, newestId } = fresh();
    const newest = dataset.conversations.at(-1);
    if (newest) newest.created_at = salesloftTime(Date.now() + 10 * MIN);
    h = await harness({ dataset });
    expect(await newestCall(h, newestId)).toBeUndefined();
    h.sim.clock.advance(11 * MIN);
    expect(await h.client.fetchCalls([newestId])).toHaveLength(1);
  });

  it("AI processing that failed with no transcript is FAILED", async () => {
    const { dataset, newestId } = fresh();
    const c = dataset.conversations.find((x) => x.id === newestId);
    if (c) {
      c.transcription = null;
      c.summary = { id: null, text: null, status: "failed" };
      c.action_items = { status: "failed", items: [] };
      c.key_moments = { status: "failed", items: [] };
    }
    h = await harness({ dataset });
    expect((await newestCall(h, newestId))?.readiness).toBe("FAILED");
  });

  it("a tenant without the AI add-on (404 on /extensive) still imports the call from the list payload", async () => {
    const { dataset, newestId } = fresh();
    h = await harness({ dataset, switches: { extensiveNotFound: true } });
    const call = await newestCall(h, newestId);
    expect(call).toMatchObject({ readiness: "READY", summary: null, actionItems: null });
    expect(call?.transcript).toHaveLength(4);
    // speakers the transcript names still resolve to (anonymous) participants
    const speakers = new Set(call?.participants.map((p) => p.speakerId));
    for (const s of call?.transcript ?? []) expect(speakers.has(s.speakerId)).toBe(true);
  });
});
