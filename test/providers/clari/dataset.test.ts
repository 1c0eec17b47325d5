import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateClariDataset, loadClariDataset, strictClariDataset } from "../../../src/simulators/clari/dataset.js";
import { defaultScenario } from "../../../src/simulators/scenario.js";
import { clientFor, listAll, simulator } from "./support.js";

describe("Clari Copilot simulator dataset", () => {
  const scenario = defaultScenario({ callsPerUser: 20 });
  const data = generateClariDataset(scenario);

  it("is deterministic for a seed", () => {
    expect(generateClariDataset(scenario)).toEqual(data);
  });

  it("has every scenario user, including the one no workspace user matches, each organising callsPerUser calls", () => {
    expect(data.users.map((u) => u.email)).toEqual(scenario.users.map((u) => u.email));
    expect(data.calls).toHaveLength(scenario.users.length * 20);
    for (const user of data.users)
      expect(data.calls.filter((c) => c.users?.find((u) => u.isOrganizer)?.userId === user.id)).toHaveLength(20);
  });

  it("gives most calls a deal's CRM ids, some none, and transcripts whose speakers are on the call", () => {
    const withCrm = data.calls.filter((c) => c.crm_info?.deal_id);
    expect(withCrm.length).toBeGreaterThan(data.calls.length / 2);
    expect(withCrm.length).toBeLessThan(data.calls.length);
    const dealIds = new Set(scenario.deals.map((d) => d.dealId));
    expect(withCrm.every((c) => dealIds.has(String(c.crm_info?.deal_id)))).toBe(true);
    for (const c of data.calls) {
      const people = new Set(
        [...(c.users ?? []), ...(c.externalParticipants ?? []), ...(c.joinedParticipants ?? [])].map((p) => p.personId),
      );
      for (const s of c.transcript ?? []) expect(people.has(s.personId)).toBe(true);
    }
    expect(data.calls.some((c) => (c.users?.length ?? 0) > 1)).toBe(true);
  });

  it("round-trips through a dataset file; a record the client would skip loads unchanged, a file that is not a dataset is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "clari-dataset-"));
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify(data));
    expect(loadClariDataset(good)).toEqual(data);
    const odd = join(dir, "odd.json");
    const oddCall = { id: "x", status: "PROCESSED", time: "soon" };
    writeFileSync(odd, JSON.stringify({ users: [], calls: [oddCall] }));
    const loaded = loadClariDataset(odd);
    expect(loaded.calls).toEqual([oddCall]);
    expect(strictClariDataset(loaded)).toEqual(["calls[0]"]);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ users: [], calls: "none" }));
    expect(() => loadClariDataset(bad)).toThrow(/calls/);
  });

  it("a generated tenant imports completely through the client: every organised call once", async () => {
    const sim = await simulator({ dataset: data });
    const client = clientFor(sim);
    const users = (await client.listUsers()).users;
    const seen = new Map<string, number>();
    for (const user of users) {
      const { calls } = await listAll(client, user, { fromMs: scenario.fromMs, toMs: scenario.toMs + 3_600_000 });
      for (const c of calls) seen.set(c.providerCallId, (seen.get(c.providerCallId) ?? 0) + 1);
    }
    expect(new Set(seen.keys())).toEqual(new Set(data.calls.map((c) => c.id)));
  });
});
