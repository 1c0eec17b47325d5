/**
 * The Backfill step's estimate: for each period the wizard offers, how many calls the backfill
 * would import, how many provider requests that costs and how long the account's quota lets it
 * take.
 *
 *   calls     one listing request per period (per 100 matched users) for the matched users'
 *             window: the provider's own total (Gong `records.totalRecords`, Salesloft
 *             `metadata.paging.total_count`, Clari Copilot `pagination.matched`) is EXACT; without
 *             one, a page that holds every call is EXACT too (LISTED), else the page's density
 *             over the window is APPROXIMATE (SAMPLE).
 *   requests  the provider's cost model (REQUEST_COST, the one the import's ETA uses): listing
 *             pages and per-call follow-ups (transcripts, details) per call, a last page per user.
 *   seconds   those requests at the pacer's send rate (the configured quota's rate window, with
 *             its headroom), plus a wait for every refill of the day/week budget they need
 *             (sync/eta.ts), from the account's shared count at the time of the estimate.
 *
 * Bounded and never in the way: computed in the background the first time it is asked for (a
 * claim in the database keeps it to one computation at a time across processes), reused for
 * ESTIMATE_TTL_MS (a failure for ESTIMATE_RETRY_MS), and read without waiting (COMPUTING until
 * then). A provider failure makes the estimate UNAVAILABLE with the provider error's stable code;
 * the wizard goes on without it. The requests are paced and counted like every request of the
 * account.
 */
import { z } from "zod";
import { type Db, Prisma } from "../db/client.js";
import { BackfillPeriod } from "../generated/prisma/enums.js";
import type { Logger } from "../logger.js";
import { isProviderError } from "../providers/errors.js";
import { type CallSample, SAMPLE_MAX_USERS, type TimeWindow } from "../providers/types.js";
import { type SyncEngine, workspaceUserOf } from "../sync/engine.js";
import { accountBudget, estimateBackfill } from "../sync/eta.js";
import { humanMessage } from "./messages.js";
import { type ProviderRegistry, paceKeyOf, REQUEST_COST } from "./providers.js";
import { backfillStart, type Wizard } from "./wizard.js";

/** The periods the Backfill step offers, in its order (SPEC §3). */
export const BACKFILL_CHOICES = [
  "DAYS_30",
  "DAYS_60",
  "DAYS_90",
  "MONTHS_6",
  "YEAR_1",
  "ALL_TIME",
  "NONE",
] as const satisfies readonly BackfillPeriod[];
export const RECOMMENDED_PERIOD: BackfillPeriod = "MONTHS_6";

export const ESTIMATE_TTL_MS = 10 * 60_000;
/** A failed estimate is tried again after this long. */
export const ESTIMATE_RETRY_MS = 60_000;
/** A computation not finished after this long is taken over by the next reader. */
export const ESTIMATE_CLAIM_MS = 2 * 60_000;
/** Bounds of the estimate's requests: few retries, no long waits (a spent quota is a failure). */
const ESTIMATE_BOUNDS = { attempts: 2, maxInlineWaitMs: 10_000 };

/** How the call count was found, most exact first. */
export const ESTIMATE_BASES = ["PROVIDER_TOTAL", "LISTED", "SAMPLE"] as const;
export type EstimateBasis = (typeof ESTIMATE_BASES)[number];

const periodFigures = z.object({
  period: z.enum(BackfillPeriod),
  fromMs: z.number(),
  calls: z.number().int().nonnegative(),
  basis: z.enum(ESTIMATE_BASES),
  requests: z.number().int().nonnegative(),
  seconds: z.number().int().nonnegative(),
});
const storedFigures = z.object({ v: z.literal(1), users: z.number().int(), periods: z.array(periodFigures) });
type PeriodFigures = z.infer<typeof periodFigures>;
type StoredFigures = z.infer<typeof storedFigures>;

export type PeriodEstimate =
  | { status: "COMPUTING" }
  | { status: "UNAVAILABLE"; code: string; message: string; computedAt: Date | null }
  | ({ status: "READY"; computedAt: Date; users: number } & Omit<PeriodFigures, "period">);

export interface BackfillChoice {
  period: BackfillPeriod;
  recommended: boolean;
  estimate: PeriodEstimate;
}

