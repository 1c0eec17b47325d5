/** The ETA counts the provider account's remaining budget (src/sync/eta.ts). */
import { describe, expect, it } from "vitest";
import { Pacer } from "../../src/providers/pacer.js";
import { accountBudget, budgetWaitMs, estimateSecondsLeft } from "../../src/sync/eta.js";

const DAY = 86_400_000;
const day = (remaining: number, resetsInMs: number) => ({ remaining, resetsInMs, windowPoints: 10_000, windowMs: DAY });

describe("ETA under a day budget", () => {
  it("is the observed pace while the budget lasts", () => {
    expect(budgetWaitMs(500, day(600, 3_600_000))).toBe(0);
    expect(
      estimateSecondsLeft({
        callsLeft: 1000,
        secondsPerCall: 0.1,
        requestsPerCall: 0.02,
        budget: day(600, 0),
        waitMs: 0,
      }),
    ).toBe(100);
  });

  it("adds the wait to the refill, and a day per further day's worth of requests", () => {
    expect(budgetWaitMs(700, day(600, 3_600_000))).toBe(3_600_000);
    expect(budgetWaitMs(600 + 10_000 + 1, day(600, 3_600_000))).toBe(3_600_000 + DAY);
    const eta = estimateSecondsLeft({
      callsLeft: 100_000,
      secondsPerCall: 0.01,
      requestsPerCall: 0.02,
      budget: day(1_000, 7_200_000),
      waitMs: 0,
    });
    // 2,000 requests needed, 1,000 left: 1,000 s of pace plus the 2 h to the refill.
    expect(eta).toBe(1_000 + 7_200);
  });

  it("does not count a wait for the refill twice", () => {
    expect(
      estimateSecondsLeft({
        callsLeft: 100,
        secondsPerCall: 1,
        requestsPerCall: 1,
        budget: day(0, 60_000),
        waitMs: 60_000,
      }),
    ).toBe(100 + 60);
  });
});

describe("the account's budget", () => {
  it("is none for a quota of rates only: Salesloft's 600 per minute adds nothing to the observed pace", async () => {
    const salesloft = new Pacer("salesloft", [{ points: 600, duration: 60 }]);
    expect(await accountBudget(salesloft, "acct")).toBeNull();
    const eta = estimateSecondsLeft({
      callsLeft: 1_000,
      secondsPerCall: 0.2,
      requestsPerCall: 2.01,
      budget: await accountBudget(salesloft, "acct"),
      waitMs: 0,
    });
    expect(eta).toBe(200);
  });

  it("is the day's count where the quota has one (Gong: 3/s and 10,000 a day)", async () => {
    const gong = new Pacer("gong", [
      { points: 3, duration: 1 },
      { points: 10_000, duration: 86_400 },
    ]);
    const budget = await accountBudget(gong, "acct");
    expect(budget).toMatchObject({ remaining: 10_000, windowPoints: 10_000, windowMs: DAY });
  });
});
