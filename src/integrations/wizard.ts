/**
 * The integration lifecycle behind the wizard and the management view:
 *
 *   CONNECT ─▶ AUTHORIZE ─▶ BACKFILL ─▶ SYNC ─▶ COMPLETE
 *
 * Every mutation first asks the state machine (lifecycle.ts) whether its action is allowed in
 * the integration's current state; a refusal carries the machine's stable code.
 *
 * - connect(OAuth provider): a single-use, expiring state (only its hash is stored) and the URL
 *   of callsync's start route, which binds the state to the browser that opens it
 *   (`beginAuthorization`, PKCE verifier in a cookie) and sends it on to the provider; the
 *   callback route finishes with `completeAuthorization`, only in that browser.
 * - connect(Clari Copilot): the key pair is verified against the provider, then saved.
 * - chooseBackfill: fixes the start of history once per connection.
 * - startSync: the backfill run, and the recurring schedule from then on.
 * - disconnect: credentials deleted, schedule stopped, running sync cancelled (its open users
 *   FAILED as SYNC_CANCELLED, not retryable: reconnecting backfills them); calls and their
 *   deal links stay. Reconnecting reuses the same integration row, so nothing is imported twice.
 * - purge: removes call content (GDPR) and records who purged what, never the content.
 */
import { createHash, randomBytes } from "node:crypto";
import * as oauth from "oauth4webapi";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { DomainError, ERROR_CODES, type ErrorCode } from "../errors.js";
import type { IntegrationEventType, PubSub } from "../events/pubsub.js";
import type { BackfillPeriod, CallProvider } from "../generated/prisma/enums.js";
import type { Logger } from "../logger.js";
import { purgeCalls } from "../privacy/purge.js";
import { isProviderError } from "../providers/errors.js";
import type { ProviderCredentials } from "../providers/types.js";
import type { JobQueue, SyncEngine } from "../sync/engine.js";
import type { CredentialCipher } from "./crypto.js";
import { assertAllowed, currentRun, type LifecycleAction, lifecycleState } from "./lifecycle.js";
import type { ProviderRegistry } from "./providers.js";
import { normaliseEmail, purgedEmailDigest } from "./purge-audit.js";

/** API keys and secrets are header values: visible ASCII, no spaces, of a sane length. */
const API_CREDENTIAL_SHAPE = /^[\x21-\x7e]{1,512}$/;

export interface WizardDeps {
  prisma: Db;
  cipher: CredentialCipher;
  providers: ProviderRegistry;
  engine: SyncEngine;
  queue: JobQueue;
  pubsub: PubSub;
  log: Logger;
  config: Pick<Config, "publicUrl" | "oauthResultUrl" | "syncIntervalMinutes" | "purgeAuditKey">;
}

export const OAUTH_STATE_TTL_MS = 10 * 60_000;

const DAY = 86_400_000;
export const BACKFILL_MS: Record<BackfillPeriod, number | null> = {
  DAYS_30: 30 * DAY,
  DAYS_60: 60 * DAY,
  DAYS_90: 90 * DAY,
  MONTHS_6: 182 * DAY,
  YEAR_1: 365 * DAY,
  ALL_TIME: null,
  NONE: 0,
};

/** All time starts here (no provider we import from has calls before). */
export const ALL_TIME_FROM_MS = Date.UTC(2010, 0, 1);

/** Where the import of `period`, chosen at `nowMs`, starts: no later than the reconnect gap (`gapFromMs`). */
export function backfillStart(period: BackfillPeriod, nowMs: number, gapFromMs = Number.POSITIVE_INFINITY): number {
  const span = BACKFILL_MS[period];
  return Math.min(span === null ? ALL_TIME_FROM_MS : nowMs - span, gapFromMs);
}

const hashState = (state: string) => createHash("sha256").update(state).digest("base64url");

const providerSlug = (provider: CallProvider) => provider.toLowerCase().replace("_", "-");
export const callbackPath = (provider: CallProvider) => `/oauth/callback/${providerSlug(provider)}`;
export const startPath = (provider: CallProvider) => `/oauth/start/${providerSlug(provider)}`;

export class Wizard {
  constructor(private readonly deps: WizardDeps) {}

  private publish(
    integrationId: string,
    type: IntegrationEventType,
    code: string | null = null,
    message: string | null = null,
  ) {
    this.deps.pubsub.publish("integration", integrationId, { type, integrationId, code, message, at: Date.now() });
  }

