/**
 * The sync engine: what the Agenda jobs do.
 *
 * A sync run imports one integration's calls in a time window, per provider user:
 *
 *   startRun ─▶ [job run-users] list provider users, match them to workspace users by email,
 *               one SyncUserStatus each (PENDING, or SKIPPED with the reason)
 *            ─▶ [job import-user] ×N  PENDING → IN_PROGRESS → COMPLETED(n) | FAILED(reason)
 *            ─▶ the last user to finish closes the run (COMPLETED, or PARTIAL when some failed)
 *
 * Invariants, enforced by the database: one RUNNING run per integration (unique activeSlot);
 * a call is stored once per integration (unique provider call id), so retries, overlapping
 * windows and reconnects never duplicate. Each import-user job saves a checkpoint (the
 * provider's page cursor and the fixed window) after every page: a job whose worker died is
 * taken over by another worker and resumes at that page.
 */
import type { Db } from "../db/client.js";
import { isDatabaseUnavailable } from "../db/errors.js";
import { DomainError } from "../errors.js";
import type { IntegrationEventType, PubSub } from "../events/pubsub.js";
import type { SyncKind } from "../generated/prisma/enums.js";
import { createCredentialSession } from "../integrations/credentials.js";
import type { CredentialCipher } from "../integrations/crypto.js";
import { type ProviderRegistry, paceKeyOf } from "../integrations/providers.js";
import { nextScheduledRun, type SyncSchedule } from "../jobs/schedule.js";
import type { Logger } from "../logger.js";
import { retentionCutoff } from "../privacy/policy.js";
import { applyRetentionEverywhere } from "../privacy/settings.js";
import {
  isProviderError,
  PROVIDER_ERROR_MESSAGES,
  ProviderError,
  publicMessage,
  redactDetail,
} from "../providers/errors.js";
import type { CallProviderClient, ProviderUser, SkippedRecord } from "../providers/types.js";
import { type Lease, LeaseLost, UNLEASED, UserLease } from "./lease.js";
import { recordSkipped } from "./skipped.js";
import { type StoreTarget, storeCalls } from "./store.js";

/** What the engine asks of the job system (src/jobs). */
export interface JobQueue {
  /** Lists the run's users, now or at `at` (a spent provider quota refills then). */
  runUsers(runId: string, at?: Date): Promise<void>;
  importUser(statusId: string, at?: Date): Promise<void>;
  followUpTranscripts(integrationId: string): Promise<void>;
  /** Starts the recurring sync on the integration's grid (src/jobs/schedule.ts); returns its first run. */
  schedule(integration: { id: string } & SyncSchedule): Promise<Date>;
  unschedule(integrationId: string): Promise<void>;
  /** Of these user statuses, those with an import job waiting or running (not a finished one). */
  queuedImports(statusIds: string[]): Promise<Set<string>>;
  /** Of these runs, those with a user listing waiting or running. */
  queuedRunUsers(runIds: string[]): Promise<Set<string>>;
}

export interface EngineSettings {
  /** Incremental syncs re-read this much before the last imported window (late calls keep their start time). */
  overlapMs: number;
  /**
   * Once per `deepEveryMs`, a sync re-reads this far back instead, so calls edited upstream after
   * the overlap (retitled, re-linked to a deal, reprocessed) are updated too.
   */
  deepRereadMs: number;
  deepEveryMs: number;
  /** How long after a call starts we keep asking for its transcript. */
  transcriptWindowMs: number;
  /** Failed attempts of one user before it is marked FAILED. */
  maxAttempts: number;
  /** First retry delay for transient failures; doubles per attempt. */
  retryDelayMs: number;
  /**
   * Lease of a user import (the job lock lifetime): renewed by the runner every third of it; a
   * wait longer than this reschedules the job instead of holding the worker.
   */
  leaseMs: number;
  /** A user still rate-limited this long after its import started fails (retryable) instead of waiting on. */
  rateLimitGiveUpMs: number;
  /**
   * Listings by modification time start this much before the saved high-water mark: the mark
   * is callsync's clock at the run's start, the filter compares the provider's.
   */
  modifiedOverlapMs: number;
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  overlapMs: 48 * 3_600_000,
  deepRereadMs: 14 * 86_400_000,
  deepEveryMs: 24 * 3_600_000,
  transcriptWindowMs: 72 * 3_600_000,
  maxAttempts: 4,
  retryDelayMs: 5_000,
  leaseMs: 60_000,
  rateLimitGiveUpMs: 24 * 3_600_000,
  modifiedOverlapMs: 10 * 60_000,
};

/**
 * Providers that list by modification time (client.listChangedCallsPage): their incremental
 * syncs read changes since the high-water mark, so they need no deep re-read. Gong has no such
 * filter: it keeps the overlap and the daily deep re-read, which also finds its deleted calls.
 */
const LISTS_CHANGES: ReadonlySet<string> = new Set(["SALESLOFT", "CLARI_COPILOT"]);

export interface EngineDeps {
  prisma: Db;
  log: Logger;
  pubsub: PubSub;
  cipher: CredentialCipher;
  providers: ProviderRegistry;
  queue: JobQueue;
  settings?: Partial<EngineSettings>;
}

const EPOCH_FLOOR = Date.UTC(2010, 0, 1);

interface Checkpoint {
  v: 1;
  windowFrom: number;
  windowTo: number;
  cursor: string | null;
  /** Set when this run lists by modification time: changes after this instant (ms). */
  modifiedAfter?: number;
  /** With modifiedAfter: calls started (Salesloft: created) from here on. */
  startedFrom?: number;
}

/**
 * What an open user waits for: RATE_LIMIT (a per-second or per-minute limit, or a short
 * Retry-After) or PROVIDER_QUOTA (the account's budget for the day or week is spent — callsync's
 * own shared count said so, or the provider asked to wait longer than a rate window lasts).
 */
