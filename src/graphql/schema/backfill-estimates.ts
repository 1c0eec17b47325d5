/**
 * The Backfill step's estimates (admins): every offered period with the calls, provider requests
 * and time its import would take (src/integrations/backfill-estimate.ts). Read without waiting:
 * COMPUTING until the background computation is done, UNAVAILABLE with a stable code when the
 * provider could not answer.
 */
import type { BackfillChoice, PeriodEstimate } from "../../integrations/backfill-estimate.js";
import { builder } from "../builder.js";
import { BackfillPeriodEnum, Problem } from "./integrations.js";

const admin = { authScopes: { admin: true } } as const;

const StatusEnum = builder.enumType("BackfillEstimateStatus", {
  values: {
    COMPUTING: { description: "Being computed in the background; ask again in a few seconds." },
    READY: {},
    UNAVAILABLE: {
      description: "The provider could not be asked (see `unavailable`); the wizard works without an estimate.",
    },
  } as const,
});
const AccuracyEnum = builder.enumType("BackfillEstimateAccuracy", {
  values: {
    EXACT: { description: "The call count is the provider's own total (or every call was listed)." },
    APPROXIMATE: { description: "The call count is extrapolated from a sample page of the period." },
  } as const,
});
const BasisEnum = builder.enumType("BackfillEstimateBasis", {
  values: {
    PROVIDER_TOTAL: {
      description:
        "The provider's total for the window: Gong records.totalRecords, Salesloft metadata.paging.total_count, Clari Copilot pagination.matched.",
    },
    LISTED: { description: "One listing page held every call of the window (or there was nothing to list)." },
    SAMPLE: { description: "The provider gave no total: one page's calls per day, over the whole window." },
  } as const,
});

type Ready = Extract<PeriodEstimate, { status: "READY" }>;
const ready = (e: PeriodEstimate): Ready | null => (e.status === "READY" ? e : null);

const EstimateType = builder.objectRef<PeriodEstimate>("BackfillEstimate").implement({
  description:
    "What importing one period would take, for the users matched now. Requests and seconds follow the provider's page sizes, per-call follow-ups and the account's configured quota (rate and day/week budget).",
  fields: (t) => ({
    status: t.field({ type: StatusEnum, resolve: (e) => e.status }),
    calls: t.int({
      nullable: true,
      description: "Calls the backfill would list.",
      resolve: (e) => ready(e)?.calls ?? null,
    }),
    accuracy: t.field({
      type: AccuracyEnum,
      nullable: true,
      resolve: (e) => {
        const r = ready(e);
        return r ? (r.basis === "SAMPLE" ? "APPROXIMATE" : "EXACT") : null;
      },
    }),
    basis: t.field({ type: BasisEnum, nullable: true, resolve: (e) => ready(e)?.basis ?? null }),
    providerRequests: t.int({
      nullable: true,
      description: "Requests (quota points) the import would send: listing pages, transcripts, details.",
      resolve: (e) => ready(e)?.requests ?? null,
    }),
    seconds: t.int({
      nullable: true,
      description:
        "At least this long: the requests at the quota's pace, plus the waits for the day/week budget to refill.",
      resolve: (e) => ready(e)?.seconds ?? null,
    }),
    from: t.field({
      type: "DateTime",
      nullable: true,
      description: "Where this period's import would start (no later than where a previous connection stopped).",
      resolve: (e) => {
        const r = ready(e);
        return r ? new Date(r.fromMs) : null;
      },
    }),
    users: t.int({ nullable: true, description: "Matched users it counts.", resolve: (e) => ready(e)?.users ?? null }),
    computedAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (e) => (e.status === "COMPUTING" ? null : e.computedAt),
    }),
    unavailable: t.field({
      type: Problem,
      nullable: true,
      description: "Why there is no estimate: a stable code (a provider error code, or NOT_CONNECTED) and what to do.",
      resolve: (e) => (e.status === "UNAVAILABLE" ? { code: e.code, message: e.message } : null),
    }),
  }),
});

const ChoiceType = builder.objectRef<BackfillChoice>("BackfillChoice").implement({
  description: "A period the Backfill step offers, with its estimate.",
  fields: (t) => ({
    period: t.field({ type: BackfillPeriodEnum, resolve: (c) => c.period }),
    recommended: t.boolean({ resolve: (c) => c.recommended }),
    estimate: t.field({ type: EstimateType, resolve: (c) => c.estimate }),
  }),
});

builder.prismaObjectField("Integration", "backfillChoices", (t) =>
  t.field({
    ...admin,
    type: [ChoiceType],
    description:
      "The Backfill step (admins): every period, in order, with the estimated calls, provider requests and duration of its import. Asking starts the estimate in the background; it never waits for the provider.",
    select: { id: true, status: true, connectedAt: true },
    resolve: (i, _args, ctx) => ctx.backfillEstimates.choices(i),
  }),
);