  /** Refuses `action` unless the integration's lifecycle state allows it; returns the integration. */
  async allow(integrationId: string, action: LifecycleAction) {
    const integration = await this.deps.prisma.integration.findUniqueOrThrow({
      where: { id: integrationId },
      include: { runs: { orderBy: { startedAt: "desc" }, take: 1 } },
    });
    assertAllowed(lifecycleState(integration, integration.runs[0]), action);
    return { ...integration, currentRun: currentRun(integration, integration.runs[0]) };
  }

  /** The integration row of a provider, created on first use and reused on every reconnect. */
  private async integrationFor(workspaceId: string, provider: CallProvider) {
    const existing = await this.deps.prisma.integration.findUnique({
      where: { workspaceId_provider: { workspaceId, provider } },
      include: { runs: { orderBy: { startedAt: "desc" }, take: 1 } },
    });
    assertAllowed(lifecycleState(existing, existing?.runs[0]), "CONNECT");
    const data = {
      status: "PENDING_AUTHORIZATION" as const,
      wizardStep: "AUTHORIZE" as const,
      errorCode: null,
      errorMessage: null,
    };
    return this.deps.prisma.integration.upsert({
      where: { workspaceId_provider: { workspaceId, provider } },
      create: { workspaceId, provider, syncIntervalMinutes: this.deps.config.syncIntervalMinutes, ...data },
      update: data,
    });
  }

  /**
   * OAuth providers: returns the URL to send the admin's browser to — callsync's start route
   * (`startPath`), which binds the state to that browser before it goes on to the provider.
   */
  async startOAuth(workspaceId: string, userId: string, provider: CallProvider) {
    const adapter = this.deps.providers[provider];
    if (adapter.kind !== "oauth") throw new DomainError("BAD_USER_INPUT", `${provider} connects with an API key.`);
    if (!adapter.oauth) throw new DomainError("PROVIDER_NOT_CONFIGURED");
    const integration = await this.integrationFor(workspaceId, provider);
    const state = randomBytes(32).toString("base64url");
    await this.deps.prisma.oAuthState.create({
      data: {
        stateHash: hashState(state),
        integrationId: integration.id,
        userId,
        expiresAt: new Date(Date.now() + OAUTH_STATE_TTL_MS),
      },
    });
    this.publish(integration.id, "STEP_CHANGED");
    const start = new URL(startPath(provider), this.deps.config.publicUrl);
    start.searchParams.set("state", state);
    return { integration, authorizationUrl: start.toString() };
  }

  /**
   * The start route: the first browser to open a state gets a fresh PKCE verifier (kept by the
   * route in an HttpOnly cookie) and the provider's authorization URL with its S256 challenge.
   * A state already started, expired or unknown gives null: the link cannot be passed on.
   */
  async beginAuthorization(
    provider: CallProvider,
    state: string | null,
    /** The signed-in user starting it: only the admin who created the state may. */
    userId: string,
  ): Promise<{ providerUrl: string; codeVerifier: string; expiresAt: Date } | null> {
    const adapter = this.deps.providers[provider];
    if (adapter.kind !== "oauth" || !adapter.oauth || !state) return null;
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
    const rows = await this.deps.prisma.$queryRaw<{ expiresAt: Date }[]>`
      UPDATE "OAuthState" s SET "startedAt" = now(), "codeChallenge" = ${codeChallenge}
        FROM "Integration" i
       WHERE s."stateHash" = ${hashState(state)} AND s."startedAt" IS NULL AND s."expiresAt" > now()
         AND i.id = s."integrationId" AND i.provider = ${provider}::"CallProvider"
         AND s."userId" = ${userId}::uuid
      RETURNING s."expiresAt"`;
    const started = rows[0];
    if (!started) {
      // An expired link still names its integration: the wizard hears why, as from the callback.
      const expired = await this.deps.prisma.$queryRaw<{ integrationId: string }[]>`
        DELETE FROM "OAuthState" WHERE "stateHash" = ${hashState(state)} AND "startedAt" IS NULL AND "expiresAt" <= now()
        RETURNING "integrationId"`;
      if (expired[0]) await this.recordAuthorizationFailure(expired[0].integrationId, "AUTHORIZATION_SESSION_EXPIRED");
      return null;
    }
    const redirectUri = new URL(callbackPath(provider), this.deps.config.publicUrl).toString();
    const providerUrl = adapter.oauth.authorizeUrl({ state, redirectUri, codeChallenge }).toString();
    return { providerUrl, codeVerifier, expiresAt: started.expiresAt };
  }