export type WaitCode = "RATE_LIMIT" | "PROVIDER_QUOTA";
/** A provider's Retry-After longer than this is a spent quota, not a burst limit. */
export const QUOTA_WAIT_MIN_MS = 5 * 60_000;

export function waitCode(err: ProviderError, untilMs: number, now = Date.now()): WaitCode {
  return err.code === "QUOTA_EXHAUSTED" || untilMs - now > QUOTA_WAIT_MIN_MS ? "PROVIDER_QUOTA" : "RATE_LIMIT";
}

/**
 * The workspace user a provider user is synced as: the one with any of its addresses
 * (case-insensitive); null when none has one (the provider user is SKIPPED).
 */
export function workspaceUserOf(u: ProviderUser, byEmail: ReadonlyMap<string, string>): string | null {
  const emails = [u.email, ...u.emailAliases].filter((e): e is string => !!e).map((e) => e.toLowerCase());
  return emails.map((e) => byEmail.get(e)).find((id) => id !== undefined) ?? null;
}

const TERMINAL = ["COMPLETED", "FAILED", "SKIPPED"] as const;
const OPEN = ["PENDING", "IN_PROGRESS"] as const;

export class SyncEngine {
  readonly settings: EngineSettings;
  private stopping = false;
  constructor(private readonly deps: EngineDeps) {
    this.settings = { ...DEFAULT_ENGINE_SETTINGS, ...deps.settings };
  }

  private get prisma() {
    return this.deps.prisma;
  }

  /** Imports stop after their current page (checkpointed) and are queued again for another worker. */
  stop(): void {
    this.stopping = true;
  }

  // --- runs -------------------------------------------------------------------------------

  /** Opens a run and queues its user listing. Throws SYNC_IN_PROGRESS when one is running. */
  async startRun(integrationId: string, kind: SyncKind, triggeredById: string | null = null) {
    const integration = await this.prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
    if (integration.status !== "CONNECTED") throw new DomainError("NOT_CONNECTED");
    const now = new Date();
    const windowFrom =
      kind === "BACKFILL"
        ? (integration.backfillFrom ?? now)
        : !LISTS_CHANGES.has(integration.provider) && (await this.deepRereadDue(integrationId, now))
          ? new Date(Math.max(integration.backfillFrom?.getTime() ?? 0, now.getTime() - this.settings.deepRereadMs))
          : await this.incrementalFrom(integrationId, now);
    let run: Awaited<ReturnType<Db["syncRun"]["create"]>>;
    try {
      run = await this.prisma.syncRun.create({
        data: { workspaceId: integration.workspaceId, integrationId, kind, windowFrom, windowTo: now, triggeredById },
      });
    } catch (e) {
      if ((e as { code?: string }).code !== "P2002") throw e;
      // The running run may be one whose workers died: set it going again (or close it), so
      // "sync now" is never blocked by a run nobody works on.
      await this.recover(integrationId);
      throw new DomainError("SYNC_IN_PROGRESS");
    }
    await this.deps.queue.runUsers(run.id);
    await this.publishIntegration(integrationId, "SYNC_STARTED");
    await this.publishProgress(integrationId, run.id, null);
    return run;
  }

  /** Earliest watermark of the integration's users, minus the overlap; the backfill start when none. */
  private async incrementalFrom(integrationId: string, now: Date): Promise<Date> {
    const agg = await this.prisma.providerUser.aggregate({
      where: { integrationId, workspaceUserId: { not: null } },
      _min: { syncedThrough: true },
    });
    const integration = await this.prisma.integration.findUniqueOrThrow({
      where: { id: integrationId },
      select: { backfillFrom: true },
    });
    const through = agg._min.syncedThrough;
    if (through) return new Date(through.getTime() - this.settings.overlapMs);
    return integration.backfillFrom ?? now;
  }

  /** True when no sync of the last `deepEveryMs` has read back `deepRereadMs` (the backfill counts). */
  private async deepRereadDue(integrationId: string, now: Date): Promise<boolean> {
    const deepEnough = new Date(now.getTime() - this.settings.deepRereadMs + this.settings.overlapMs);
    const recent = await this.prisma.syncRun.count({
      where: {
        integrationId,
        status: { in: ["RUNNING", "COMPLETED", "PARTIAL"] },
        startedAt: { gt: new Date(now.getTime() - this.settings.deepEveryMs) },
        windowFrom: { lte: deepEnough },
      },
    });
    return recent === 0;
  }

