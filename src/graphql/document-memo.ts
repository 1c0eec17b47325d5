/**
 * Per-document memo for work that depends only on an operation's document and a small key
 * (operation name, variables, viewer): the operation limits and the hot reads' statement.
 *
 * Yoga's parser cache hands the same DocumentNode to every request with the same query text, so
 * the document is the first key (weakly held: a document the parser cache dropped takes its
 * entries with it). Below it, at most `perDocument` keys, oldest dropped first; a key longer than
 * `maxKeyLength` (huge variables) is computed every time rather than held.
 */
import type { DocumentNode } from "graphql";

export interface DocumentMemo<T> {
  get(document: DocumentNode, key: string, compute: () => T): T;
}

export function documentMemo<T>(options: { perDocument?: number; maxKeyLength?: number } = {}): DocumentMemo<T> {
  const perDocument = options.perDocument ?? 256;
  const maxKeyLength = options.maxKeyLength ?? 2_048;
  const byDocument = new WeakMap<DocumentNode, Map<string, T>>();
  return {
    get(document, key, compute) {
      if (key.length > maxKeyLength) return compute();
      let entries = byDocument.get(document);
      if (!entries) {
        entries = new Map();
        byDocument.set(document, entries);
      }
      if (entries.has(key)) return entries.get(key) as T;
      const value = compute();
      if (entries.size >= perDocument) entries.delete(entries.keys().next().value as string);
      entries.set(key, value);
      return value;
    },
  };
}
