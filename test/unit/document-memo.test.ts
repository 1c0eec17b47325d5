import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { documentMemo } from "../../src/graphql/document-memo.js";

describe("documentMemo", () => {
  const a = parse("{ a }");
  const b = parse("{ a }"); // the same text, another parse: another document

  it("computes once per document and key", () => {
    const memo = documentMemo<number>();
    let computed = 0;
    const get = (doc = a, key = "k") => memo.get(doc, key, () => ++computed);
    expect([get(), get(), get(a, "other"), get(b), get(b)]).toEqual([1, 1, 2, 3, 3]);
  });

  it("holds at most maxEntries answers over all documents, dropping the least recently used", () => {
    const memo = documentMemo<string>({ maxEntries: 3 });
    let computed = 0;
    const get = (doc: typeof a, key: string) => memo.get(doc, key, () => `${key}#${++computed}`);
    get(a, "1");
    get(b, "2");
    get(a, "3");
    get(a, "1"); // used again: now the most recent
    get(b, "4"); // drops b/2, the least recently used
    expect(memo.size).toBe(3);
    expect(get(a, "1")).toBe("1#1");
    expect(get(b, "2")).toBe("2#5");
  });

  it("never holds an answer for an over-long key", () => {
    const memo = documentMemo<number>({ maxKeyLength: 10 });
    let computed = 0;
    const long = "x".repeat(11);
    memo.get(a, long, () => ++computed);
    memo.get(a, long, () => ++computed);
    expect(computed).toBe(2);
    expect(memo.size).toBe(0);
  });
});