  /**
   * Job run-users: lists provider users, matches them, opens a status per user, queues imports.
   * `lease` is the job's (renewed while the listing runs or waits): once it is lost — the job
   * was claimed again — this runner writes nothing more; the statuses are created in one
   * transaction that commits only while the lease is held (and the unique run × provider user
   * refuses a second set).
   */
  async runUsers(runId: string, lease: Lease = UNLEASED): Promise<void> {
    const run = await this.prisma.syncRun.findUniqueOrThrow({ where: { id: runId }, include: { integration: true } });
    if (run.status !== "RUNNING") return;
    const existing = await this.prisma.syncUserStatus.count({ where: { runId } });
    if (existing === 0) {
      let users: ProviderUser[];
      let unreadable: readonly SkippedRecord[];
      try {
        const client = await this.client(run.integrationId, undefined, { signal: lease.signal });
        ({ users, skipped: unreadable } = await client.listUsers());
      } catch (e) {
        lease.assertHeld();
        // A spent quota or a long rate limit: list the users when the provider lets us, on any worker.
        if (isProviderError(e) && e.kind === "RATE_LIMITED" && e.details.retryAt) {
          this.deps.log.info({ runId, code: e.code, until: new Date(e.details.retryAt) }, "user listing waits");
          await this.deps.queue.runUsers(runId, new Date(e.details.retryAt));
          return;
        }
        await this.failRun(runId, e);
        return;
      }
      const workspaceUsers = await this.prisma.user.findMany({
        where: { workspaceId: run.workspaceId },
        select: { id: true, email: true },
      });
      const byEmail = new Map(workspaceUsers.map((u) => [u.email, u.id]));
      lease.assertHeld();
      await this.prisma.$transaction(async (tx) => {
        // Users the provider listed in a shape callsync cannot read: counted, the others go on.
        await recordSkipped(
          tx,
          { workspaceId: run.workspaceId, integrationId: run.integrationId, runId, userStatusId: null },
          unreadable,
        );
        for (const u of users) {
          const match = workspaceUserOf(u, byEmail);
          const pu = await tx.providerUser.upsert({
            where: {
              integrationId_providerUserId: { integrationId: run.integrationId, providerUserId: u.providerUserId },
            },
            create: {
              integrationId: run.integrationId,
              providerUserId: u.providerUserId,
              email: u.email?.toLowerCase() ?? null,
              name: u.name,
              active: u.active,
              workspaceUserId: match,
            },
            update: { email: u.email?.toLowerCase() ?? null, name: u.name, active: u.active, workspaceUserId: match },
          });
          await tx.syncUserStatus.create({
            data: {
              runId,
              providerUserRef: pu.id,
              state: match ? "PENDING" : "SKIPPED",
              skipReason: match
                ? null
                : u.email
                  ? `No workspace user has the email ${u.email.toLowerCase()}`
                  : "The provider user has no email address",
              finishedAt: match ? null : new Date(),
              // Its import job is queued below; recovery leaves it alone until this passes.
              leaseUntil: match ? new Date(Date.now() + this.settings.leaseMs) : null,
            },
          });
        }
        // Lost meanwhile (a slow transaction): roll the statuses back; the new holder lists them.
        lease.assertHeld();
      });
    }
    lease.assertHeld();
    const statuses = await this.prisma.syncUserStatus.findMany({ where: { runId }, select: { id: true, state: true } });
    // Subscribers see every user's first state (PENDING or SKIPPED) before any import starts.
    for (const s of statuses) await this.publishProgress(run.integrationId, runId, s.id);
    for (const s of statuses)
      if (s.state === "PENDING" || s.state === "IN_PROGRESS") {
        lease.assertHeld();
        await this.deps.queue.importUser(s.id);
      }
    lease.assertHeld();
    await this.finishRunIfDone(runId);
  }

  /**
   * Job import-user: imports one provider user's calls in the run's window, page by page,
   * saving the checkpoint after each page. Runs only while it holds the user's lease (see
   * lease.ts); `job` is the job's own lease (its lock, renewed on its own timer): losing it
   * loses the user's lease too.
   */
  async importUser(statusId: string, job: Lease = UNLEASED): Promise<void> {
    const lease = new UserLease(this.prisma, statusId, this.settings.leaseMs, this.deps.log, job);
    job.assertHeld();
    if (!(await lease.claim())) {
      // Finished, or another runner holds it: that one may have died just now, so come back
      // when its lease runs out rather than leave the user to the recovery sweep.
      const held = await this.prisma.syncUserStatus.findUnique({
        where: { id: statusId },
        select: { state: true, leaseUntil: true },
      });
      if (held?.leaseUntil && (held.state === "PENDING" || held.state === "IN_PROGRESS") && job.held)
        await this.deps.queue.importUser(statusId, new Date(held.leaseUntil.getTime() + 250));
      return;
    }
    lease.keepAlive();
    try {
      await this.runImport(lease);
    } catch (e) {
      if (e instanceof LeaseLost) return;
      // The database is away: nothing is recorded against the user; its lease runs out and a
      // live worker takes it over from the checkpoint (recover()).
      if (isDatabaseUnavailable(e)) throw e;
      await this.handleImportError(lease, e).catch((err: unknown) => {
        if (!(err instanceof LeaseLost)) throw err;
      });
    } finally {
      lease.stop();
    }
  }

