/**
 * The provider contract, written once and run against each provider's client and simulator
 * (test/providers/contract.test.ts): lists every page, survives a 429, maps every contract
 * field, tolerates an odd call and an odd user (skipped with its provider id and reason, the
 * rest kept), and fails a listing whose provider repeats the same page with PAGINATION_LOOP
 * within a bounded number of requests. What is truly provider-specific stays beside it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/providers/errors.js";
import { PAGINATION_MAX_REPEATS } from "../../src/providers/paging.js";
import type { CallPage, CallProviderClient, CallRecord, ProviderUser, TimeWindow } from "../../src/providers/types.js";

/** One provider's simulator and client, with the few moves the contract needs. */
export interface ContractSubject {
  client: CallProviderClient;
  window: TimeWindow;
  /** The user whose calls span several pages (the simulator or client pages small). */
  user(users: ProviderUser[]): ProviderUser;
  /** Provider ids of the calls the provider lists for `user` in `window`, from the dataset. */
  expectedCallIds(user: ProviderUser): string[];
  /** Puts a call of `user` the client cannot map into the dataset; returns its provider id. */
  addOddCall(user: ProviderUser): string;
  /** Puts a user of a shape the client cannot read into the dataset; returns its provider id. */
  addOddUser(): string;
  /** The simulator answers every listing request with its first page again, claiming more. */
  repeatPages(): void;
  /** The next request answers 429 with a short Retry-After. */
  rateLimitNext(): void;
  /** Requests made so far for `user`'s call listing (not enrichment). */
  listRequests(): number;
  close(): Promise<void>;
}

export interface ContractProvider {
  name: string;
  start(): Promise<ContractSubject>;
}

export async function listAll(client: CallProviderClient, user: ProviderUser, window: TimeWindow) {
  const pages: CallPage[] = [];
  let cursor: string | null = null;
  do {
    const page = await client.listCallsPage(user, window, cursor);
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 200);
  return { pages, calls: pages.flatMap((p) => p.calls), skipped: pages.flatMap((p) => p.skipped ?? []) };
}

const ids = (calls: CallRecord[]) => calls.map((c) => c.providerCallId).sort();

export function providerContract(provider: ContractProvider): void {
  describe(`provider contract: ${provider.name}`, () => {
    let s: ContractSubject;
    afterEach(async () => s?.close());

    const userOf = async () => s.user((await s.client.listUsers()).users);

    it("lists every page of a user's calls, each call once", async () => {
      s = await provider.start();
      const user = await userOf();
      const { pages, calls } = await listAll(s.client, user, s.window);
      expect(pages.length).toBeGreaterThan(1);
      expect(ids(calls)).toEqual(s.expectedCallIds(user).sort());
    });

    it("survives a 429: the listing waits and completes", async () => {
      s = await provider.start();
      const user = await userOf();
      s.rateLimitNext();
      const { calls } = await listAll(s.client, user, s.window);
      expect(ids(calls)).toEqual(s.expectedCallIds(user).sort());
    });

    it("maps every contract field somewhere in a real-looking tenant", async () => {
      s = await provider.start();
      const user = await userOf();
      const { calls } = await listAll(s.client, user, s.window);
      const some = (f: (c: CallRecord) => boolean) => calls.some(f);
      expect(calls.every((c) => Number.isInteger(c.startedAt) && c.providerCallId.length > 0)).toBe(true);
      expect(some((c) => !!c.title)).toBe(true);
      expect(some((c) => c.durationMs !== null && c.endedAt === c.startedAt + c.durationMs)).toBe(true);
      expect(some((c) => c.direction !== "UNKNOWN")).toBe(true);
      expect(some((c) => c.ownerProviderUserId !== null || c.ownerEmail !== null)).toBe(true);
      expect(some((c) => c.participants.some((p) => p.isInternal) && c.participants.some((p) => !p.isInternal))).toBe(
        true,
      );
      expect(some((c) => (c.transcript?.length ?? 0) > 0)).toBe(true);
      expect(some((c) => c.summary !== null)).toBe(true);
      expect(some((c) => (c.actionItems?.length ?? 0) > 0)).toBe(true);
      expect(some((c) => c.crmRefs.length > 0)).toBe(true);
      expect(some((c) => c.readiness === "READY")).toBe(true);
      // Every transcript segment names a participant (or no speaker at all).
      for (const c of calls)
        for (const seg of c.transcript ?? [])
          if (seg.speakerId !== null) expect(c.participants.map((p) => p.speakerId)).toContain(seg.speakerId);
    });

    it("tolerates an odd call: the others are listed, that one is reported with its id and reason", async () => {
      s = await provider.start();
      const user = await userOf();
      const expected = s.expectedCallIds(user).sort();
      const oddId = s.addOddCall(user);
      const { calls, skipped } = await listAll(s.client, user, s.window);
      expect(ids(calls)).toEqual(expected);
      expect(ids(calls)).not.toContain(oddId);
      expect(skipped).toEqual([
        expect.objectContaining({
          kind: "CALL",
          providerRecordId: oddId,
          reasonCode: expect.stringMatching(/^(UNREADABLE|MISSING_FIELD)$/),
          reason: expect.stringMatching(/\w+/),
        }),
      ]);
    });

    it("tolerates an odd user: the others are listed, that one is reported with its id and reason", async () => {
      s = await provider.start();
      const before = (await s.client.listUsers()).users.length;
      const oddId = s.addOddUser();
      const { users, skipped } = await s.client.listUsers();
      expect(users).toHaveLength(before);
      expect(skipped).toEqual([
        expect.objectContaining({ kind: "USER", providerRecordId: oddId, reason: expect.stringMatching(/\w+/) }),
      ]);
    });

    it(`a provider repeating the same page fails the listing with PAGINATION_LOOP after ${PAGINATION_MAX_REPEATS} repeats`, async () => {
      s = await provider.start();
      const user = await userOf();
      s.repeatPages();
      const before = s.listRequests();
      const failure = await listAll(s.client, user, s.window).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).toMatchObject({ code: "PAGINATION_LOOP", kind: "PERMANENT" });
      expect(s.listRequests() - before).toBe(PAGINATION_MAX_REPEATS + 1);
    });
  });
}
