import { afterEach, describe, expect, it } from "vitest";
import type { GongCallData, GongCallTranscript } from "../../../src/providers/gong/schemas.js";
import type { ProviderUser } from "../../../src/providers/types.js";
import { isoWithOffset } from "../../../src/simulators/gong/dataset.js";
import { DAY, type Harness, HOUR, harness, isTranscript } from "./support.js";

let h: Harness;
afterEach(() => h?.close());

/** A copy of an existing call of `user` that ended `endedAgoMs` ago by the simulator's clock. */
function recentCall(user: ProviderUser, endedAgoMs: number): string {
  const template = h.sim.dataset.calls.find(
    (c) => c.metaData.primaryUserId === user.providerUserId && (c.context ?? []).length > 0,
  )!;
  const call: GongCallData = structuredClone(template);
  const id = "7000000000000000001";
  const durationMs = (call.metaData.duration ?? 0) * 1000;
  call.metaData.id = id;
  call.metaData.url = `https://us-1.app.gong.io/call?id=${id}`;
  call.metaData.started = isoWithOffset(h.sim.clock.now() - endedAgoMs - durationMs, -420);
  const transcript: GongCallTranscript = structuredClone(
    h.sim.dataset.callTranscripts.find((t) => t.callId === template.metaData.id)!,
  );
  transcript.callId = id;
  h.sim.dataset.calls.push(call);
  h.sim.dataset.callTranscripts.push(transcript);
  return id;
}

const LAST_WEEK = () => ({ fromMs: Date.now() - 7 * DAY, toMs: Date.now() + 2 * DAY });

async function ada(): Promise<ProviderUser> {
  return (await h.client.listUsers()).users.find((u) => u.email === "ada@acme.test")!;
}

describe("Gong: processing delays", () => {
  it("a call is not listed until about an hour after it ends", async () => {
    h = await harness();
    const user = await ada();
    const id = recentCall(user, 30 * 60_000);
    const ids = async () => (await h.client.listCallsPage(user, LAST_WEEK(), null)).calls.map((c) => c.providerCallId);
    expect(await ids()).not.toContain(id);
    h.sim.clock.advance(31 * 60_000);
    expect(await ids()).toContain(id);
  });

  it("a listed call without a transcript yet is TRANSCRIPT_PENDING with metadata, participants and CRM ids but no transcript, summary or action items", async () => {
    h = await harness();
    const user = await ada();
    const id = recentCall(user, 2 * HOUR);
    const page = await h.client.listCallsPage(user, LAST_WEEK(), null);
    const call = page.calls.find((c) => c.providerCallId === id)!;
    expect(call.readiness).toBe("TRANSCRIPT_PENDING");
    expect(call.transcript).toBeNull();
    expect(call.summary).toBeNull();
    expect(call.actionItems).toBeNull();
    expect(call.participants.length).toBeGreaterThan(1);
    expect(call.crmRefs.length).toBeGreaterThan(0);
    expect(call.title).toBeTruthy();
    expect(call.url).toContain(id);
  });

  it("about a day after the call, a follow-up fetch finds it READY with transcript, summary and action items", async () => {
    h = await harness();
    const user = await ada();
    const id = recentCall(user, 2 * HOUR);
    expect((await h.client.fetchCalls([id]))[0]?.readiness).toBe("TRANSCRIPT_PENDING");
    h.sim.clock.advance(22 * HOUR + 60_000);
    const [call] = await h.client.fetchCalls([id]);
    expect(call?.readiness).toBe("READY");
    expect(call?.transcript?.length).toBeGreaterThan(0);
    expect(call?.summary?.brief).toBeTruthy();
    expect(call?.actionItems?.length).toBeGreaterThan(0);
  });

  it.each(["404", "empty"] as const)(
    "when no requested call has a transcript, Gong's answer (%s) reads as 'pending', not as a failure",
    async (mode) => {
      h = await harness({ switches: { transcriptsWhenNone: mode } });
      const user = await ada();
      const id = recentCall(user, 2 * HOUR);
      h.sim.log.clear();
      const [call] = await h.client.fetchCalls([id]);
      expect(call?.readiness).toBe("TRANSCRIPT_PENDING");
      expect(h.sim.log.find(isTranscript)[0]?.status).toBe(mode === "404" ? 404 : 200);
    },
  );

  it("delays are switches: with both set to zero a call that just ended is READY at once", async () => {
    h = await harness({ switches: { visibleAfterMs: 0, contentAfterMs: 0 } });
    const user = await ada();
    const id = recentCall(user, 1_000);
    expect((await h.client.fetchCalls([id]))[0]?.readiness).toBe("READY");
  });
});