  private async runImport(lease: UserLease): Promise<void> {
    const { statusId } = lease;
    const status = await this.prisma.syncUserStatus.findUniqueOrThrow({
      where: { id: statusId },
      include: { run: { include: { integration: true } }, providerUser: true },
    });
    const { run, providerUser } = status;
    const integration = run.integration;
    if (run.status !== "RUNNING") {
      await this.release(lease, null);
      return;
    }
    if (integration.status !== "CONNECTED") {
      await this.failUser(statusId, new ProviderError("AUTH_FAILED", "The integration needs reconnecting"), lease);
      return;
    }
    const checkpoint = (status.checkpoint as Checkpoint | null) ?? {
      v: 1,
      // A backfill reads its whole window; later runs read from the user's watermark minus the
      // overlap, or from the run's start when that is earlier (a deep re-read).
      windowFrom:
        run.kind === "BACKFILL" || !providerUser.syncedThrough
          ? (run.windowFrom ?? integration.backfillFrom ?? new Date(EPOCH_FLOOR)).getTime()
          : Math.min(
              providerUser.syncedThrough.getTime() - this.settings.overlapMs,
              run.windowFrom?.getTime() ?? Number.POSITIVE_INFINITY,
              run.windowTo.getTime(),
            ),
      windowTo: run.windowTo.getTime(),
      cursor: null,
    };
    // Nothing older than the workspace's retention window is listed (the store refuses it anyway).
    const cutoff = retentionCutoff(
      (await this.prisma.workspace.findUniqueOrThrow({ where: { id: run.workspaceId } })).retentionDays,
    );
    if (cutoff && !status.checkpoint) checkpoint.windowFrom = Math.max(checkpoint.windowFrom, cutoff.getTime());
    const mine = { id: statusId, leaseOwner: lease.owner, run: { is: { status: "RUNNING" as const } } };
    lease.lost(
      (
        await this.prisma.syncUserStatus.updateMany({
          where: mine,
          data: {
            state: "IN_PROGRESS",
            startedAt: status.startedAt ?? new Date(),
            checkpoint: { ...checkpoint },
            waitingUntil: null,
          },
        })
      ).count,
    );
    await this.publishProgress(integration.id, run.id, statusId);

    const client = await this.client(
      integration.id,
      async (reason, until) => {
        if (reason !== "RATE_LIMIT" || !lease.held) return;
        await this.prisma.syncUserStatus.updateMany({
          where: mine,
          data: { waitingUntil: new Date(until), errorCode: "RATE_LIMITED" },
        });
        await this.publishProgress(integration.id, run.id, statusId);
      },
      { signal: lease.signal },
    );
    const target = await this.storeTarget(integration);
    const user: ProviderUser = {
      providerUserId: providerUser.providerUserId,
      email: providerUser.email,
      emailAliases: [],
      name: providerUser.name,
      active: providerUser.active,
    };
    const listsChanges = typeof client.listChangedCallsPage === "function";
    // An incremental run of a user imported before lists what changed since its high-water mark
    // (a user imported before marks existed: since its watermark minus the deep re-read span).
    if (!status.checkpoint && listsChanges && run.kind !== "BACKFILL" && providerUser.syncedThrough) {
      const mark =
        providerUser.modifiedThrough?.getTime() ?? providerUser.syncedThrough.getTime() - this.settings.deepRereadMs;
      checkpoint.modifiedAfter = mark - this.settings.modifiedOverlapMs;
      checkpoint.startedFrom = Math.max(
        integration.backfillFrom?.getTime() ?? EPOCH_FLOOR,
        cutoff?.getTime() ?? EPOCH_FLOOR,
      );
    }
    // Gong re-reads windows of start time: a stored call it no longer lists there was deleted.
    const findsDeletedByWindow = !listsChanges;
    let cursor = checkpoint.cursor;
    for (;;) {
      lease.assertHeld();
      const page =
        checkpoint.modifiedAfter !== undefined && client.listChangedCallsPage
          ? await client.listChangedCallsPage(
              user,
              {
                modifiedAfterMs: checkpoint.modifiedAfter,
                fromMs: checkpoint.startedFrom ?? EPOCH_FLOOR,
                untilMs: checkpoint.windowTo,
              },
              cursor,
            )
          : await client.listCallsPage(
              user,
              { fromMs: Math.max(checkpoint.windowFrom, EPOCH_FLOOR), toMs: checkpoint.windowTo },
              cursor,
            );
      const nextCursor = page.nextCursor;
      lease.assertHeld();
      // The checkpoint commits with the page's calls, and only while this runner holds the
      // user: a runner that lost its lease mid-page rolls the page back instead of writing it.
      // Skipped records commit with them too, so a runner taken over never re-counts them.
      await storeCalls(this.prisma, target, page.calls, async (tx, stored) => {
        const skipped = await recordSkipped(
          tx,
          {
            workspaceId: integration.workspaceId,
            integrationId: integration.id,
            runId: run.id,
            userStatusId: statusId,
          },
          [...(page.skipped ?? []), ...stored.skipped],
        );
        if (findsDeletedByWindow) {
          const listed = [
            ...page.calls.map((c) => c.providerCallId),
            ...(page.skipped ?? []).filter((r) => r.kind === "CALL").map((r) => r.providerRecordId),
          ];
          // Raw, so a call listed unchanged keeps its updatedAt.
          if (listed.length > 0)
            await tx.$executeRaw`UPDATE "Call" SET "listedAt" = now()
              WHERE "integrationId" = ${integration.id}::uuid AND "providerCallId" = ANY(${listed})`;
        }
        const written = await tx.syncUserStatus.updateMany({
          where: mine,
          data: {
            callsImported: { increment: stored.created },
            callsUpdated: { increment: stored.updated },
            callsUnchanged: { increment: stored.unchanged },
            callsSkipped: { increment: skipped },
            callsTotal: page.total ?? undefined,
            pagesDone: { increment: 1 },
            checkpoint: { ...checkpoint, cursor: nextCursor },
            waitingUntil: null,
            leaseUntil: lease.until(),
          },
        });
        lease.lost(written.count);
      });
      cursor = nextCursor;
      await this.publishProgress(integration.id, run.id, statusId);
      if (cursor === null) break;
      if (this.stopping) {
        // Shutting down: hand the rest of this user to the next worker, which resumes at the checkpoint.
        await this.release(lease, null);
        await this.deps.queue.importUser(statusId);
        return;
      }
    }
    await this.prisma.$transaction(async (tx) => {
      const done = await tx.syncUserStatus.updateMany({
        where: { ...mine, state: "IN_PROGRESS" },
        data: {
          state: "COMPLETED",
          finishedAt: new Date(),
          waitingUntil: null,
          errorCode: null,
          errorMessage: null,
          leaseOwner: null,
          leaseUntil: null,
        },
      });
      lease.lost(done.count);
      await tx.providerUser.update({
        where: { id: providerUser.id },
        // The run listed every change up to its start: that is the user's new high-water mark.
        data: {
          syncedThrough: new Date(checkpoint.windowTo),
          ...(listsChanges ? { modifiedThrough: new Date(checkpoint.windowTo) } : {}),
        },
      });
      if (findsDeletedByWindow)
        await this.markUnlisted(tx, integration.id, providerUser.providerUserId, checkpoint, run.startedAt);
    });
    lease.stop();
    await this.publishProgress(integration.id, run.id, statusId);
    await this.finishRunIfDone(run.id);
  }

  /**
   * After a complete window listing: the user's stored calls that started in the window and no
   * listing of this run returned are marked deleted upstream (a call listed again is restored by
   * the store). Calls of other owners are left to their owner's listing.
   */
  private async markUnlisted(
    tx: Parameters<Parameters<Db["$transaction"]>[0]>[0],
    integrationId: string,
    ownerProviderUserId: string,
    window: Checkpoint,
    runStartedAt: Date,
  ): Promise<number> {
    const marked = await tx.call.updateMany({
      where: {
        integrationId,
        ownerProviderUserId,
        deletedUpstreamAt: null,
        // Stored before this run: a call a webhook brought in meanwhile may be on a page already read.
        createdAt: { lt: runStartedAt },
        startedAt: { gte: new Date(Math.max(window.windowFrom, EPOCH_FLOOR)), lt: new Date(window.windowTo) },
        OR: [{ listedAt: null }, { listedAt: { lt: runStartedAt } }],
      },
      data: { deletedUpstreamAt: new Date() },
    });
    if (marked.count > 0) this.deps.log.info({ integrationId, calls: marked.count }, "calls deleted upstream");
    return marked.count;
  }