/**
 * Calls in `window` from one sample: the provider's total, else the page when it is the whole
 * window, else the page's calls per ms (from its first call to its last) over the window from its
 * first call on.
 */
export function callsFromSample(sample: CallSample, window: TimeWindow): { calls: number; basis: EstimateBasis } {
  if (sample.total !== null) return { calls: sample.total, basis: "PROVIDER_TOTAL" };
  const n = sample.startedAt.length;
  if (!sample.more) return { calls: n, basis: "LISTED" };
  const first = Math.min(...sample.startedAt);
  const covered = Math.max(...sample.startedAt) - first;
  if (n < 2 || covered <= 0) return { calls: n, basis: "SAMPLE" };
  return { calls: Math.max(n, Math.round((n * (window.toMs - first)) / covered)), basis: "SAMPLE" };
}

/** Several user batches' samples of one window: counts added, the least exact basis kept. */
export function callsFromSamples(samples: CallSample[], window: TimeWindow): { calls: number; basis: EstimateBasis } {
  const each = samples.map((s) => callsFromSample(s, window));
  const rank = (b: EstimateBasis) => ESTIMATE_BASES.indexOf(b);
  return {
    calls: each.reduce((a, e) => a + e.calls, 0),
    // Nothing to ask (an empty window, no matched user) is counted exactly, as listed.
    basis: each.reduce<EstimateBasis>(
      (a, e) => (rank(e.basis) > rank(a) ? e.basis : a),
      each.length > 0 ? "PROVIDER_TOTAL" : "LISTED",
    ),
  };
}

const unavailableMessage = (code: string) =>
  code === "NOT_CONNECTED"
    ? "Estimates appear once the integration is connected."
    : `Estimate unavailable: ${humanMessage(code)} You can still choose a period and start the import.`;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface BackfillEstimatesDeps {
  prisma: Db;
  engine: SyncEngine;
  wizard: Wizard;
  providers: ProviderRegistry;
  log: Logger;
}

export class BackfillEstimates {
  private readonly running = new Set<Promise<void>>();
  constructor(private readonly deps: BackfillEstimatesDeps) {}

  /**
   * Every offered period with its estimate, as far as it is known now; starts (or refreshes) the
   * computation when there is none or it is old. Never waits for the provider, never throws for it.
   */
  async choices(integration: { id: string; status: string; connectedAt: Date | null }): Promise<BackfillChoice[]> {
    const offer = (estimate: (period: BackfillPeriod) => PeriodEstimate) =>
      BACKFILL_CHOICES.map((period) => ({
        period,
        recommended: period === RECOMMENDED_PERIOD,
        estimate: estimate(period),
      }));
    const connectedAt = integration.connectedAt;
    if (integration.status !== "CONNECTED" || !connectedAt)
      return offer(() => ({
        status: "UNAVAILABLE",
        code: "NOT_CONNECTED",
        message: unavailableMessage("NOT_CONNECTED"),
        computedAt: null,
      }));
    const row = await this.deps.prisma.backfillEstimate.findUnique({ where: { integrationId: integration.id } });
    const current = row && row.connectedAt.getTime() === connectedAt.getTime() ? row : null;
    const age = current?.computedAt ? Date.now() - current.computedAt.getTime() : Number.POSITIVE_INFINITY;
    if (age >= (current?.errorCode ? ESTIMATE_RETRY_MS : ESTIMATE_TTL_MS))
      await this.start(integration.id, connectedAt);
    const computedAt = current?.computedAt;
    if (!current || !computedAt) return offer(() => ({ status: "COMPUTING" }));
    const figures = current.errorCode ? null : storedFigures.safeParse(current.result);
    const code = current.errorCode ?? (figures?.success ? null : "BAD_RESPONSE");
    if (code || !figures?.success)
      return offer(() => ({
        status: "UNAVAILABLE",
        code: code ?? "BAD_RESPONSE",
        message: unavailableMessage(code ?? "BAD_RESPONSE"),
        computedAt,
      }));
    const byPeriod = new Map(figures.data.periods.map((p) => [p.period, p]));
    return offer((period) => {
      const p = byPeriod.get(period);
      if (!p) return { status: "COMPUTING" };
      const { period: _period, ...rest } = p;
      return { status: "READY", computedAt, users: figures.data.users, ...rest };
    });
  }

