/**
 * A callsync API wired to a provider simulator, with the demo workspace seeded and its admin's
 * token (`gongEnv`, `salesloftEnv`, `clariEnv`), and the wizard driven through the public API:
 * connect, authorize, backfill, wait for the run (`backfillThroughWizard`, `runFinished`). The
 * shared set-up of the wizard contract (test/providers/contract.ts) and the end-to-end imports
 * (test/integrations/*.test.ts).
 */
import { type DemoWorkspace, seedDemo } from "../../src/seed/demo.js";
import type { ClariSimulator } from "../../src/simulators/clari/server.js";
import { type GongSimulator, gongOAuthEnv } from "../../src/simulators/gong/server.js";
import type { SalesloftSimulator } from "../../src/simulators/salesloft/server.js";
import type { Scenario } from "../../src/simulators/scenario.js";
import type { EngineSettings } from "../../src/sync/engine.js";
import {
  type BackfillPeriod,
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardIntegrationDocument,
  type WizardIntegrationQuery,
  WizardStartSyncDocument,
} from "../generated/graphql.js";
import { startApi, type TestApi } from "./api.js";
import { freePort } from "./net.js";
import { authorizeInBrowser } from "./oauth.js";

export type Provider = "GONG" | "SALESLOFT" | "CLARI_COPILOT";

/** The row id a Relay global id names. */
export const rowId = (gid: string) => Buffer.from(gid, "base64").toString("utf8").split(":")[1]!;

export interface ApiEnv {
  api: TestApi;
  /** The demo workspace's admin. */
  token: string;
  demo: DemoWorkspace;
  /** Closes the API, then the simulator. */
  close(): Promise<void>;
}

export interface ApiEnvOptions {
  /** The scenario the simulator's dataset was generated from (its users and deals are seeded). */
  scenario?: Scenario;
  /** More environment for the API (webhook limits...). */
  env?: Record<string, string>;
  engine?: Partial<EngineSettings>;
}

/** The API on a fresh database, its worker in process, talking to the provider `vars` name. */
async function apiEnv(
  sim: { close(): Promise<void> },
  vars: Record<string, string>,
  options: ApiEnvOptions,
): Promise<ApiEnv> {
  const port = await freePort();
  const api = await startApi(
    {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...vars,
      WORKER_IN_PROCESS: "true",
      JOB_PROCESS_EVERY_MS: "200",
      ...options.env,
    },
    { port, engine: options.engine },
  );
  const demo = await seedDemo(api.prisma, options.scenario ? { scenario: options.scenario } : {});
  const token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  return {
    api,
    token,
    demo,
    async close() {
      await api.close();
      await sim.close();
    },
  };
}

export const gongEnv = (sim: GongSimulator, options: ApiEnvOptions = {}) =>
  apiEnv(
    sim,
    {
      ...gongOAuthEnv(sim),
    },
    options,
  );

export const salesloftEnv = (sim: SalesloftSimulator, options: ApiEnvOptions = {}) =>
  apiEnv(
    sim,
    {
      SALESLOFT_CLIENT_ID: sim.clientId,
      SALESLOFT_CLIENT_SECRET: sim.clientSecret,
      SALESLOFT_ACCOUNTS_URL: sim.url,
      SALESLOFT_API_URL: sim.url,
    },
    options,
  );

export const clariEnv = (sim: ClariSimulator, options: ApiEnvOptions = {}) =>
  apiEnv(sim, { CLARI_API_URL: sim.url }, options);

export type LatestRun = NonNullable<NonNullable<WizardIntegrationQuery["integration"]>["latestRun"]>;

/** Waits until run `runGid` is no longer RUNNING and its follow-up jobs are done; returns it. */
export async function runFinished(api: TestApi, token: string, provider: Provider, runGid: string): Promise<LatestRun> {
  for (let i = 0; i < 1200; i++) {
    const res = await api.gql(WizardIntegrationDocument, { provider }, token);
    const latest = res.data!.integration!.latestRun!;
    if (latest.id === runGid && latest.status !== "RUNNING") {
      await api.settleJobs();
      return latest;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runGid} did not finish`);
}

/** Connect and Authorize: the integration is then on the Backfill step. */
export async function connectThroughWizard(
  api: TestApi,
  token: string,
  provider: Provider,
  keys?: { apiKey: string; apiSecret: string },
): Promise<string> {
  const connect = await api.gql(WizardConnectDocument, { provider, ...keys }, token);
  if (connect.errors) throw new Error(`connect failed: ${JSON.stringify(connect.errors)}`);
  const url = connect.data!.connectIntegration.authorizationUrl;
  if (url) await authorizeInBrowser(url, token);
  return connect.data!.connectIntegration.integration.id;
}

export async function backfillThroughWizard(
  api: TestApi,
  token: string,
  provider: Provider,
  keys?: { apiKey: string; apiSecret: string },
  options: { period?: BackfillPeriod } = {},
): Promise<{ integrationGid: string; integrationId: string; runId: string; run: LatestRun }> {
  const integrationGid = await connectThroughWizard(api, token, provider, keys);
  const period = options.period ?? "DAYS_90";
  await api.gql(WizardChooseBackfillDocument, { integrationId: integrationGid, period }, token);
  const started = await api.gql(WizardStartSyncDocument, { integrationId: integrationGid }, token);
  if (started.errors) throw new Error(`startSync failed: ${JSON.stringify(started.errors)}`);
  const runGid = started.data!.startSync.id;
  const run = await runFinished(api, token, provider, runGid);
  return { integrationGid, integrationId: rowId(integrationGid), runId: rowId(runGid), run };
}
