/** A real graphql-ws client for subscription tests: collects events and waits for the one you want. */
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

export interface Subscription<T> {
  events: T[];
  /** When each event arrived (ms epoch), index for index with `events`: for latency measurements. */
  receivedAt: number[];
  errors: unknown[];
  /** Resolves with the first event (already received or future) that matches. */
  until(predicate: (event: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export function subscribe<T, V>(
  httpUrl: string,
  token: string | null,
  doc: TypedDocumentNode<T, V>,
  variables: NoInfer<V>,
): Subscription<T> {
  const client = createClient({
    url: httpUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
  const events: T[] = [];
  const receivedAt: number[] = [];
  const errors: unknown[] = [];
  const waiters: { predicate: (e: T) => boolean; resolve: (e: T) => void }[] = [];
  const dispose = client.subscribe<T>(
    { query: print(doc), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        const arrived = Date.now();
        if (result.errors) errors.push(...result.errors);
        if (!result.data) return;
        const event = result.data as T;
        events.push(event);
        receivedAt.push(arrived);
        for (const w of [...waiters]) {
          if (w.predicate(event)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
      },
      error: (e) => errors.push(e),
      complete: () => {},
    },
  );
  return {
    events,
    receivedAt,
    errors,
    until(predicate, timeoutMs = 20_000) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching event within ${timeoutMs} ms (got ${events.length}; errors ${JSON.stringify(errors)})`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
    async close() {
      dispose();
      await client.dispose();
    },
  };
}
