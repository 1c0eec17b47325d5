/** How the Backfill step's estimate counts a period's calls from one listing (src/integrations/backfill-estimate.ts). */
import { describe, expect, it } from "vitest";
import { callsFromSample, callsFromSamples } from "../../src/integrations/backfill-estimate.js";

const DAY = 86_400_000;
const window = { fromMs: 0, toMs: 100 * DAY };
const days = (...d: number[]) => d.map((x) => x * DAY);

describe("calls of a period from one listing", () => {
  it("takes the provider's total when it gives one, whatever the page shows", () => {
    expect(callsFromSample({ total: 263, startedAt: days(1, 2), more: true }, window)).toEqual({
      calls: 263,
      basis: "PROVIDER_TOTAL",
    });
    expect(callsFromSample({ total: 0, startedAt: [], more: false }, window)).toEqual({
      calls: 0,
      basis: "PROVIDER_TOTAL",
    });
  });

  it("counts a page that holds the whole window (LISTED)", () => {
    expect(callsFromSample({ total: null, startedAt: days(5, 50, 90), more: false }, window)).toEqual({
      calls: 3,
      basis: "LISTED",
    });
  });

  it("extrapolates a partial page's calls per day over the rest of the window from its first call (SAMPLE)", () => {
    // 11 calls from day 10 to day 20 (about one a day) in a window running to day 100: 90 days left.
    const page = days(...Array.from({ length: 11 }, (_, i) => 10 + i));
    expect(callsFromSample({ total: null, startedAt: page, more: true }, window)).toEqual({
      calls: 99,
      basis: "SAMPLE",
    });
    // Too little to extrapolate: at least what was seen.
    expect(callsFromSample({ total: null, startedAt: days(4, 4), more: true }, window)).toEqual({
      calls: 2,
      basis: "SAMPLE",
    });
  });

  it("adds the batches of users and keeps the least exact basis", () => {
    const total = { total: 10, startedAt: [], more: true };
    const listed = { total: null, startedAt: days(1), more: false };
    expect(callsFromSamples([total, total], window)).toEqual({ calls: 20, basis: "PROVIDER_TOTAL" });
    expect(callsFromSamples([total, listed], window)).toEqual({ calls: 11, basis: "LISTED" });
    expect(callsFromSamples([], window)).toEqual({ calls: 0, basis: "LISTED" });
  });
});