  /**
   * The OAuth callback: consumes the state (single use) only when the browser brings the
   * verifier the start route gave it; exchanges the code, names the connected account and saves
   * the encrypted tokens. A callback from any other browser changes nothing.
   */
  async completeAuthorization(
    provider: CallProvider,
    params: {
      state?: string | null;
      code?: string | null;
      error?: string | null;
      errorDescription?: string | null;
      /** From the browser's binding cookie. */
      codeVerifier?: string | null;
    },
  ): Promise<{ outcome: "connected" | ErrorCode; integrationId: string | null }> {
    const adapter = this.deps.providers[provider];
    if (adapter.kind !== "oauth" || !adapter.oauth) return { outcome: "PROVIDER_NOT_CONFIGURED", integrationId: null };
    if (!params.state || !params.codeVerifier) return { outcome: "AUTHORIZATION_SESSION_EXPIRED", integrationId: null };
    const codeChallenge = await oauth.calculatePKCECodeChallenge(params.codeVerifier);
    // Delete-returning makes the state single use even under concurrent callbacks.
    const rows = await this.deps.prisma.$queryRaw<{ integrationId: string; userId: string; expiresAt: Date }[]>`
      DELETE FROM "OAuthState" WHERE "stateHash" = ${hashState(params.state)} AND "codeChallenge" = ${codeChallenge}
      RETURNING "integrationId", "userId", "expiresAt"`;
    const found = rows[0];
    if (!found) return { outcome: "AUTHORIZATION_SESSION_EXPIRED", integrationId: null };
    const integrationId = found.integrationId;
    const integration = await this.deps.prisma.integration.findUnique({ where: { id: integrationId } });
    if (!integration || integration.provider !== provider)
      return { outcome: "AUTHORIZATION_SESSION_EXPIRED", integrationId: null };
    const fail = async (code: ErrorCode, message?: string) => {
      await this.recordAuthorizationFailure(integrationId, code, message);
      return { outcome: code, integrationId };
    };
    if (found.expiresAt.getTime() < Date.now()) return fail("AUTHORIZATION_SESSION_EXPIRED");
    if (params.error) {
      const kind = adapter.classifyAuthorizeError(params.error, params.errorDescription ?? undefined);
      return fail(
        kind === "FORBIDDEN"
          ? "AUTHORIZATION_ACCESS_DENIED"
          : kind === "DENIED"
            ? "AUTHORIZATION_CANCELLED"
            : "PROVIDER_UNAVAILABLE",
      );
    }
    if (!params.code) return fail("AUTHORIZATION_CANCELLED");
    try {
      const redirectUri = new URL(callbackPath(provider), this.deps.config.publicUrl).toString();
      const credentials = await adapter.oauth.exchangeCode({
        code: params.code,
        redirectUri,
        codeVerifier: params.codeVerifier,
      });
      await this.saveCredentials(integrationId, credentials);
      const account = await (await this.deps.engine.client(integrationId)).verify();
      await this.markConnected(integrationId, found.userId, account);
      return { outcome: "connected", integrationId };
    } catch (e) {
      this.deps.log.warn({ integrationId, code: isProviderError(e) ? e.code : undefined }, "authorization failed");
      if (isProviderError(e) && (e.code === "HOST_NOT_ALLOWED" || e.code === "REDIRECT_REFUSED"))
        return fail("PROVIDER_HOST_NOT_ALLOWED");
      if (isProviderError(e) && e.kind === "TRANSIENT") return fail("PROVIDER_UNAVAILABLE");
      if (isProviderError(e) && e.code === "ACCESS_DENIED") return fail("AUTHORIZATION_ACCESS_DENIED");
      if (isProviderError(e) && e.kind === "RECONNECT_NEEDED") return fail("AUTHORIZATION_SESSION_EXPIRED");
      return fail("PROVIDER_UNAVAILABLE");
    }
  }

  private async recordAuthorizationFailure(integrationId: string, code: ErrorCode, message?: string) {
    await this.deps.prisma.integration.update({
      where: { id: integrationId },
      data: { errorCode: code, errorMessage: message ?? ERROR_CODES[code] },
    });
    this.publish(integrationId, "AUTHORIZATION_FAILED", code, message ?? ERROR_CODES[code]);
  }

