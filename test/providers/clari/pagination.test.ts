import { describe, expect, it } from "vitest";
import {
  ADA,
  adaUser,
  call,
  calls,
  clientFor,
  dataset,
  HOUR,
  listAll,
  MAX,
  maxUser,
  requestsTo,
  simulator,
} from "./support.js";

const DAY = 24 * HOUR;
const listRequests = (sim: Awaited<ReturnType<typeof simulator>>) => sim.log.find((r) => r.path === "/calls");
const ids = (list: { providerCallId: string }[]) => list.map((c) => c.providerCallId);

describe("Clari Copilot paging: GET /calls with skip/limit", () => {
  it("reads a window 25 calls at a time, oldest first, one list request per page", async () => {
    const start = Date.now() - 30 * DAY;
    const all = calls(60, start);
    const sim = await simulator({ dataset: dataset(all) });
    const { pages, calls: got } = await listAll(clientFor(sim), adaUser, { fromMs: start, toMs: Date.now() });

    expect(pages.map((p) => p.calls.length)).toEqual([25, 25, 10]);
    expect(pages.map((p) => p.total)).toEqual([60, 60, 60]);
    expect(ids(got)).toEqual(all.map((c) => c.id));
    const requests = listRequests(sim);
    expect(requests.map((r) => [r.query.skip?.[0], r.query.limit?.[0]])).toEqual([
      ["0", "25"],
      ["25", "25"],
      ["50", "25"],
    ]);
    for (const r of requests) {
      expect(r.query["filterUser[]"]).toEqual([ADA.email]);
      expect(r.query.sortTime).toEqual(["asc"]);
    }
  });

  it("treats the window as [from, to): a call starting exactly at `from` is in, one at `to` is out", async () => {
    const from = Date.now() - 5 * DAY;
    const to = from + DAY;
    const atFrom = call({ startMs: from });
    const atTo = call({ startMs: to });
    const sim = await simulator({ dataset: dataset([atFrom, atTo]) });
    const { calls: got } = await listAll(clientFor(sim), adaUser, { fromMs: from, toMs: to });
    expect(ids(got)).toEqual([atFrom.id]);
  });

  it("a user without an email has nothing to list and costs no request", async () => {
    const sim = await simulator({ dataset: dataset(calls(3, Date.now() - 3 * DAY)) });
    const page = await clientFor(sim).listCallsPage({ ...adaUser, email: null }, { fromMs: 0, toMs: Date.now() }, null);
    expect(page.calls).toEqual([]);
    expect(sim.log.count()).toBe(0);
  });

  it("never asks for skip beyond the ceiling: the window is split at the last call's start time", async () => {
    const start = Date.now() - 30 * DAY;
    const all = calls(37, start);
    const sim = await simulator({ dataset: dataset(all) });
    const client = clientFor(sim, { pageSize: 5, maxSkip: 10 });
    const { pages, calls: got } = await listAll(client, adaUser, { fromMs: start, toMs: Date.now() });

    expect(ids(got)).toEqual(all.map((c) => c.id));
    const requests = listRequests(sim);
    expect(Math.max(...requests.map((r) => Number(r.query.skip?.[0])))).toBeLessThanOrEqual(10);
    expect(new Set(requests.map((r) => r.query.filterTimeGt?.[0])).size).toBeGreaterThan(1);
    expect(pages.every((p) => p.total === 37)).toBe(true);
  });

  it("calls sharing the start instant where the window is split are neither lost nor repeated", async () => {
    const start = Date.now() - 30 * DAY;
    const instant = start + 5 * HOUR;
    const all = [
      ...calls(5, start),
      ...Array.from({ length: 7 }, () => call({ startMs: instant })),
      ...calls(8, start + 6 * HOUR),
    ];
    const sim = await simulator({ dataset: dataset(all) });
    const { calls: got } = await listAll(clientFor(sim, { pageSize: 4, maxSkip: 8 }), adaUser, {
      fromMs: start,
      toMs: Date.now(),
    });
    expect(got).toHaveLength(all.length);
    expect(new Set(ids(got))).toEqual(new Set(all.map((c) => c.id)));
  });

  it("a cursor stored long ago resumes from the last call's start time, so calls deleted meanwhile cost none", async () => {
    const start = Date.now() - 30 * DAY;
    const window = { fromMs: start, toMs: Date.now() };
    const run = async (staleCursorMs: number) => {
      const all = calls(30, start);
      const sim = await simulator({ dataset: dataset(all) });
      const first = await clientFor(sim).listCallsPage(adaUser, window, null);
      // Three calls of the first page are deleted upstream before the job resumes.
      const deleted = new Set(first.calls.slice(0, 3).map((c) => c.providerCallId));
      sim.dataset.calls = sim.dataset.calls.filter((c) => !deleted.has(c.id));
      await new Promise((r) => setTimeout(r, 5));
      const rest = await listAll(clientFor(sim, { staleCursorMs }), adaUser, window, first.nextCursor);
      return { expected: all.slice(25).map((c) => c.id), got: ids(rest.calls) };
    };
    const stale = await run(1);
    expect(stale.got).toEqual(stale.expected);
    // Trusting the old offset instead would skip as many calls as were deleted before it.
    const trusted = await run(60_000);
    expect(trusted.got).toEqual(trusted.expected.slice(3));
  });

  it("an unreadable cursor, or one from another window, restarts that window", async () => {
    const start = Date.now() - 30 * DAY;
    const all = calls(3, start);
    const sim = await simulator({ dataset: dataset(all) });
    const client = clientFor(sim);
    const window = { fromMs: start, toMs: Date.now() };
    const otherWindow = JSON.stringify({ v: 1, from: 1, to: 2, sub: 1, skip: 2, limit: 25, last: null, seen: [] });
    for (const cursor of ["not json", '{"v":99}', otherWindow]) {
      const page = await client.listCallsPage(adaUser, window, cursor);
      expect(ids(page.calls)).toEqual(all.map((c) => c.id));
    }
  });

  it("a page over the 6 MB ceiling (502) is asked again with half the limit, then the limit grows back", async () => {
    const start = Date.now() - 30 * DAY;
    const all = calls(40, start);
    const sim = await simulator({ dataset: dataset(all) });
    const oneCall = JSON.stringify({ ...all[0], transcript: undefined, summary: undefined }).length;
    sim.settings.maxResponseBytes = oneCall * 9;
    const { calls: got } = await listAll(clientFor(sim), adaUser, { fromMs: start, toMs: Date.now() });

    expect(ids(got)).toEqual(all.map((c) => c.id));
    const attempts = listRequests(sim).map((r) => [r.query.limit?.[0], r.status]);
    expect(attempts.slice(0, 3)).toEqual([
      ["25", 502],
      ["12", 502],
      ["6", 200],
    ]);
    expect(attempts.filter(([, status]) => status === 200).map(([limit]) => limit)).toContain("12");
  });

  it("a 502 even for a single call is PROVIDER_UNAVAILABLE, retried later by the engine", async () => {
    const sim = await simulator({ dataset: dataset(calls(3, Date.now() - 3 * DAY)) });
    sim.settings.maxResponseBytes = 10;
    await expect(clientFor(sim).listCallsPage(adaUser, { fromMs: 0, toMs: Date.now() }, null)).rejects.toMatchObject({
      code: "PROVIDER_UNAVAILABLE",
      kind: "TRANSIENT",
    });
  });
});