  /**
   * Calls the provider said do not exist when asked by id (client.goneCallIds) are marked
   * deleted upstream. A Clari call stored as still processing is not: Clari answers 404 for
   * calls that are not ready yet too.
   */
  private async markGone(integrationId: string, client: CallProviderClient): Promise<void> {
    const gone = client.goneCallIds ?? [];
    if (gone.length === 0) return;
    const marked = await this.prisma.call.updateMany({
      where: {
        integrationId,
        providerCallId: { in: [...gone] },
        deletedUpstreamAt: null,
        ...(client.provider === "CLARI_COPILOT" ? { readiness: { not: "PROCESSING" as const } } : {}),
      },
      data: { deletedUpstreamAt: new Date() },
    });
    if (marked.count > 0) this.deps.log.info({ integrationId, calls: marked.count }, "calls deleted upstream");
  }

  /** Gives the user up for the next job, due at `at` (null = now); the recovery deadline follows it. */
  private async release(lease: UserLease, at: Date | null, data: Record<string, unknown> = {}): Promise<void> {
    const due = at?.getTime() ?? Date.now();
    const released = await this.prisma.syncUserStatus.updateMany({
      where: { id: lease.statusId, leaseOwner: lease.owner },
      data: { ...data, leaseOwner: null, leaseUntil: new Date(due + lease.lifetimeMs) },
    });
    lease.stop();
    lease.lost(released.count);
  }

  private async handleImportError(lease: UserLease, e: unknown): Promise<void> {
    const { statusId } = lease;
    const status = await this.prisma.syncUserStatus.findUniqueOrThrow({
      where: { id: statusId },
      include: { run: true },
    });
    if (status.leaseOwner !== lease.owner) return;
    const err = isProviderError(e) ? e : null;
    this.deps.log.warn(
      { statusId, code: err?.code, detail: err ? redactDetail(err.message) : undefined, err: err ? undefined : e },
      "user import failed",
    );
    if (err?.kind === "RECONNECT_NEEDED") {
      await this.markReconnectNeeded(status.run.integrationId, err);
      return;
    }
    // A rate limit is a wait, not a failure: the job comes back when the provider said, without
    // spending an attempt, until the import has been rate-limited for longer than is reasonable.
    // A spent day/week budget is waited for however long it takes (the budget refills); a burst
    // limit that keeps answering 429 for longer than is reasonable fails the user instead.
    if (err?.kind === "RATE_LIMITED") {
      const startedAt = status.startedAt?.getTime() ?? Date.now();
      const at = new Date(Math.max(Date.now(), err.details.retryAt ?? Date.now() + this.settings.retryDelayMs));
      const code = waitCode(err, at.getTime()) === "PROVIDER_QUOTA" ? "QUOTA_EXHAUSTED" : err.code;
      if (code === "QUOTA_EXHAUSTED" || Date.now() - startedAt < this.settings.rateLimitGiveUpMs) {
        await this.release(lease, at, {
          waitingUntil: at,
          errorCode: code,
          errorMessage: PROVIDER_ERROR_MESSAGES[code],
        });
        await this.deps.queue.importUser(statusId, at);
        await this.publishProgress(status.run.integrationId, status.runId, statusId);
        return;
      }
    }
    // Transient provider failures and our own unexpected ones (a query cut off, a timeout) are
    // retried with backoff, a bounded number of times; permanent ones fail at once.
    const attempts = status.attempts + 1;
    const retryable = err ? err.retryable && err.kind !== "RATE_LIMITED" : true;
    if (retryable && attempts < this.settings.maxAttempts) {
      const at = new Date(Date.now() + this.settings.retryDelayMs * 2 ** (attempts - 1));
      await this.release(lease, at, {
        attempts,
        waitingUntil: null,
        errorCode: err?.code ?? null,
        errorMessage: err ? publicMessage(err) : null,
      });
      await this.deps.queue.importUser(statusId, at);
      await this.publishProgress(status.run.integrationId, status.runId, statusId);
      return;
    }
    await this.failUser(statusId, e, lease, attempts);
  }

  /** Fails an open user (never a finished one); with a lease, only while it holds the user. */
  private async failUser(statusId: string, e: unknown, lease?: UserLease, attempts?: number): Promise<void> {
    const err = isProviderError(e) ? e : null;
    const failed = await this.prisma.syncUserStatus.updateMany({
      where: { id: statusId, state: { in: [...OPEN] }, ...(lease ? { leaseOwner: lease.owner } : {}) },
      data: {
        state: "FAILED",
        finishedAt: new Date(),
        waitingUntil: null,
        leaseOwner: null,
        leaseUntil: null,
        ...(attempts !== undefined ? { attempts } : {}),
        errorCode: err?.code ?? "INTERNAL_ERROR",
        errorMessage: err
          ? publicMessage(err)
          : "Unexpected error while importing; retry, and contact support if it persists",
        // Auth failures are worth retrying after reconnecting; permanent provider errors are not.
        retryable: err ? err.kind !== "PERMANENT" : true,
      },
    });
    lease?.stop();
    if (failed.count === 0) return;
    const status = await this.prisma.syncUserStatus.findUniqueOrThrow({
      where: { id: statusId },
      include: { run: true },
    });
    await this.publishProgress(status.run.integrationId, status.runId, statusId);
    await this.finishRunIfDone(status.runId);
  }

