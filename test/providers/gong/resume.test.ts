import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/providers/errors.js";
import type { CallRecord, ProviderUser } from "../../../src/providers/types.js";
import { DAY, type Harness, harness, isExtensive } from "./support.js";

let h: Harness;
afterEach(() => h?.close());

const WINDOW = { fromMs: Date.now() - 60 * DAY, toMs: Date.now() };

async function ada(): Promise<ProviderUser> {
  return (await h.client.listUsers()).users.find((u) => u.email === "ada@acme.test")!;
}

function expectedIds(user: ProviderUser): string[] {
  return h.sim.dataset.calls
    .filter((c) => c.metaData.primaryUserId === user.providerUserId)
    .sort(
      (a, b) =>
        Date.parse(String(a.metaData.started)) - Date.parse(String(b.metaData.started)) ||
        (a.metaData.id < b.metaData.id ? -1 : 1),
    )
    .map((c) => c.metaData.id);
}

describe("Gong: page cursors", () => {
  it("is a small versioned JSON string", async () => {
    h = await harness({ switches: { pageSize: 3 } });
    const page = await h.client.listCallsPage(await ada(), WINDOW, null);
    const state = JSON.parse(page.nextCursor!);
    expect(state).toMatchObject({ v: 1, from: WINDOW.fromMs, at: page.calls.at(-1)!.startedAt });
    expect(typeof state.c).toBe("string");
    expect(page.nextCursor!.length).toBeLessThan(1000);
  });

  it("when Gong says 'cursor has expired', restarts from the last processed call's start — not the window start — with no duplicates or gaps", async () => {
    h = await harness({ switches: { pageSize: 3, cursorTtlMs: 60_000 } });
    const user = await ada();
    const first = await h.client.listCallsPage(user, WINDOW, null);
    h.sim.clock.advance(61_000); // the stored Gong cursor is now expired
    h.sim.log.clear();
    const rest: CallRecord[] = [];
    let cursor: string | null = first.nextCursor;
    while (cursor) {
      const page = await h.client.listCallsPage(user, WINDOW, cursor);
      rest.push(...page.calls);
      cursor = page.nextCursor;
    }
    expect([...first.calls, ...rest].map((c) => c.providerCallId)).toEqual(expectedIds(user));
    const extensive = h.sim.log.find(isExtensive);
    expect(extensive[0]?.status).toBe(400);
    const restart = extensive[1]!.body as { filter: { fromDateTime: string }; cursor?: string };
    expect(restart.cursor).toBeUndefined();
    expect(restart.filter.fromDateTime).toBe(new Date(first.calls.at(-1)!.startedAt).toISOString());
    expect(h.sim.log.count((r) => r.status === 400)).toBe(1); // the expired cursor is not retried in place
  });

  it("calls sharing the last processed start time are neither repeated nor lost after a restart", async () => {
    h = await harness({ switches: { pageSize: 3, cursorTtlMs: 60_000 } });
    const user = await ada();
    const mine = h.sim.dataset.calls
      .filter((c) => c.metaData.primaryUserId === user.providerUserId)
      .sort((a, b) => Date.parse(String(a.metaData.started)) - Date.parse(String(b.metaData.started)));
    // calls 2..5 (0-based) start at the same instant: the first page ends in the middle of them
    for (const c of mine.slice(2, 6)) c.metaData.started = mine[2]!.metaData.started;
    const first = await h.client.listCallsPage(user, WINDOW, null);
    h.sim.clock.advance(61_000);
    const rest: CallRecord[] = [];
    let cursor: string | null = first.nextCursor;
    while (cursor) {
      const page = await h.client.listCallsPage(user, WINDOW, cursor);
      rest.push(...page.calls);
      cursor = page.nextCursor;
    }
    const all = [...first.calls, ...rest].map((c) => c.providerCallId);
    expect(all).toHaveLength(new Set(all).size);
    expect(all.sort()).toEqual(expectedIds(user).sort());
  });

  it("a cursor that is not ours is a BAD_REQUEST, not a silent restart", async () => {
    h = await harness();
    const e = await h.client.listCallsPage(await ada(), WINDOW, "eyJhbGciOi.garbage").catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).code).toBe("BAD_REQUEST");
  });
});
