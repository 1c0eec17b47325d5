/**
 * The provider contract, written once and run against each provider.
 *
 * `providerContract` runs against a provider's client and simulator
 * (test/providers/contract.test.ts): lists every page, survives a 429 and 5xx bursts, times a
 * hung request out, maps every contract field, resumes from a stored cursor in another client,
 * tolerates an odd call and an odd user (skipped with its provider id and reason, the rest
 * kept), and fails a listing whose provider repeats the same page with PAGINATION_LOOP within a
 * bounded number of requests.
 *
 * `wizardContract` runs the wizard end to end through the GraphQL API against a provider's
 * simulator (test/integrations/<provider>-wizard.test.ts): connect → CONNECTED at the backfill
 * step, a 90-day backfill where every matched user goes PENDING → IN_PROGRESS → COMPLETED live
 * and the calls stored are the provider's, and revoked credentials ending in RECONNECT_NEEDED.
 * What is truly provider-specific stays beside each.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/providers/errors.js";
import { PAGINATION_MAX_REPEATS } from "../../src/providers/paging.js";
import type { CallPage, CallProviderClient, CallRecord, ProviderUser, TimeWindow } from "../../src/providers/types.js";
import {
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardIntegrationDocument,
  WizardIntegrationEventsDocument,
  WizardStartSyncDocument,
  WizardSyncNowDocument,
  WizardSyncProgressDocument,
  type WizardSyncProgressSubscription,
} from "../generated/graphql.js";
import { errorCodes } from "../support/api.js";
import { type ApiEnv, type Provider, rowId } from "../support/backfill.js";
import { authorizeInBrowser, Browser } from "../support/oauth.js";
import { stateHistory } from "../support/progress.js";
import { type Subscription, subscribe } from "../support/ws.js";

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
  /** The next `n` listing requests answer `status`. */
  failListing(n: number, status: number): void;
  /** The next request gets no answer. */
  hangNext(): void;
  /** Requests made so far for `user`'s call listing (not enrichment). */
  listRequests(): number;
  /** Requests of any kind made so far. */
  requests(): number;
  /** Another client over the same credentials (another process), with these options. */
  newClient(options?: { attempts?: number; timeoutMs?: number }): CallProviderClient;
  /** The longest a stored page cursor may be. */
  maxCursorLength: number;
  close(): Promise<void>;
}

