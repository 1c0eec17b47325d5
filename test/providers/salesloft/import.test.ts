import { afterEach, describe, expect, it } from "vitest";
import { generateSalesloftDataset } from "../../../src/simulators/salesloft/dataset.js";
import { defaultScenario } from "../../../src/simulators/scenario.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness;
afterEach(async () => h?.close());

const window = (s = defaultScenario()) => ({ fromMs: s.fromMs, toMs: Date.now() + 86_400_000 });

describe("a full import", () => {
  it("verify names the connected team and the person who authorised", async () => {
    const scenario = defaultScenario();
    h = await harness({ dataset: generateSalesloftDataset(scenario) });
    const account = await h.client.verify();
    expect(account).toEqual({
      accountId: String(h.sim.dataset.team.id),
      name: scenario.companyName,
      authorizedBy: scenario.users[0]?.email,
    });
  });

  it("imports every conversation of every user, fully enriched, with transcripts whose speakers are participants", async () => {
    const scenario = defaultScenario();
    h = await harness({ dataset: generateSalesloftDataset(scenario) });
    const users = (await h.client.listUsers()).users;
    expect(users.map((u) => u.email)).toEqual(scenario.users.map((u) => u.email));
    const seen = new Set<string>();
    for (const user of users) {
      let cursor: string | null = null;
      do {
        const page = await h.client.listCallsPage(user, window(scenario), cursor);
        for (const call of page.calls) {
          expect(call.ownerProviderUserId).toBe(user.providerUserId);
          expect(call.readiness).toBe("READY");
          expect(call.transcript?.length).toBe(scenario.segmentsPerCall);
          const speakers = new Set(call.participants.map((p) => p.speakerId));
          for (const s of call.transcript ?? []) expect(speakers.has(s.speakerId)).toBe(true);
          expect(call.summary?.brief).toBeTruthy();
          expect(call.actionItems?.length).toBeGreaterThan(0);
          expect(Number.isInteger(call.startedAt) && Number.isInteger(call.durationMs)).toBe(true);
          seen.add(call.providerCallId);
        }
        cursor = page.nextCursor;
      } while (cursor);
    }
    expect(seen.size).toBe(h.sim.dataset.conversations.length);
  });
});
