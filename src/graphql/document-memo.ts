/**
 * A bounded memo for work that depends only on an operation's document and a small key
 * (operation name, variables, viewer): the operation limits and the hot reads' statement.
 *
 * Yoga's parser cache hands the same DocumentNode to every request with the same query text, so
 * the document is part of the key: each document gets a number (weakly held, so a document the
 * parser cache dropped is not kept alive). All documents share one least-recently-used table of
 * at most `maxEntries` answers — the bound holds however many documents and variables clients
 * send. A key longer than `maxKeyLength` (huge variables) is computed every time, never held.
 */
import type { DocumentNode } from "graphql";

export interface DocumentMemo<T> {
  get(document: DocumentNode, key: string, compute: () => T): T;
  readonly size: number;
}

export function documentMemo<T>(options: { maxEntries?: number; maxKeyLength?: number } = {}): DocumentMemo<T> {
  const maxEntries = options.maxEntries ?? 2_000;
  const maxKeyLength = options.maxKeyLength ?? 2_048;
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextId = 0;
  // Map iteration order is insertion order: re-inserting on a hit keeps the oldest first.
  const entries = new Map<string, T>();
  return {
    get(document, key, compute) {
      if (key.length > maxKeyLength) return compute();
      let id = documentIds.get(document);
      if (id === undefined) {
        id = nextId++;
        documentIds.set(document, id);
      }
      const full = `${id}\u0000${key}`;
      if (entries.has(full)) {
        const value = entries.get(full) as T;
        entries.delete(full);
        entries.set(full, value);
        return value;
      }
      const value = compute();
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(full, value);
      return value;
    },
    get size() {
      return entries.size;
    },
  };
}
