/**
 * The outbound-request guard: every request callsync sends to a provider — with a bearer token,
 * a refresh token, an API key or the OAuth client secret — goes through `guard.fetch`, which
 * refuses before any byte is sent when the URL is not one we chose:
 *
 * - the host must be on the provider's allow-list (exact names, or `*.domain` for subdomains);
 *   the hosts of URLs the operator configured (token URL, API URL) are on it as well;
 * - in production only `https:`, and neither a literal nor a resolved address may be private,
 *   loopback, link-local or otherwise internal (a hostile DNS answer, `localhost`, `10.0.0.5`);
 * - redirects are never followed: the request carries credentials, and a 3xx would hand them
 *   to a location the provider (or whoever answered) picked.
 *
 * A refusal is a ProviderError (HOST_NOT_ALLOWED / REDIRECT_REFUSED), never a request. DNS is
 * checked before the connection; a rebinding between the check and the connect would still
 * meet TLS hostname verification in production (https only).
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { ProviderError } from "./errors.js";

export interface OutboundGuardOptions {
  /** Production: https only, no internal addresses. */
  production: boolean;
  /** Host names (`api.gong.io`) or wildcard suffixes (`*.api.gong.io`). */
  allowedHosts: readonly string[];
  /** Resolves a host name to its addresses (tests may pin it; default: the system resolver). */
  resolve?: (hostname: string) => Promise<string[]>;
  fetch?: typeof fetch;
}

const internal = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  internal.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  internal.addSubnet(net, prefix, "ipv6");

/** Loopback, private, link-local, CGNAT, multicast or unspecified (IPv4-mapped IPv6 included). */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  if (mapped) return internal.check(mapped, "ipv4");
  const family = isIP(bare);
  if (family === 0) return false;
  return internal.check(bare, family === 4 ? "ipv4" : "ipv6");
}

export const hostAllowed = (hostname: string, allowed: readonly string[]) => {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return allowed.some((pattern) => {
    const p = pattern.trim().toLowerCase();
    return p.startsWith("*.") ? host.endsWith(p.slice(1)) && host.length > p.length - 1 : host === p;
  });
};

const systemResolve = async (hostname: string) => (await lookup(hostname, { all: true })).map((a) => a.address);

export class OutboundGuard {
  readonly fetch: typeof fetch;

  constructor(private readonly options: OutboundGuardOptions) {
    const inner = options.fetch ?? fetch;
    this.fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      await this.check(url);
      const res = await inner(input, { ...init, redirect: "manual" });
      if (res.status >= 300 && res.status < 400 && res.headers.has("location"))
        throw new ProviderError(
          "REDIRECT_REFUSED",
          `The provider answered ${res.status} with a redirect; callsync does not follow redirects with credentials`,
          { status: res.status },
        );
      return res;
    };
  }

  /** Throws HOST_NOT_ALLOWED unless a request to `url` may carry this provider's credentials. */
  async check(url: string | URL): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw refuse(String(url), "it is not a URL");
    }
    const { production, allowedHosts } = this.options;
    if (parsed.protocol !== "https:" && (production || parsed.protocol !== "http:"))
      throw refuse(parsed.origin, production ? "production sends credentials over https only" : "not http(s)");
    if (parsed.username || parsed.password) throw refuse(parsed.host, "it carries user info");
    const hostname = parsed.hostname.replace(/^\[|\]$/g, "");
    if (!hostAllowed(hostname, allowedHosts)) throw refuse(parsed.host, "the host is not on the provider's allow-list");
    if (!production) return;
    if (isInternalAddress(hostname)) throw refuse(parsed.host, "it is an internal address");
    if (isIP(hostname) !== 0) return;
    let addresses: string[];
    try {
      addresses = await (this.options.resolve ?? systemResolve)(hostname);
    } catch (e) {
      throw new ProviderError("PROVIDER_UNAVAILABLE", `Could not resolve ${hostname}`, { cause: e });
    }
    if (addresses.length === 0 || addresses.some(isInternalAddress))
      throw refuse(parsed.host, "it resolves to an internal address");
  }
}

function refuse(target: string, why: string): ProviderError {
  return new ProviderError("HOST_NOT_ALLOWED", `Refused to send credentials to ${target}: ${why}`);
}