export interface ContractProvider {
  name: string;
  /**
   * A simulator and client. With `manyPages` the user's calls span several pages; otherwise the
   * dataset may be smaller (a provider whose page size is fixed and large starts faster).
   */
  start(options?: { manyPages?: boolean }): Promise<ContractSubject>;
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

const DAY = 86_400_000;
const ids = (calls: CallRecord[]) => calls.map((c) => c.providerCallId).sort();

export function providerContract(provider: ContractProvider): void {
  describe(`provider contract: ${provider.name}`, () => {
    let s: ContractSubject;
    afterEach(async () => s?.close());

    const userOf = async () => s.user((await s.client.listUsers()).users);

    it("lists every page of a user's calls, each call once", async () => {
      s = await provider.start({ manyPages: true });
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

    it("a burst of 5xx answers is retried with backoff and the listing completes", async () => {
      s = await provider.start();
      const user = await userOf();
      s.failListing(1, 500);
      s.failListing(1, 503);
      const before = s.listRequests();
      const { pages, calls } = await listAll(s.client, user, s.window);
      expect(ids(calls)).toEqual(s.expectedCallIds(user).sort());
      expect(s.listRequests() - before).toBe(pages.length + 2);
    });

    it("a 5xx that outlasts the attempts fails the page as PROVIDER_UNAVAILABLE (TRANSIENT), after those attempts", async () => {
      s = await provider.start();
      const user = await userOf();
      s.failListing(10, 500);
      const before = s.listRequests();
      const failure = await s
        .newClient({ attempts: 2 })
        .listCallsPage(user, s.window, null)
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).toMatchObject({ code: "PROVIDER_UNAVAILABLE", kind: "TRANSIENT", retryable: true });
      expect(s.listRequests() - before).toBe(2);
    });

    it("a request that hangs times out as PROVIDER_TIMEOUT (TRANSIENT); with another attempt the page arrives", async () => {
      s = await provider.start();
      const user = await userOf();
      s.hangNext();
      const failure = await s
        .newClient({ timeoutMs: 100, attempts: 1 })
        .listCallsPage(user, s.window, null)
        .catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: "PROVIDER_TIMEOUT", kind: "TRANSIENT" });
      s.hangNext();
      // The retry gets a timeout a loaded machine answers in.
      const page = await s.newClient({ timeoutMs: 2_000, attempts: 2 }).listCallsPage(user, s.window, null);
      expect(page.calls.length).toBeGreaterThan(0);
    });

    it("an empty window is one request and an empty last page", async () => {
      s = await provider.start();
      const user = await userOf();
      const before = s.requests();
      const page = await s.client.listCallsPage(
        user,
        { fromMs: s.window.fromMs - 400 * DAY, toMs: s.window.fromMs - 399 * DAY },
        null,
      );
      expect(page).toMatchObject({ calls: [], nextCursor: null });
      expect(s.requests() - before).toBe(1);
    });

    it("the page cursor is small versioned JSON; another client resumes from it without loss or repeats", async () => {
      s = await provider.start({ manyPages: true });
      const user = await userOf();
      const first = await s.client.listCallsPage(user, s.window, null);
      const stored = JSON.parse(JSON.stringify(first.nextCursor)) as string;
      expect(stored.length).toBeLessThan(s.maxCursorLength);
      expect(JSON.parse(stored)).toMatchObject({ v: 1 });
      const other = s.newClient();
      const rest: CallRecord[] = [];
      for (let cursor: string | null = stored; cursor !== null && rest.length < 1000; ) {
        const page: CallPage = await other.listCallsPage(user, s.window, cursor);
        rest.push(...page.calls);
        cursor = page.nextCursor;
      }
      const all = [...first.calls, ...rest].map((c) => c.providerCallId);
      expect(all).toHaveLength(new Set(all).size);
      expect(all.sort()).toEqual(s.expectedCallIds(user).sort());
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

/** One provider's simulator behind a callsync API, for the wizard contract. */
export interface WizardSubject {
  name: string;
  provider: Provider;
  /** The API and simulator (started in the test file's beforeAll). */
  env(): ApiEnv;
  /** For a key-pair provider: the pair that connects. */
  keys?(): { apiKey: string; apiSecret: string };
  /** The provider account the connection names (id and name), where the provider has one. */
  account?(): { id: string; name: string };
  /** A credential that must never be stored in clear (a token's shape, the secret). */
  secret(): string | RegExp;
  /** Provider ids of the calls of workspace users a backfill from `fromMs` imports. */
  expectedCallIds(fromMs: number): string[];
  /** The provider stops accepting the stored credentials, refresh included. */
  revoke(): void;
  restore(): void;
}

export interface WizardContract {
  /** The integration's global id, once connected. */
  integrationId(): string;
  /** Live sync progress of the integration, from the backfill on. */
  progress(): Subscription<WizardSyncProgressSubscription>;
  /** Starts a sync now and waits for the run to finish; returns the run's global id. */
  syncNow(timeoutMs?: number): Promise<string>;
}

const WORKSPACE_USERS = ["ada@acme.test", "max@acme.test", "sam@acme.test"];

/**
 * The wizard end to end through the public API. `afterBackfill` declares the provider's own
 * tests that need the backfilled integration; they run before the credentials are revoked.
 */
export function wizardContract(
  subject: WizardSubject,
  afterBackfill?: (wizard: WizardContract) => void,
): WizardContract {
  let integrationId: string;
  let progress: Subscription<WizardSyncProgressSubscription> | undefined;
  const gql: ApiEnv["api"]["gql"] = (doc, variables, token) =>
    subject.env().api.gql(doc, variables, token === undefined ? subject.env().token : token);
  const state = async () => (await gql(WizardIntegrationDocument, { provider: subject.provider })).data!.integration!;
  const wizard: WizardContract = {
    integrationId: () => integrationId,
    progress: () => progress!,
    async syncNow(timeoutMs = 60_000) {
      const run = await gql(WizardSyncNowDocument, { integrationId });
      expect(run.errors).toBeUndefined();
      const runId = run.data!.syncNow.id;
      await progress!.until(
        (e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING",
        timeoutMs,
      );
      return runId;
    },
  };

  describe(`wizard contract: ${subject.name}`, () => {
    afterAll(async () => {
      await progress?.close();
    });

    it("connects: CONNECTED at the backfill step, live for OAuth, the credentials stored encrypted", async () => {
      const { api, token } = subject.env();
      const connect = await gql(WizardConnectDocument, { provider: subject.provider, ...subject.keys?.() });
      expect(connect.errors).toBeUndefined();
      integrationId = connect.data!.connectIntegration.integration.id;
      const url = connect.data!.connectIntegration.authorizationUrl;
      if (subject.keys) {
        expect(url).toBeNull();
        expect(connect.data!.connectIntegration.integration).toMatchObject({
          status: "CONNECTED",
          wizardStep: "BACKFILL",
        });
      } else {
        expect(connect.data!.connectIntegration.integration).toMatchObject({
          status: "PENDING_AUTHORIZATION",
          wizardStep: "AUTHORIZE",
        });
        const authorizationUrl = new URL(url!);
        expect(authorizationUrl.searchParams.get("state")).toMatch(/^[\w-]{40,}$/);
        const events = subscribe(api.url, token, WizardIntegrationEventsDocument, { integrationId });
        await new Promise((r) => setTimeout(r, 200));
        // The browser: callsync's start route → the provider's consent page → callsync's callback → the result page.
        const browser = new Browser();
        const { callback, outcome } = await authorizeInBrowser(authorizationUrl, token, browser);
        expect(new URL(callback).pathname).toMatch(/^\/oauth\/callback\/[a-z]+$/);
        expect(outcome).toBe("connected");
        const authorized = await events.until((e) => e.integrationEvents.type === "AUTHORIZED");
        expect(authorized.integrationEvents.integration).toEqual({ status: "CONNECTED", wizardStep: "BACKFILL" });
        await events.close();
        // The state is single use: replaying the callback is refused.
        const replay = new URL((await browser.get(callback)).headers.get("location")!);
        expect(replay.searchParams.get("outcome")).toBe("AUTHORIZATION_SESSION_EXPIRED");
      }
      expect(await state()).toMatchObject({
        status: "CONNECTED",
        wizardStep: "BACKFILL",
        error: null,
        connectedBy: { email: "ada@acme.test" },
        ...(subject.account ? { connectedAccount: subject.account() } : {}),
      });
      const row = await api.prisma.integration.findUniqueOrThrow({ where: { id: rowId(integrationId) } });
      expect(row.credentials).not.toBeNull();
      const secret = subject.secret();
      if (typeof secret === "string") expect(JSON.stringify(row.credentials)).not.toContain(secret);
      else expect(JSON.stringify(row.credentials)).not.toMatch(secret);
    }, 60_000);

    it("backfills 90 days: every matched user goes PENDING → IN_PROGRESS → COMPLETED live; the provider's calls are stored once each", async () => {
      const { api, token } = subject.env();
      progress = subscribe(api.url, token, WizardSyncProgressDocument, { integrationId });
      await new Promise((r) => setTimeout(r, 200));
      const backfill = await gql(WizardChooseBackfillDocument, { integrationId, period: "DAYS_90" });
      expect(backfill.errors).toBeUndefined();
      expect(backfill.data!.chooseBackfill).toMatchObject({ wizardStep: "SYNC", backfillPeriod: "DAYS_90" });
      const from = Date.parse(backfill.data!.chooseBackfill.backfillFrom!);
      expect(Date.now() - from).toBeGreaterThanOrEqual(90 * DAY - 60_000);

      const started = await gql(WizardStartSyncDocument, { integrationId });
      expect(started.errors).toBeUndefined();
      expect(started.data!.startSync.kind).toBe("BACKFILL");
      const runId = started.data!.startSync.id;
      const last = await progress.until(
        (e) => e.syncProgress.run.id === runId && e.syncProgress.run.status !== "RUNNING",
        60_000,
      );
      expect(last.syncProgress.run.status).toBe("COMPLETED");
      expect(Object.fromEntries(stateHistory(progress.events, runId))).toEqual({
        ...Object.fromEntries(WORKSPACE_USERS.map((email) => [email, ["PENDING", "IN_PROGRESS", "COMPLETED"]])),
        "outsider@contractor.test": ["SKIPPED"],
      });

      const integration = await state();
      expect(integration).toMatchObject({
        status: "CONNECTED",
        wizardStep: "COMPLETE",
        lastSyncStatus: "COMPLETED",
        backfillPeriod: "DAYS_90",
        warnings: [],
      });
      expect(integration.nextSyncAt).not.toBeNull();
      const stored = (
        await api.prisma.call.findMany({
          where: { integrationId: rowId(integrationId) },
          select: { providerCallId: true },
        })
      ).map((c) => c.providerCallId);
      const expected = subject.expectedCallIds(from);
      expect(expected.length).toBeGreaterThan(WORKSPACE_USERS.length);
      expect(stored.sort()).toEqual([...new Set(expected)].sort());
      const run = integration.latestRun!;
      expect(integration.callCount).toBe(stored.length);
      expect(run.summary).toMatchObject({
        callsImported: stored.length,
        usersCompleted: 3,
        usersFailed: 0,
        usersSkipped: 1,
        usersPending: 0,
      });
      expect(run.summary.skipped).toEqual([
        { email: "outsider@contractor.test", reason: "No workspace user has the email outsider@contractor.test" },
      ]);
      // COMPLETED carries the number of calls imported for that user, live and in the run. Subscribers re-read the
      // user's row when an event arrives, so a late progress event can show COMPLETED a second time: one per user.
      const completed = new Map(
        progress.events
          .filter((e) => e.syncProgress.run.id === runId && e.syncProgress.user?.state === "COMPLETED")
          .map((e) => [e.syncProgress.user!.id, e.syncProgress.user!.callsImported]),
      );
      expect(completed.size).toBe(WORKSPACE_USERS.length);
      expect([...completed.values()].reduce((a, n) => a + n, 0)).toBe(stored.length);
      expect(run.users.reduce((a, u) => a + u.callsImported, 0)).toBe(stored.length);
    }, 120_000);

    afterBackfill?.(wizard);

    it("revoked credentials put the integration in RECONNECT_NEEDED and stop its schedule", async () => {
      const { api } = subject.env();
      subject.revoke();
      try {
        await wizard.syncNow(30_000);
        const integration = await state();
        expect(integration.status).toBe("RECONNECT_NEEDED");
        expect(integration.error?.code).toBe("AUTH_FAILED");
        expect(integration.warnings.map((w) => w.code)).toContain("RECONNECT_NEEDED");
        expect(integration.nextSyncAt).toBeNull();
        const scheduled = await api.runtime.db.pool.query(
          `SELECT count(*)::int AS n FROM agenda_jobs WHERE name = 'sync:scheduled' AND data->>'integrationId' = $1`,
          [rowId(integrationId)],
        );
        expect(scheduled.rows[0].n).toBe(0);
        expect(errorCodes(await gql(WizardSyncNowDocument, { integrationId }))).toEqual(["NOT_CONNECTED"]);
      } finally {
        subject.restore();
      }
    }, 60_000);
  });
  return wizard;
}