  /** Clari Copilot: verify the key pair with the provider, then save it. */
  async connectApiKey(workspaceId: string, userId: string, provider: CallProvider, apiKey: string, apiSecret: string) {
    const adapter = this.deps.providers[provider];
    if (adapter.kind !== "apiKey") throw new DomainError("BAD_USER_INPUT", `${provider} connects with OAuth.`);
    const key = apiKey.trim();
    const secret = apiSecret.trim();
    if (!key) throw new DomainError("BAD_USER_INPUT", "Enter the API key.", { field: "apiKey" });
    if (!secret) throw new DomainError("BAD_USER_INPUT", "Enter the API secret.", { field: "apiSecret" });
    // A key or secret no provider issues (control characters, spaces, absurd length) never reaches
    // the provider: it would break the request headers, not test the credentials (SECURITY.md rule 9).
    if (!API_CREDENTIAL_SHAPE.test(key) || !API_CREDENTIAL_SHAPE.test(secret))
      throw new DomainError("INVALID_API_CREDENTIALS");
    if (key === secret)
      throw new DomainError(
        "BAD_USER_INPUT",
        "The API key and the API secret are two different values; paste each in its own field.",
        {
          field: "apiSecret",
        },
      );
    let account: Awaited<ReturnType<typeof adapter.verify>>;
    try {
      account = await adapter.verify(key, secret);
    } catch (e) {
      if (isProviderError(e) && e.kind === "RECONNECT_NEEDED") throw new DomainError("INVALID_API_CREDENTIALS");
      if (isProviderError(e) && (e.kind === "TRANSIENT" || e.kind === "RATE_LIMITED"))
        throw new DomainError("PROVIDER_UNAVAILABLE");
      throw e;
    }
    const integration = await this.integrationFor(workspaceId, provider);
    await this.saveCredentials(integration.id, { kind: "apiKey", apiKey: key, apiSecret: secret });
    return this.markConnected(integration.id, userId, account);
  }

  private async saveCredentials(integrationId: string, credentials: ProviderCredentials) {
    await this.deps.prisma.integration.update({
      where: { id: integrationId },
      data: {
        credentials: this.deps.cipher.seal(credentials, integrationId),
        credentialsKeyId: this.deps.cipher.currentKeyId,
        credentialsVersion: { increment: 1 },
        tokenExpiresAt: credentials.kind === "oauth" && credentials.expiresAt ? new Date(credentials.expiresAt) : null,
      },
    });
  }

  private async markConnected(
    integrationId: string,
    userId: string,
    account: { accountId: string; name: string | null },
  ) {
    const integration = await this.deps.prisma.integration.update({
      where: { id: integrationId },
      data: {
        status: "CONNECTED",
        wizardStep: "BACKFILL",
        connectedAccountId: account.accountId,
        connectedAccountName: account.name,
        connectedAt: new Date(),
        connectedById: userId,
        disconnectedAt: null,
        errorCode: null,
        errorMessage: null,
        // A new connection chooses its backfill anew (SPEC: covers the disconnected gap).
        backfillPeriod: null,
        backfillFrom: null,
      },
    });
    this.publish(integrationId, "AUTHORIZED");
    return integration;
  }

  /**
   * Fixes where the import starts. After a reconnect it starts no later than where the previous
   * connection stopped (minus the overlap), whatever the choice, so the disconnected gap is
   * imported; the unique provider call id keeps the overlap from duplicating anything.
   */
  async chooseBackfill(integrationId: string, period: BackfillPeriod) {
    await this.allow(integrationId, "CHOOSE_BACKFILL");
    const gapFrom = await this.gapFrom(integrationId);
    const updated = await this.deps.prisma.integration.update({
      where: { id: integrationId },
      data: {
        backfillPeriod: period,
        backfillFrom: new Date(backfillStart(period, Date.now(), gapFrom)),
        wizardStep: "SYNC",
      },
    });
    this.publish(integrationId, "STEP_CHANGED");
    return updated;
  }

  /**
   * Where the previous connection's import stopped, minus the overlap (ms), so a reconnect's
   * backfill covers the disconnected gap; +∞ for a first connection.
   */
  async gapFrom(integrationId: string): Promise<number> {
    const previous = await this.deps.prisma.providerUser.aggregate({
      where: { integrationId, workspaceUserId: { not: null } },
      _min: { syncedThrough: true },
    });
    return previous._min.syncedThrough
      ? previous._min.syncedThrough.getTime() - this.deps.engine.settings.overlapMs
      : Number.POSITIVE_INFINITY;
  }

