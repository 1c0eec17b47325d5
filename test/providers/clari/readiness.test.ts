import { describe, expect, it } from "vitest";
import { SimClock } from "../../../src/simulators/kit.js";
import { adaUser, call, clientFor, dataset, HOUR, MINUTE, requestsTo, simulator } from "./support.js";

const window = () => ({ fromMs: Date.now() - 24 * HOUR, toMs: Date.now() + 24 * HOUR });

/** A 10-minute call that ended `endedAgoMs` ago on the simulator's clock. */
async function recentCall(type: string, endedAgoMs: number, status = "POST_PROCESSING_DONE") {
  const clock = new SimClock();
  const one = call({ startMs: clock.now() - endedAgoMs - 10 * MINUTE, type, status });
  const sim = await simulator({ dataset: dataset([one]), clock });
  return { sim, clock, one, client: clientFor(sim) };
}

describe("Clari Copilot availability delays and readiness", () => {
  it("a call in progress is PROCESSING, with no transcript and no details request", async () => {
    const { sim, client } = await recentCall("ZOOM", -5 * MINUTE);
    const [record] = (await client.listCallsPage(adaUser, window(), null)).calls;
    expect(record).toMatchObject({ readiness: "PROCESSING", transcript: null, summary: null, actionItems: null });
    expect(requestsTo(sim, "/call-details")).toBe(0);
  });

  it("a meeting moves PROCESSING → transcript in (AI pending) → READY within 30–45 minutes of its end", async () => {
    const { clock, client } = await recentCall("ZOOM", 2 * MINUTE);
    const read = async () => (await client.listCallsPage(adaUser, window(), null)).calls[0];

    expect(await read()).toMatchObject({ readiness: "PROCESSING", transcript: null });

    clock.advance(10 * MINUTE);
    const processed = await read();
    expect(processed).toMatchObject({ readiness: "TRANSCRIPT_PENDING", summary: null, actionItems: null });
    expect(processed?.transcript).toHaveLength(2);

    clock.advance(35 * MINUTE); // 47 minutes after the end
    const done = await read();
    expect(done).toMatchObject({
      readiness: "READY",
      summary: { brief: "A short call.", keyPoints: ["Intro: Said hello."] },
    });
    expect(done?.providerUpdatedAt).toBeGreaterThan(processed?.providerUpdatedAt ?? Number.POSITIVE_INFINITY);
  });

  it("a dialer call takes 1–1.5 hours: not ready at 50 minutes, ready at 95", async () => {
    const { clock, client } = await recentCall("DIALER", 50 * MINUTE);
    const read = async () => (await client.listCallsPage(adaUser, window(), null)).calls[0]?.readiness;
    expect(await read()).toBe("TRANSCRIPT_PENDING");
    clock.advance(45 * MINUTE);
    expect(await read()).toBe("READY");
  });

  it("a call that failed for good is FAILED once processed and is never detailed", async () => {
    const { sim, clock, client } = await recentCall("ZOOM", 2 * MINUTE, "NOBODY_JOINED_CALL");
    expect((await client.listCallsPage(adaUser, window(), null)).calls[0]?.readiness).toBe("PROCESSING");
    clock.advance(2 * HOUR);
    expect((await client.listCallsPage(adaUser, window(), null)).calls[0]).toMatchObject({
      readiness: "FAILED",
      transcript: null,
      summary: null,
    });
    expect(requestsTo(sim, "/call-details")).toBe(0);
  });

  it("a transcript follow-up before the call is processed leaves it out when Clari answers 404 or 400", async () => {
    for (const detailsNotReady of [404, 400] as const) {
      const { sim, one, client } = await recentCall("ZOOM", 2 * MINUTE);
      sim.settings.detailsNotReady = detailsNotReady;
      await expect(client.fetchCalls([one.id])).resolves.toEqual([]);
    }
  });

  it("a transcript follow-up before the call is processed says PROCESSING when Clari answers with the bare call", async () => {
    const { sim, one, client } = await recentCall("ZOOM", 2 * MINUTE);
    sim.settings.detailsNotReady = "partial";
    const [record] = await client.fetchCalls([one.id]);
    expect(record).toMatchObject({ providerCallId: one.id, readiness: "PROCESSING", transcript: null });
  });

  it("a transcript follow-up after processing returns the transcript and AI content", async () => {
    const { clock, one, client } = await recentCall("ZOOM", 2 * MINUTE);
    clock.advance(HOUR);
    const [record] = await client.fetchCalls([one.id]);
    expect(record).toMatchObject({ readiness: "READY", actionItems: [{ text: "Send the deck" }] });
  });

  it("with delays switched off, every call is served as stored", async () => {
    const { sim, client } = await recentCall("ZOOM", 2 * MINUTE);
    sim.settings.availability.enabled = false;
    expect((await client.listCallsPage(adaUser, window(), null)).calls[0]?.readiness).toBe("READY");
  });
});