  /**
   * Waits for computations under way, at most `timeoutMs` (shutdown: one left behind stores
   * nothing, and the next reader computes again once its claim is old).
   */
  async settle(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.running.size > 0 && Date.now() < until) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => {
        timer = setTimeout(r, Math.min(until - Date.now(), 2_147_483_647));
      });
      await Promise.race([Promise.allSettled([...this.running]), timeout]);
      clearTimeout(timer);
    }
  }

  /** Claims the computation (one at a time per integration, across processes) and runs it in the background. */
  private async start(integrationId: string, connectedAt: Date): Promise<void> {
    const claimed = await this.deps.prisma.$queryRaw<{ integrationId: string }[]>`
      INSERT INTO "BackfillEstimate" ("integrationId", "connectedAt", "startedAt")
      VALUES (${integrationId}::uuid, ${connectedAt}, now())
      ON CONFLICT ("integrationId") DO UPDATE SET "startedAt" = now()
       WHERE "BackfillEstimate"."startedAt" IS NULL
          OR "BackfillEstimate"."startedAt" < now() - make_interval(secs => ${ESTIMATE_CLAIM_MS / 1000})
      RETURNING "integrationId"`;
    if (claimed.length === 0) return;
    const work = this.compute(integrationId, connectedAt).finally(() => this.running.delete(work));
    this.running.add(work);
  }

  private async compute(integrationId: string, connectedAt: Date): Promise<void> {
    let figures: StoredFigures | null = null;
    let errorCode: string | null = null;
    try {
      figures = await this.figures(integrationId);
    } catch (e) {
      errorCode = isProviderError(e) ? e.code : "INTERNAL_ERROR";
      this.deps.log.warn(
        { integrationId, code: errorCode, err: isProviderError(e) ? undefined : e },
        "backfill estimate unavailable",
      );
    }
    await this.deps.prisma.backfillEstimate
      .update({
        where: { integrationId },
        data: { connectedAt, startedAt: null, computedAt: new Date(), result: figures ?? Prisma.DbNull, errorCode },
      })
      .catch((e: unknown) => this.deps.log.warn({ integrationId, err: e }, "backfill estimate not stored"));
  }

  private async figures(integrationId: string): Promise<StoredFigures> {
    const { prisma, engine, wizard, providers } = this.deps;
    const integration = await prisma.integration.findUniqueOrThrow({
      where: { id: integrationId },
      select: { id: true, provider: true, connectedAccountId: true, workspaceId: true },
    });
    const client = await engine.client(integrationId, undefined, ESTIMATE_BOUNDS);
    const { users } = await client.listUsers();
    const workspaceUsers = await prisma.user.findMany({
      where: { workspaceId: integration.workspaceId },
      select: { id: true, email: true },
    });
    const byEmail = new Map(workspaceUsers.map((u) => [u.email, u.id]));
    const matched = users.filter((u) => workspaceUserOf(u, byEmail) !== null);
    const gapFrom = await wizard.gapFrom(integrationId);
    const pacer = providers[integration.provider].pacer;
    const paceKey = paceKeyOf(integration);
    const sendRate = pacer.intervalMs > 0 ? 1000 / pacer.intervalMs : (await pacer.state(paceKey)).sustainedRate;
    const now = Date.now();
    const periods: PeriodFigures[] = [];
    for (const period of BACKFILL_CHOICES) {
      const window = { fromMs: backfillStart(period, now, gapFrom), toMs: now };
      const samples: CallSample[] = [];
      if (window.fromMs < window.toMs)
        for (const batch of chunks(matched, SAMPLE_MAX_USERS)) samples.push(await client.sampleCalls(batch, window));
      const { calls, basis } = callsFromSamples(samples, window);
      const budget = await accountBudget(pacer, paceKey);
      const users = window.fromMs < window.toMs ? matched.length : 0;
      const { requests, seconds } = estimateBackfill(
        calls,
        users,
        REQUEST_COST[integration.provider],
        budget,
        sendRate,
      );
      periods.push({ period, fromMs: window.fromMs, calls, basis, requests, seconds });
    }
    return { v: 1, users: matched.length, periods };
  }
}
