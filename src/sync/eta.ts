/**
 * How long an import still takes, and what a backfill would cost, counted against the provider
 * account's budget (src/providers/pacer.ts): at the observed pace while the budget lasts, plus a
 * wait for every refill the remaining requests need.
 *
 *   seconds = calls left × seconds per call + max(current wait, budget wait)
 *   budget wait = 0 when the requests needed fit in what is left of the window; else the time to
 *                 the window's end plus one window per further window-full of requests.
 */
import { isBudgetWindow, type Pacer, type QuotaState } from "../providers/pacer.js";

export interface EtaInput {
  callsLeft: number;
  /** Observed seconds per call while running (wall time over calls done). */
  secondsPerCall: number;
  /** Provider requests (quota points) one call costs on average. */
  requestsPerCall: number;
  budget: Pick<QuotaState, "remaining" | "resetsInMs" | "windowPoints" | "windowMs"> | null;
  /** An announced wait (rate limit or spent quota), ms from now. */
  waitMs: number;
}

/**
 * The provider account's day/week budget, or null when its quota has none (Salesloft's 600 per
 * minute is a rate the observed pace already includes; counting it as a budget added a minute
 * per 600 requests left on top of that pace).
 */
export async function accountBudget(pacer: Pick<Pacer, "quota" | "state">, key: string): Promise<QuotaState | null> {
  return pacer.quota.some(isBudgetWindow) ? await pacer.state(key) : null;
}

/** ms the budget makes an import of `requests` wait, beyond its own pace. */
export function budgetWaitMs(requests: number, budget: EtaInput["budget"]): number {
  if (!budget || requests <= budget.remaining) return 0;
  const beyond = requests - budget.remaining;
  const refills = Math.ceil(beyond / budget.windowPoints);
  return budget.resetsInMs + (refills - 1) * budget.windowMs;
}

export function estimateSecondsLeft(input: EtaInput): number {
  const requests = input.callsLeft * input.requestsPerCall;
  const wait = Math.max(input.waitMs, budgetWaitMs(requests, input.budget));
  return Math.ceil(input.callsLeft * input.secondsPerCall + wait / 1000);
}

export interface BackfillEstimate {
  requests: number;
  seconds: number;
}

/**
 * A backfill of `calls` calls over `users` matched users: requests from the provider's cost model,
 * seconds at the quota's sustained pace plus the budget's refills.
 */
export function estimateBackfill(
  calls: number,
  users: number,
  cost: { requestsPerCall: number; requestsPerUser: number },
  budget: EtaInput["budget"],
  requestsPerSecond: number,
): BackfillEstimate {
  const requests = Math.ceil(calls * cost.requestsPerCall + users * cost.requestsPerUser);
  const paced = requests / requestsPerSecond;
  return { requests, seconds: Math.ceil(paced + budgetWaitMs(requests, budget) / 1000) };
}
