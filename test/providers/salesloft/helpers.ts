import { Pacer } from "../../../src/providers/pacer.js";
import { createSalesloftClient, type SalesloftClientOptions } from "../../../src/providers/salesloft/client.js";
import { createSalesloftOAuth } from "../../../src/providers/salesloft/oauth.js";
import type {
  CallProviderClient,
  CredentialSession,
  OAuthCredentials,
  OAuthFlow,
  ProviderCredentials,
} from "../../../src/providers/types.js";
import type { SalesloftDataset } from "../../../src/simulators/salesloft/dataset.js";
import {
  type SalesloftSimulator,
  type SalesloftSwitches,
  startSalesloftSimulator,
} from "../../../src/simulators/salesloft/server.js";

export const REDIRECT_URI = "https://callsync.test/oauth/salesloft/callback";

/** What callsync's integrations layer does: keeps the pair, refreshes once per stale token, persists the rotation. */
export class MemorySession implements CredentialSession {
  refreshes = 0;
  constructor(
    public credentials: OAuthCredentials,
    private readonly flow: OAuthFlow,
  ) {}
  async current(): Promise<ProviderCredentials> {
    return this.credentials;
  }
  async refresh(stale: ProviderCredentials): Promise<ProviderCredentials> {
    if (stale.kind === "oauth" && stale.accessToken !== this.credentials.accessToken) return this.credentials;
    this.credentials = await this.flow.refresh(this.credentials.refreshToken ?? "");
    this.refreshes++;
    return this.credentials;
  }
}

export function oauthFor(sim: SalesloftSimulator): OAuthFlow {
  return createSalesloftOAuth({ clientId: sim.clientId, clientSecret: sim.clientSecret, accountsBaseUrl: sim.url });
}

/** Follows the authorize page like a browser would and returns the callback URL. */
export async function authorize(flow: OAuthFlow, state = "st-1"): Promise<URL> {
  const res = await fetch(flow.authorizeUrl({ state, redirectUri: REDIRECT_URI }), { redirect: "manual" });
  const location = res.headers.get("location");
  if (res.status !== 302 || !location) throw new Error(`authorize answered ${res.status}`);
  return new URL(location);
}

export async function connect(sim: SalesloftSimulator): Promise<MemorySession> {
  const flow = oauthFor(sim);
  const callback = await authorize(flow);
  const code = callback.searchParams.get("code");
  if (!code) throw new Error("no code");
  return new MemorySession(await flow.exchangeCode({ code, redirectUri: REDIRECT_URI }), flow);
}

export interface Harness {
  sim: SalesloftSimulator;
  session: MemorySession;
  client: CallProviderClient;
  makeClient(overrides?: Partial<SalesloftClientOptions>): CallProviderClient;
  close(): Promise<void>;
}

export async function harness(
  options: {
    dataset?: SalesloftDataset;
    switches?: Partial<SalesloftSwitches>;
    client?: Partial<SalesloftClientOptions>;
  } = {},
): Promise<Harness> {
  const sim = await startSalesloftSimulator({
    dataset: options.dataset,
    switches: { transcriptDelayMs: 0, aiDelayMs: 0, ...options.switches },
  });
  const session = await connect(sim);
  sim.log.clear();
  const makeClient = (overrides: Partial<SalesloftClientOptions> = {}) =>
    createSalesloftClient({
      session,
      pacer: new Pacer("salesloft-test", [{ points: 10_000, duration: 1 }], { maxWaitMs: 5_000 }),
      paceKey: "team",
      apiBaseUrl: sim.url,
      timeoutMs: 2_000,
      defaultRetryAfterMs: 50,
      ...options.client,
      ...overrides,
    });
  return { sim, session, client: makeClient(), makeClient, close: () => sim.close() };
}

/** Requests to a path (a string matches exactly, a RegExp by test). */
export const requests = (sim: SalesloftSimulator, path: string | RegExp) =>
  sim.log.count((r) => (typeof path === "string" ? r.path === path : path.test(r.path)));
