/**
 * Live updates: graphql-ws on the same /graphql path, the token in connectionParams. A
 * subscription lasts as long as the view that opened it (see view.ts).
 */
import { type Client, createClient } from "graphql-ws";
import { GRAPHQL_PATH } from "./api.js";
import type { TypedDocumentString } from "./generated/graphql.js";
import { currentToken, onSignOut } from "./session.js";
import { onLeave } from "./view.js";

let client: Client | null = null;

function ws(): Client {
  client ??= createClient({
    url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${GRAPHQL_PATH}`,
    connectionParams: () => {
      const token = currentToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    lazy: true,
    retryAttempts: 10,
  });
  return client;
}

onSignOut(() => {
  void client?.dispose();
  client = null;
});

/** Subscribes for as long as the current view is shown. */
export function live<R, V>(doc: TypedDocumentString<R, V>, variables: V, onData: (data: R) => void): void {
  const dispose = ws().subscribe<R>(
    { query: doc.toString(), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.data) onData(result.data);
      },
      error: (e) => console.warn("subscription error", e),
      complete: () => {},
    },
  );
  onLeave(dispose);
}
