/**
 * Who is signed in: the bearer token, kept in localStorage so a reload stays signed in.
 * Listeners hear about sign-out (the live connection closes, the header clears).
 */
const TOKEN_KEY = "callsync.token";

let token: string | null = null;
const signOutListeners: (() => void)[] = [];

export const currentToken = () => token;

export function setToken(value: string): void {
  token = value || null;
  if (token) localStorage.setItem(TOKEN_KEY, token);
}

/** The token from a previous visit, unless one is already set. */
export function restoreToken(): void {
  token ??= localStorage.getItem(TOKEN_KEY);
}

export function signOut(): void {
  token = null;
  localStorage.removeItem(TOKEN_KEY);
  for (const listener of signOutListeners) listener();
}

export function onSignOut(listener: () => void): void {
  signOutListeners.push(listener);
}