  /** Closes the run when every user is terminal. Safe to call concurrently: the update is conditional. */
  async finishRunIfDone(runId: string): Promise<void> {
    const open = await this.prisma.syncUserStatus.count({
      where: { runId, state: { notIn: [...TERMINAL] } },
    });
    const total = await this.prisma.syncUserStatus.count({ where: { runId } });
    if (open > 0 || total === 0) return;
    const failed = await this.prisma.syncUserStatus.count({ where: { runId, state: "FAILED" } });
    const attempted = await this.prisma.syncUserStatus.count({ where: { runId, state: { not: "SKIPPED" } } });
    const status = failed === 0 ? "COMPLETED" : failed === attempted ? "FAILED" : "PARTIAL";
    // The run and its integration's summary change in one transaction: a reader never sees the run
    // finished while the integration still shows the previous run's outcome.
    const run = await this.prisma.$transaction(async (tx) => {
      const closed = await tx.syncRun.updateMany({
        where: { id: runId, status: "RUNNING" },
        data: { status, activeSlot: null, finishedAt: new Date() },
      });
      if (closed.count === 0) return null;
      const finished = await tx.syncRun.findUniqueOrThrow({ where: { id: runId }, include: { integration: true } });
      await tx.integration.update({
        where: { id: finished.integrationId },
        data: {
          lastSyncAt: finished.finishedAt,
          lastSyncStatus: status,
          lastSyncError: failed > 0 ? `${failed} of ${total} users failed` : null,
          wizardStep: finished.integration.wizardStep === "SYNC" ? "COMPLETE" : finished.integration.wizardStep,
        },
      });
      return finished;
    });
    if (!run) return;
    await this.deps.queue.followUpTranscripts(run.integrationId);
    await this.publishProgress(run.integrationId, runId, null);
    await this.publishIntegration(run.integrationId, "SYNC_FINISHED");
  }

  private async failRun(runId: string, e: unknown): Promise<void> {
    const err = isProviderError(e) ? e : null;
    this.deps.log.warn(
      { runId, code: err?.code, detail: err ? redactDetail(err.message) : undefined, err: err ? undefined : e },
      "sync run failed",
    );
    const reconnect = err?.kind === "RECONNECT_NEEDED";
    const run = await this.prisma.$transaction(async (tx) => {
      const closed = await tx.syncRun.updateMany({
        where: { id: runId, status: "RUNNING" },
        data: {
          status: "FAILED",
          activeSlot: null,
          finishedAt: new Date(),
          error: err ? `${err.code}: ${publicMessage(err)}` : "Unexpected error",
        },
      });
      if (closed.count === 0) return null;
      const failedRun = await tx.syncRun.findUniqueOrThrow({ where: { id: runId } });
      if (!reconnect)
        await tx.integration.update({
          where: { id: failedRun.integrationId },
          data: { lastSyncAt: failedRun.finishedAt, lastSyncStatus: "FAILED", lastSyncError: failedRun.error },
        });
      return failedRun;
    });
    if (!run) return;
    if (reconnect && err) await this.markReconnectNeeded(run.integrationId, err);
    await this.publishProgress(run.integrationId, runId, null);
    await this.publishIntegration(run.integrationId, "SYNC_FINISHED");
  }

  /** Revoked credentials: the integration waits for a reconnect, its schedule paused, its users failed. */
  async markReconnectNeeded(integrationId: string, err: ProviderError): Promise<void> {
    // Only a connected integration needs reconnecting: one disconnected meanwhile stays so.
    const changed = await this.prisma.integration.updateMany({
      where: { id: integrationId, status: "CONNECTED" },
      data: {
        status: "RECONNECT_NEEDED",
        errorCode: "AUTH_FAILED",
        errorMessage: publicMessage(err),
        nextSyncAt: null,
      },
    });
    if (changed.count > 0) await this.deps.queue.unschedule(integrationId);
    const open = await this.prisma.syncUserStatus.findMany({
      where: { run: { integrationId, status: "RUNNING" }, state: { in: ["PENDING", "IN_PROGRESS"] } },
      select: { id: true },
    });
    for (const s of open) await this.failUser(s.id, new ProviderError("AUTH_FAILED", redactDetail(err.message)));
    if (changed.count > 0) await this.publishIntegration(integrationId, "STATUS_CHANGED");
  }

  /**
   * Sets going again what nobody works on (every live worker calls this now and then, and
   * `startRun` when a run blocks a new one): open users of running runs whose lease deadline
   * passed with no import job, nor their run's user listing, waiting or locked (their worker
   * died, their job failed while the database was away, a job was lost) are queued again and
   * resume at their checkpoint; a run whose user listing never ran is listed again; a run whose
   * users are all finished is closed. Concurrent sweeps queue a user once: each reserves it with a conditional update.
   * Returns how many users and runs were set going.
   */
  async recover(integrationId?: string): Promise<number> {
    const now = Date.now();
    // A locked job (running, or dead and about to be taken over by Agenda) counts as queued, so
    // the lease itself is the deadline; a run gets a lifetime to list its users.
    const stale = { OR: [{ leaseUntil: null }, { leaseUntil: { lt: new Date(now) } }] };
    const deadline = new Date(now - this.settings.leaseMs);
    const inScope = { status: "RUNNING" as const, ...(integrationId ? { integrationId } : {}) };
    let revived = 0;
    const users = await this.prisma.syncUserStatus.findMany({
      where: { state: { in: [...OPEN] }, run: { is: inScope }, ...stale },
      select: { id: true, runId: true },
      take: 500,
    });
    // A listing still alive queues its users' imports itself (again, when it is taken over).
    // Asked before the imports: a listing over by then had queued them before it ended.
    const listing = await this.deps.queue.queuedRunUsers([...new Set(users.map((u) => u.runId))]);
    const queued = await this.deps.queue.queuedImports(users.map((u) => u.id));
    for (const { id, runId } of users) {
      if (queued.has(id) || listing.has(runId)) continue;
      const reserved = await this.prisma.syncUserStatus.updateMany({
        where: { id, state: { in: [...OPEN] }, ...stale },
        data: { leaseOwner: null, leaseUntil: new Date(now + this.settings.leaseMs) },
      });
      if (reserved.count === 0) continue;
      this.deps.log.warn({ statusId: id }, "user import had no live runner; queued again");
      await this.deps.queue.importUser(id);
      revived++;
    }
    const runs = await this.prisma.syncRun.findMany({
      where: { ...inScope, startedAt: { lt: deadline } },
      select: { id: true, _count: { select: { users: true } } },
    });
    const listed = await this.deps.queue.queuedRunUsers(runs.filter((r) => r._count.users === 0).map((r) => r.id));
    for (const run of runs) {
      if (run._count.users > 0) {
        await this.finishRunIfDone(run.id);
        continue;
      }
      if (listed.has(run.id)) continue;
      this.deps.log.warn({ runId: run.id }, "run had no user listing in progress; listing again");
      await this.deps.queue.runUsers(run.id);
      revived++;
    }
    return revived;
  }