  async startSync(integrationId: string, userId: string) {
    const integration = await this.allow(integrationId, "START_SYNC");
    const run = await this.deps.engine.startRun(integrationId, "BACKFILL", userId);
    const next = await this.deps.queue.schedule(integration);
    await this.deps.prisma.integration.update({ where: { id: integrationId }, data: { nextSyncAt: next } });
    return run;
  }

  async syncNow(integrationId: string, userId: string) {
    await this.allow(integrationId, "SYNC_NOW");
    return this.deps.engine.startRun(integrationId, "MANUAL", userId);
  }

  /** One failed user of the latest run, again; the others are not re-run. */
  async retryUser(statusId: string) {
    const status = await this.deps.prisma.syncUserStatus.findUniqueOrThrow({
      where: { id: statusId },
      select: { runId: true, run: { select: { integrationId: true } } },
    });
    const integration = await this.allow(status.run.integrationId, "RETRY_FAILED_USERS");
    if (integration.currentRun?.id !== status.runId)
      throw new DomainError("NOTHING_TO_RETRY", "Only users of the latest sync can be retried. Use Sync now.");
    return this.deps.engine.retryUser(statusId);
  }

  /**
   * Every failed user of the latest run, again, in the same run; a run that failed before it
   * listed users lists them again.
   */
  async retryFailedUsers(integrationId: string) {
    const integration = await this.allow(integrationId, "RETRY_FAILED_USERS");
    const run = integration.currentRun;
    if (!run) throw new DomainError("IMPORT_NOT_STARTED");
    await this.deps.engine.retryRun(run.id);
    return run;
  }

  async disconnect(integrationId: string) {
    await this.allow(integrationId, "DISCONNECT");
    await this.deps.queue.unschedule(integrationId);
    const integration = await this.deps.prisma.$transaction(async (tx) => {
      const now = new Date();
      // The running run's open users close with it, with the reason, and lose their lease: a job
      // still running for one of them writes nothing more. Only open users of a running run change
      // (conditional in the database), so a user that finished meanwhile keeps its outcome.
      await tx.syncUserStatus.updateMany({
        where: { run: { is: { integrationId, status: "RUNNING" } }, state: { in: ["PENDING", "IN_PROGRESS"] } },
        data: {
          state: "FAILED",
          finishedAt: now,
          waitingUntil: null,
          leaseOwner: null,
          leaseUntil: null,
          errorCode: "SYNC_CANCELLED",
          errorMessage: null,
          retryable: false,
        },
      });
      await tx.syncRun.updateMany({
        where: { integrationId, status: "RUNNING" },
        data: { status: "CANCELLED", activeSlot: null, finishedAt: now, error: "Disconnected" },
      });
      await tx.oAuthState.deleteMany({ where: { integrationId } });
      return tx.integration.update({
        where: { id: integrationId },
        data: {
          status: "DISCONNECTED",
          wizardStep: "CONNECT",
          credentials: null,
          credentialsKeyId: null,
          tokenExpiresAt: null,
          disconnectedAt: new Date(),
          nextSyncAt: null,
          errorCode: null,
          errorMessage: null,
        },
      });
    });
    this.publish(integrationId, "STATUS_CHANGED");
    return integration;
  }

  /** Was this address purged? Its purges in the workspace, found by the keyed digest. */
  personPurges(workspaceId: string, email: string, query: { include?: object; select?: object } = {}) {
    return this.deps.prisma.purgeAudit.findMany({
      ...query,
      where: { workspaceId, scope: "PERSON", emailHmac: purgedEmailDigest(this.deps.config.purgeAuditKey, email) },
      orderBy: { createdAt: "desc" },
    });
  }

  /** Removes transcripts, summaries, action items and participants of the selected calls. */
  async purge(
    workspaceId: string,
    actorId: string,
    target: { integrationId: string } | { email: string },
  ): Promise<{ callsPurged: number; auditId: string }> {
    return this.deps.prisma.$transaction(async (tx) => {
      const byIntegration = "integrationId" in target;
      const { callsPurged, auditId } = await purgeCalls(
        tx,
        {
          workspaceId,
          actorId,
          scope: byIntegration ? "INTEGRATION" : "PERSON",
          integrationId: byIntegration ? target.integrationId : null,
          emailHmac: byIntegration ? null : purgedEmailDigest(this.deps.config.purgeAuditKey, target.email),
          reason: "Purged on request (GDPR)",
        },
        byIntegration
          ? { integrationId: target.integrationId }
          : { participants: { some: { email: normaliseEmail(target.email) } } },
      );
      return { callsPurged, auditId };
    });
  }
}
