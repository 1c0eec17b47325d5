/**
 * Queries and mutations: fetch POST /graphql with `Authorization: Bearer <token>`, each a typed
 * document string generated from web/operations/*.graphql. A GraphQL error becomes an ApiError
 * carrying the server's human message and its stable code.
 */
import type { TypedDocumentString } from "./generated/graphql.js";
import { currentToken, signOut } from "./session.js";

export const GRAPHQL_PATH = "/graphql";

/** A GraphQL error the page shows: the server's human message and its stable code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

export async function gql<R, V>(doc: TypedDocumentString<R, V>, variables: V): Promise<R> {
  const token = currentToken();
  const res = await fetch(GRAPHQL_PATH, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: doc.toString(), variables }),
  });
  let body: GraphQLResponse<R>;
  try {
    body = (await res.json()) as GraphQLResponse<R>;
  } catch {
    throw new ApiError(`The API answered ${res.status}.`, "NETWORK_ERROR");
  }
  const first = body.errors?.[0];
  if (first) {
    const error = new ApiError(first.message, first.extensions?.code ?? "ERROR", first.extensions?.field);
    if (error.code === "UNAUTHENTICATED") signOut();
    throw error;
  }
  if (!body.data) throw new ApiError("The API returned no data.", "ERROR");
  return body.data;
}

/**
 * Starts the OAuth flow `connectIntegration` prepared: posts its authorization URL with the
 * admin's token (the start route binds the flow to this browser with a cookie and to this admin)
 * and answers where to send the browser — the provider's consent page, or the result page with
 * the refusal.
 */
export async function startAuthorization(authorizationUrl: string): Promise<string> {
  const token = currentToken();
  const res = await fetch(authorizationUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = (await res.json().catch(() => ({}))) as { location?: string; code?: string; message?: string };
  if (body.location) return body.location;
  throw new ApiError(body.message ?? `The API answered ${res.status}.`, body.code ?? "ERROR");
}