  /** Re-runs one failed user inside its run; the others are left as they are. */
  async retryUser(statusId: string): Promise<void> {
    const status = await this.prisma.syncUserStatus.findUniqueOrThrow({
      where: { id: statusId },
      include: { run: { include: { integration: true } } },
    });
    if (status.state !== "FAILED") throw new DomainError("CONFLICT", "Only a failed user can be retried.");
    if (status.run.integration.status !== "CONNECTED") throw new DomainError("NOT_CONNECTED");
    try {
      await this.prisma.$transaction(async (tx) => {
        const reopened = await tx.syncUserStatus.updateMany({
          where: { id: statusId, state: "FAILED" },
          data: {
            state: "PENDING",
            attempts: 0,
            errorCode: null,
            errorMessage: null,
            retryable: null,
            finishedAt: null,
            waitingUntil: null,
            leaseOwner: null,
            leaseUntil: new Date(Date.now() + this.settings.leaseMs),
          },
        });
        if (reopened.count === 0) throw new DomainError("CONFLICT", "Only a failed user can be retried.");
        await tx.syncRun.update({
          where: { id: status.runId },
          data: { status: "RUNNING", activeSlot: true, finishedAt: null },
        });
      });
    } catch (e) {
      if ((e as { code?: string }).code === "P2002") throw new DomainError("SYNC_IN_PROGRESS");
      throw e;
    }
    await this.deps.queue.importUser(statusId);
    await this.publishProgress(status.run.integrationId, status.runId, statusId);
  }

  /**
   * Re-opens a finished run for all its failed users (the others are left as they are); a run
   * that failed before listing users lists them again. SYNC_IN_PROGRESS when another run holds
   * the integration.
   */
  async retryRun(runId: string): Promise<void> {
    const failed = await this.prisma.syncUserStatus.findMany({
      where: { runId, state: "FAILED" },
      select: { id: true },
    });
    const listed = await this.prisma.syncUserStatus.count({ where: { runId } });
    if (listed > 0 && failed.length === 0) throw new DomainError("NOTHING_TO_RETRY");
    try {
      await this.prisma.$transaction([
        this.prisma.syncRun.update({
          where: { id: runId },
          data: { status: "RUNNING", activeSlot: true, finishedAt: null, error: null },
        }),
        this.prisma.syncUserStatus.updateMany({
          where: { runId, state: "FAILED" },
          data: {
            state: "PENDING",
            attempts: 0,
            errorCode: null,
            errorMessage: null,
            retryable: null,
            finishedAt: null,
            waitingUntil: null,
          },
        }),
      ]);
    } catch (e) {
      if ((e as { code?: string }).code === "P2002") throw new DomainError("SYNC_IN_PROGRESS");
      throw e;
    }
    const run = await this.prisma.syncRun.findUniqueOrThrow({ where: { id: runId }, select: { integrationId: true } });
    if (listed === 0) await this.deps.queue.runUsers(runId);
    for (const s of failed) {
      await this.deps.queue.importUser(s.id);
      await this.publishProgress(run.integrationId, runId, s.id);
    }
    await this.publishProgress(run.integrationId, runId, null);
  }

  /**
   * Job transcripts: asks again for calls whose transcript (or AI summary) was not ready; gives up
   * on a transcript after the window. `lease` is the job's: once it is lost, no further batch
   * is read or written (a batch in flight rolls back).
   */
  async followUpTranscripts(integrationId: string, lease: Lease = UNLEASED): Promise<void> {
    const integration = await this.prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
    if (integration.status !== "CONNECTED") return;
    const now = new Date();
    lease.assertHeld();
    await this.prisma.call.updateMany({
      where: {
        integrationId,
        readiness: { in: ["TRANSCRIPT_PENDING", "PROCESSING"] },
        transcriptDeadline: { lt: now },
      },
      data: { readiness: "TRANSCRIPT_GAVE_UP" },
    });
    // Also recent calls whose transcript came before the provider's AI summary (Gong publishes
    // them separately); a tenant without AI features just stops being asked after the window.
    const recent = new Date(now.getTime() - this.settings.transcriptWindowMs);
    const waiting = await this.prisma.call.findMany({
      where: {
        integrationId,
        purgedAt: null,
        OR: [
          { readiness: { in: ["TRANSCRIPT_PENDING", "PROCESSING"] } },
          { readiness: "READY", summary: null, startedAt: { gt: recent } },
        ],
      },
      select: { providerCallId: true },
      orderBy: { startedAt: "asc" },
    });
    if (waiting.length === 0) return;
    const client = await this.client(integrationId, undefined, { signal: lease.signal });
    const target = await this.storeTarget(integration);
    for (let i = 0; i < waiting.length; i += 100) {
      const ids = waiting.slice(i, i + 100).map((c) => c.providerCallId);
      lease.assertHeld();
      try {
        const calls = await client.fetchCalls(ids);
        lease.assertHeld();
        await storeCalls(this.prisma, target, calls, async () => lease.assertHeld());
        await this.markGone(integrationId, client);
      } catch (e) {
        if (e instanceof LeaseLost) throw e;
        lease.assertHeld();
        if (isProviderError(e) && e.kind === "RECONNECT_NEEDED") await this.markReconnectNeeded(integrationId, e);
        else this.deps.log.warn({ integrationId, err: e }, "transcript follow-up failed; next sync tries again");
        return;
      }
    }
  }

