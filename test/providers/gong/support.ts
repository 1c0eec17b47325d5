/** Shared set-up of the Gong contract tests: a simulator, an OAuth connection, a client. */
import { readFileSync } from "node:fs";
import { createGongClient, type GongClientOptions } from "../../../src/providers/gong/client.js";
import { createGongOAuth } from "../../../src/providers/gong/oauth.js";
import { Pacer } from "../../../src/providers/pacer.js";
import type {
  CallProviderClient,
  CredentialSession,
  OAuthCredentials,
  OAuthFlow,
  ProviderCredentials,
} from "../../../src/providers/types.js";
import { type GongDataset, generateGongDataset } from "../../../src/simulators/gong/dataset.js";
import {
  type GongSimulator,
  type GongSimulatorOptions,
  startGongSimulator,
} from "../../../src/simulators/gong/server.js";
import { defaultScenario, type Scenario } from "../../../src/simulators/scenario.js";

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/gong/${name}`, import.meta.url), "utf8")) as T;
}

/** A small tenant whose calls all ended more than a day ago (transcripts ready). */
export function settledDataset(overrides: Partial<Scenario> = {}): GongDataset {
  const now = Date.now();
  return generateGongDataset(
    defaultScenario({ fromMs: now - 30 * DAY, toMs: now - 2 * DAY, callsPerUser: 8, segmentsPerCall: 6, ...overrides }),
  );
}

/** Credentials persisted in memory; counts refreshes, like the integrations layer's session. */
export class MemorySession implements CredentialSession {
  refreshes = 0;
  constructor(
    private readonly flow: OAuthFlow | null,
    public credentials: ProviderCredentials,
  ) {}
  async current(): Promise<ProviderCredentials> {
    return this.credentials;
  }
  async refresh(stale: ProviderCredentials): Promise<ProviderCredentials> {
    if (stale.kind !== "oauth" || !this.flow || !stale.refreshToken) throw new Error("cannot refresh");
    if (this.credentials.kind === "oauth" && this.credentials.accessToken !== stale.accessToken)
      return this.credentials;
    this.refreshes++;
    this.credentials = await this.flow.refresh(stale.refreshToken);
    return this.credentials;
  }
}

export function oauthFor(sim: GongSimulator): OAuthFlow {
  return createGongOAuth({
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    authorizeUrl: `${sim.url}/oauth2/authorize`,
    tokenUrl: `${sim.url}/oauth2/generate-customer-token`,
    timeoutMs: 2_000,
  });
}

export const REDIRECT = "https://callsync.test/oauth/gong/callback";

/** Drives the consent page like a browser and returns the redirect it sends back. */
export async function consent(flow: OAuthFlow, state = "st-1"): Promise<URL> {
  const res = await fetch(flow.authorizeUrl({ state, redirectUri: REDIRECT }), { redirect: "manual" });
  const location = res.headers.get("location");
  if (res.status !== 302 || !location) throw new Error(`authorize answered ${res.status}`);
  return new URL(location);
}

export async function connect(sim: GongSimulator, flow = oauthFor(sim)): Promise<OAuthCredentials> {
  const back = await consent(flow);
  const code = back.searchParams.get("code");
  if (!code) throw new Error(`no code in ${back}`);
  return flow.exchangeCode({ code, redirectUri: REDIRECT });
}

export interface Harness {
  sim: GongSimulator;
  flow: OAuthFlow;
  session: MemorySession;
  client: CallProviderClient;
  /** A new client over the same session (another process resuming). */
  newClient(overrides?: Partial<GongClientOptions>): CallProviderClient;
  close(): Promise<void>;
}

let paceKeys = 0;

export async function harness(
  options: GongSimulatorOptions & { client?: Partial<GongClientOptions>; scope?: string } = {},
): Promise<Harness> {
  const { client: clientOptions, scope, ...simOptions } = options;
  const sim = await startGongSimulator({ dataset: settledDataset(), ...simOptions });
  const flow = oauthFor(sim);
  let credentials: OAuthCredentials;
  if (scope !== undefined) {
    const t = sim.grantTokens(scope);
    credentials = {
      kind: "oauth",
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      expiresAt: Date.now() + t.expiresIn * 1000,
      apiBaseUrl: sim.url,
      scope,
    };
  } else credentials = await connect(sim, flow);
  const session = new MemorySession(flow, credentials);
  const paceKey = `acct-${++paceKeys}`;
  const pacer = new Pacer("gong-test", [{ points: 1_000, duration: 1 }], { maxWaitMs: 5_000 });
  const newClient = (overrides: Partial<GongClientOptions> = {}) =>
    createGongClient({ session, pacer, paceKey, timeoutMs: 2_000, ...clientOptions, ...overrides });
  sim.log.clear();
  return { sim, flow, session, client: newClient(), newClient, close: () => sim.close() };
}

export const isExtensive = (r: { path: string }) => r.path === "/v2/calls/extensive";
export const isTranscript = (r: { path: string }) => r.path === "/v2/calls/transcript";
export const isToken = (r: { path: string }) => r.path === "/oauth2/generate-customer-token";