describe("Clari Copilot users: GET /users", () => {
  it("maps every Copilot user with one request when /users is not paginated", async () => {
    const sim = await simulator({ dataset: dataset([]) });
    const users = (await clientFor(sim).listUsers()).users;
    expect(users).toEqual([
      { providerUserId: ADA.id, email: ADA.email, emailAliases: [], name: ADA.name, active: true },
      { providerUserId: MAX.id, email: MAX.email, emailAliases: [], name: MAX.name, active: true },
    ]);
    expect(requestsTo(sim, "/users")).toBe(1);
  });

  it("follows pagination.nextPageSkip when /users does page ([I] switch)", async () => {
    const data = dataset([]);
    data.users = Array.from({ length: 7 }, (_, i) => ({ id: `user-${i}`, email: `u${i}@acme.test`, name: `U ${i}` }));
    const sim = await simulator({ dataset: data, settings: { usersPageSize: 3 } });
    const users = (await clientFor(sim).listUsers()).users;
    expect(users.map((u) => u.providerUserId)).toEqual(data.users.map((u) => u.id));
    expect(sim.log.find((r) => r.path === "/users").map((r) => r.query.skip?.[0])).toEqual([undefined, "3", "6"]);
  });
});

describe("Clari Copilot filterUser[]: a call with two Copilot users ([I] switch)", () => {
  const shared = () =>
    call({
      startMs: Date.now() - 3 * DAY,
      users: [
        { userId: ADA.id, userEmail: ADA.email, isOrganizer: false, personId: 0 },
        { userId: MAX.id, userEmail: MAX.email, isOrganizer: true, personId: 2 },
      ],
    });

  it("matching any participant: the call comes back under both users as the same record", async () => {
    const sim = await simulator({ dataset: dataset([shared()]), settings: { filterUserMatches: "participant" } });
    const client = clientFor(sim);
    const window = { fromMs: 0, toMs: Date.now() };
    const [a, m] = [
      await client.listCallsPage(adaUser, window, null),
      await client.listCallsPage(maxUser, window, null),
    ];
    expect(a.calls).toHaveLength(1);
    expect(m.calls).toEqual(a.calls);
    expect(a.calls[0]?.ownerProviderUserId).toBe(MAX.id);
  });

  it("matching the organizer only: the call comes back under its organizer alone", async () => {
    const sim = await simulator({ dataset: dataset([shared()]), settings: { filterUserMatches: "organizer" } });
    const client = clientFor(sim);
    const window = { fromMs: 0, toMs: Date.now() };
    expect((await client.listCallsPage(adaUser, window, null)).calls).toHaveLength(0);
    const m = await client.listCallsPage(maxUser, window, null);
    expect(m.calls.map((c) => c.ownerProviderUserId)).toEqual([MAX.id]);
  });
});