  /**
   * Job sync:webhook-calls: the calls a verified webhook announced, read again from the provider
   * (with transcript and AI content when ready) and stored through the same path as a sync:
   * idempotent, privacy rules applied; those still waiting for content are asked for by the
   * follow-up like any other. A failure is logged: the scheduled sync is the safety net.
   */
  async importAnnouncedCalls(integrationId: string, providerCallIds: string[], lease: Lease = UNLEASED): Promise<void> {
    const integration = await this.prisma.integration.findUnique({ where: { id: integrationId } });
    if (integration?.status !== "CONNECTED" || providerCallIds.length === 0) return;
    try {
      const client = await this.client(integrationId, undefined, { signal: lease.signal });
      const calls = await client.fetchCalls(providerCallIds);
      lease.assertHeld();
      const stored = await storeCalls(this.prisma, await this.storeTarget(integration), calls, async () =>
        lease.assertHeld(),
      );
      await this.markGone(integrationId, client);
      this.deps.log.info(
        { integrationId, announced: providerCallIds.length, created: stored.created, updated: stored.updated },
        "webhook calls imported",
      );
    } catch (e) {
      if (e instanceof LeaseLost) throw e;
      lease.assertHeld();
      if (isProviderError(e) && e.kind === "RECONNECT_NEEDED") await this.markReconnectNeeded(integrationId, e);
      else this.deps.log.warn({ integrationId, err: e }, "webhook import failed; the next sync imports the call");
    }
  }

  /** Job privacy:retention: every workspace's calls past its retention window lose their content. */
  applyRetention(now = Date.now()): Promise<number> {
    return applyRetentionEverywhere(this.prisma, now);
  }

  /**
   * Job scheduled: the recurring sync of one integration. `dueAt` is the slot this run is for;
   * the next slot is set (`reschedule`) before the run starts, so no outcome moves the grid.
   */
  async scheduledSync(
    integrationId: string,
    dueAt: Date | null = null,
    reschedule: (next: Date) => Promise<void> = async () => {},
  ): Promise<void> {
    const integration = await this.prisma.integration.findUnique({ where: { id: integrationId } });
    if (integration?.status !== "CONNECTED") return;
    const next = nextScheduledRun(integration, dueAt);
    await reschedule(next);
    await this.prisma.integration.update({ where: { id: integrationId }, data: { nextSyncAt: next } });
    try {
      await this.startRun(integrationId, "SCHEDULED");
    } catch (e) {
      if (e instanceof DomainError && e.code === "SYNC_IN_PROGRESS") return;
      throw e;
    }
  }

  // --- helpers ----------------------------------------------------------------------------

  /** The provider client of an integration, with its credential session and shared pacer. */
  async client(
    integrationId: string,
    onWait?: (reason: "RATE_LIMIT" | "RETRY", untilMs: number) => Promise<void>,
    /**
     * Tighter bounds for a caller that must not wait long (the Backfill step's estimate); `signal`
     * is the runner's lease (once it is lost, the client sends nothing more).
     */
    bounds: { attempts?: number; maxInlineWaitMs?: number; signal?: AbortSignal } = {},
  ): Promise<CallProviderClient> {
    const { prisma, cipher, providers } = this.deps;
    const integration = await prisma.integration.findUniqueOrThrow({
      where: { id: integrationId },
      select: { id: true, provider: true, connectedAccountId: true, privateCalls: true },
    });
    const adapter = providers[integration.provider];
    const session = createCredentialSession({
      prisma,
      cipher,
      integrationId,
      oauth: adapter.kind === "oauth" ? adapter.oauth : null,
      onRevoked: (err) => this.markReconnectNeeded(integrationId, err),
    });
    return adapter.client({
      session,
      paceKey: paceKeyOf(integration),
      includePrivate: integration.privateCalls !== "SKIP",
      // A wait longer than the lease frees the worker: the job is rescheduled for then instead.
      maxInlineWaitMs: Math.min(bounds.maxInlineWaitMs ?? 30_000, this.settings.leaseMs),
      attempts: bounds.attempts,
      onWait: onWait ? (reason, until) => void onWait(reason, until).catch(() => {}) : undefined,
      signal: bounds.signal,
    });
  }

  /** Where an integration's calls are stored, with its users for owner and participant matching. */
  private async storeTarget(integration: {
    id: string;
    workspaceId: string;
    provider: StoreTarget["provider"];
  }): Promise<StoreTarget> {
    const { workspaceId, id: integrationId } = integration;
    const [users, providerUsers] = await Promise.all([
      this.prisma.user.findMany({ where: { workspaceId }, select: { id: true, email: true } }),
      this.prisma.providerUser.findMany({
        where: { integrationId, workspaceUserId: { not: null } },
        select: { providerUserId: true, workspaceUserId: true },
      }),
    ]);
    return {
      workspaceId,
      integrationId,
      provider: integration.provider,
      usersByEmail: new Map(users.map((u) => [u.email, u.id])),
      usersByProviderId: new Map(providerUsers.map((p) => [p.providerUserId, p.workspaceUserId!])),
      transcriptWindowMs: this.settings.transcriptWindowMs,
    };
  }

  async publishProgress(integrationId: string, runId: string, statusId: string | null): Promise<void> {
    this.deps.pubsub.publish("syncProgress", integrationId, { integrationId, runId, statusId, at: Date.now() });
  }

  async publishIntegration(
    integrationId: string,
    type: IntegrationEventType,
    code: string | null = null,
    message: string | null = null,
  ): Promise<void> {
    this.deps.pubsub.publish("integration", integrationId, { type, integrationId, code, message, at: Date.now() });
  }
}
