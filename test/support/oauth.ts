/**
 * A browser for the OAuth round trip without Chromium: follows redirects by hand and keeps its
 * own cookies (name, value, path; every test server is on loopback, so no domains), as a real
 * browser would across callsync's start route, the provider simulator and callsync's callback.
 * Two `Browser` instances are two different people's browsers.
 */
import { parseSetCookie } from "cookie";

export class Browser {
  readonly cookies = new Map<string, { value: string; path: string }>();

  /** One GET, sending the cookies whose path matches and keeping the ones it sets. */
  get(url: string | URL): Promise<Response> {
    return this.request(url, "GET");
  }

  /** One POST with the given headers (the example app starting the OAuth flow with its token). */
  post(url: string | URL, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(url, "POST", headers);
  }

  private async request(url: string | URL, method: string, extra: Record<string, string> = {}): Promise<Response> {
    const target = new URL(url);
    const header = [...this.cookies]
      .filter(([, c]) => target.pathname === c.path || target.pathname.startsWith(`${c.path.replace(/\/$/, "")}/`))
      .map(([name, c]) => `${name}=${c.value}`)
      .join("; ");
    const res = await fetch(target, {
      method,
      redirect: "manual",
      headers: { ...extra, ...(header ? { cookie: header } : {}) },
    });
    for (const raw of res.headers.getSetCookie()) {
      const cookie = parseSetCookie(raw);
      if (cookie.maxAge === 0 || !cookie.value) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, { value: cookie.value, path: cookie.path ?? "/" });
    }
    return res;
  }

  /** Follows 302s from `url` while `keepGoing(next)` says so; returns the last response and its URL. */
  async follow(url: string | URL, keepGoing: (next: URL) => boolean = () => true) {
    let current = new URL(url);
    for (let hops = 0; hops < 10; hops++) {
      const res = await this.get(current);
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || !location) return { res, url: current };
      const next = new URL(location, current);
      if (!keepGoing(next)) return { res, url: current, next };
      current = next;
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

export interface Authorization {
  /** callsync's callback URL the provider sent the browser to (state and code in it). */
  callback: string;
  /** The outcome the callback reported on the result page. */
  outcome: string | null;
  result: URL;
}

/**
 * Starts the authorization URL `connectIntegration` returned as the example app does — POST with
 * the admin's token, which binds the flow to this browser's cookie — then follows the provider's
 * consent page → callsync's callback → the result page.
 */
export async function authorizeInBrowser(
  authorizationUrl: string | URL,
  token: string,
  browser = new Browser(),
): Promise<Authorization> {
  const toCallback = (next: URL) => next.pathname.startsWith("/oauth/callback/");
  const started = await browser.post(authorizationUrl, { authorization: `Bearer ${token}` });
  const { location } = (await started.json()) as { location?: string };
  const first = new URL(location ?? "about:blank", authorizationUrl);
  // The start route refused (used or expired link, another user's token): it names the result page.
  if (!started.ok) return { callback: "", outcome: first.searchParams.get("outcome"), result: first };
  const consented = await browser.follow(first, (next) => !toCallback(next));
  if (!consented.next) throw new Error(`no redirect to the OAuth callback (status ${consented.res.status})`);
  const callback = consented.next.toString();
  const done = await browser.get(callback);
  const result = new URL(done.headers.get("location") ?? "about:blank");
  return { callback, outcome: result.searchParams.get("outcome"), result };
}
