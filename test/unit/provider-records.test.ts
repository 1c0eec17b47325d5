/** Record-level tolerance and paging guards as pure functions (src/providers/records.ts, paging.ts). */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  countRepeat,
  hasMorePages,
  LoopGuard,
  PAGINATION_MAX_REPEATS,
  pageFingerprint,
} from "../../src/providers/paging.js";
import { idAt, mapItems, parseItems, RecordSkip } from "../../src/providers/records.js";

const shape = z.looseObject({ id: z.string(), started: z.string(), duration: z.number().nullish() });

describe("parseItems", () => {
  it("keeps the items that parse and reports each other one with its id, code and field", () => {
    const { items, skipped } = parseItems(
      [{ id: "1", started: "x" }, { id: "2" }, { id: "3", started: "x", duration: "long" }, "junk"],
      shape,
      "CALL",
      idAt("id"),
    );
    expect(items.map((i) => i.id)).toEqual(["1"]);
    expect(skipped).toEqual([
      {
        kind: "CALL",
        providerRecordId: "2",
        reasonCode: "MISSING_FIELD",
        reason: expect.stringMatching(/started is missing/),
      },
      {
        kind: "CALL",
        providerRecordId: "3",
        reasonCode: "UNREADABLE",
        reason: expect.stringMatching(/duration is not a number/),
      },
      { kind: "CALL", providerRecordId: "(no id)", reasonCode: "UNREADABLE", reason: expect.any(String) },
    ]);
  });

  it("idAt reads nested string or number ids", () => {
    expect(idAt("metaData.id")({ metaData: { id: "42" } })).toBe("42");
    expect(idAt("guid", "id")({ id: 7 })).toBe("7");
    expect(idAt("id")(null)).toBeNull();
  });

  it("mapItems turns a RecordSkip into a skipped record and lets any other error through", () => {
    const out = mapItems(
      [1, 2],
      (n) => {
        if (n === 2) throw new RecordSkip("MISSING_FIELD", "no start");
        return n * 10;
      },
      "CALL",
      (n) => String(n),
    );
    expect(out).toEqual({
      records: [10],
      skipped: [{ kind: "CALL", providerRecordId: "2", reasonCode: "MISSING_FIELD", reason: "no start" }],
    });
    expect(() =>
      mapItems(
        [1],
        () => {
          throw new TypeError("bug");
        },
        "CALL",
        String,
      ),
    ).toThrow(TypeError);
  });
});

describe("paging that does not trust metadata", () => {
  it("goes on while pages are full when the provider says nothing; its word wins when it says something", () => {
    expect(hasMorePages(undefined, 100, 100)).toBe(true);
    expect(hasMorePages(null, 99, 100)).toBe(false);
    expect(hasMorePages(false, 100, 100)).toBe(false);
    expect(hasMorePages(true, 3, 100)).toBe(true);
    expect(hasMorePages(true, 0, 100)).toBe(false);
  });

  it(`the same page ${PAGINATION_MAX_REPEATS} times again fails with PAGINATION_LOOP; a new page resets the count`, () => {
    const guard = new LoopGuard("page of users");
    guard.page(["a", "b"]);
    guard.page(["a", "b"]);
    guard.page(["c"]);
    for (let i = 0; i < PAGINATION_MAX_REPEATS - 1; i++) guard.page(["c"]);
    expect(() => guard.page(["c"])).toThrow(expect.objectContaining({ code: "PAGINATION_LOOP", kind: "PERMANENT" }));
  });

  it("empty pages differ by the cursor they hand back", () => {
    expect(pageFingerprint([], "x")).not.toBe(pageFingerprint([], "y"));
    expect(pageFingerprint(["1"], "x")).toBe(pageFingerprint(["1"], "y"));
    expect(countRepeat({ fp: "f", r: 1 }, "g", "page")).toEqual({ fp: "g", r: 0 });
  });
});
