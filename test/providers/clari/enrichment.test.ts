import { describe, expect, it } from "vitest";
import { ADA, adaUser, call, calls, clientFor, dataset, HOUR, MAX, maxUser, requestsTo, simulator } from "./support.js";

const DAY = 24 * HOUR;
const window = () => ({ fromMs: Date.now() - 60 * DAY, toMs: Date.now() });

describe("Clari Copilot enrichment: one /call-details per finished call", () => {
  it("a page of 25 finished calls costs 1 list request + 25 details requests (+1 /users for names, once)", async () => {
    const sim = await simulator({ dataset: dataset(calls(25, Date.now() - 30 * DAY)) });
    const page = await clientFor(sim).listCallsPage(adaUser, window(), null);

    expect(page.calls).toHaveLength(25);
    expect(page.calls.every((c) => c.readiness === "READY" && c.transcript?.length === 2)).toBe(true);
    expect(requestsTo(sim, "/calls")).toBe(1);
    expect(requestsTo(sim, "/call-details")).toBe(25);
    expect(requestsTo(sim, "/users")).toBe(1);
    expect(new Set(sim.log.find((r) => r.path === "/call-details").map((r) => r.query.id?.[0]))).toEqual(
      new Set(page.calls.map((c) => c.providerCallId)),
    );
  });

  it("does not re-read /users when listUsers already ran in this client", async () => {
    const sim = await simulator({ dataset: dataset(calls(2, Date.now() - 3 * DAY)) });
    const client = clientFor(sim);
    await client.listUsers();
    await client.listCallsPage(adaUser, window(), null);
    expect(requestsTo(sim, "/users")).toBe(1);
  });

  it("calls still processing or failed for good are not detailed", async () => {
    const start = Date.now() - 10 * DAY;
    const sim = await simulator({
      dataset: dataset([
        call({ startMs: start, status: "WAITING_IN_QUEUE" }),
        call({ startMs: start + HOUR, status: "NOBODY_JOINED_CALL", transcript: [], summary: undefined }),
        call({ startMs: start + 2 * HOUR }),
      ]),
    });
    const page = await clientFor(sim).listCallsPage(adaUser, window(), null);
    expect(page.calls.map((c) => c.readiness)).toEqual(["PROCESSING", "FAILED", "READY"]);
    expect(requestsTo(sim, "/call-details")).toBe(1);
  });

  it("a finished call listed again under a second Copilot user is not detailed twice", async () => {
    const shared = call({
      startMs: Date.now() - 3 * DAY,
      users: [
        { userId: ADA.id, userEmail: ADA.email, isOrganizer: true, personId: 0 },
        { userId: MAX.id, userEmail: MAX.email, isOrganizer: false, personId: 2 },
      ],
    });
    const sim = await simulator({ dataset: dataset([shared]) });
    const client = clientFor(sim);
    const a = await client.listCallsPage(adaUser, window(), null);
    const m = await client.listCallsPage(maxUser, window(), null);
    expect(m.calls).toEqual(a.calls);
    expect(requestsTo(sim, "/call-details")).toBe(1);
  });

  it("a call changed upstream (new last_modified_time) is detailed again", async () => {
    const one = call({ startMs: Date.now() - 3 * DAY });
    const sim = await simulator({ dataset: dataset([one]) });
    const client = clientFor(sim);
    await client.listCallsPage(adaUser, window(), null);
    const stored = sim.dataset.calls[0];
    if (!stored) throw new Error("dataset lost its call");
    stored.title = "Renamed";
    stored.last_modified_time = new Date().toISOString();
    const again = await client.listCallsPage(adaUser, window(), null);
    expect(again.calls[0]?.title).toBe("Renamed");
    expect(requestsTo(sim, "/call-details")).toBe(2);
  });

  it("fetchCalls re-reads the given calls (one request each) and leaves unknown ids out", async () => {
    const list = calls(3, Date.now() - 3 * DAY);
    const sim = await simulator({ dataset: dataset(list) });
    const client = clientFor(sim);
    const ids = [list[0]?.id, "11111111-1111-4111-8111-111111111111", list[2]?.id].map(String);
    const got = await client.fetchCalls([...ids, ids[0] as string]);
    expect(got.map((c) => c.providerCallId)).toEqual([list[0]?.id, list[2]?.id]);
    expect(requestsTo(sim, "/call-details")).toBe(3);
    expect(got[0]?.readiness).toBe("READY");
  });

  it("fetchCalls leaves out unknown ids when Clari answers 400 instead of 404 ([I] switch)", async () => {
    const sim = await simulator({ dataset: dataset([]), settings: { notFoundStatus: 400 } });
    await expect(clientFor(sim).fetchCalls(["nope"])).resolves.toEqual([]);
  });

  it("fetchCalls with no ids costs nothing", async () => {
    const sim = await simulator();
    await expect(clientFor(sim).fetchCalls([])).resolves.toEqual([]);
    expect(sim.log.count()).toBe(0);
  });
});
