/**
 * Connects a provider and runs its backfill through the public API, as the wizard does, and
 * waits for the run to finish: the end-to-end set-up of the variety imports
 * (test/integrations/*-varieties.test.ts).
 */
import {
  WizardChooseBackfillDocument,
  WizardConnectDocument,
  WizardIntegrationDocument,
  WizardStartSyncDocument,
} from "../generated/graphql.js";
import type { TestApi } from "./api.js";
import { authorizeInBrowser } from "./oauth.js";

type Provider = "GONG" | "SALESLOFT" | "CLARI_COPILOT";

/** The row id a Relay global id names. */
export const rowId = (gid: string) => Buffer.from(gid, "base64").toString("utf8").split(":")[1]!;

export async function backfillThroughWizard(
  api: TestApi,
  token: string,
  provider: Provider,
  keys?: { apiKey: string; apiSecret: string },
): Promise<{ integrationGid: string; integrationId: string; runId: string }> {
  const connect = await api.gql(WizardConnectDocument, { provider, ...keys }, token);
  if (connect.errors) throw new Error(`connect failed: ${JSON.stringify(connect.errors)}`);
  const integrationGid = connect.data!.connectIntegration.integration.id;
  const url = connect.data!.connectIntegration.authorizationUrl;
  if (url) await authorizeInBrowser(url, token);
  await api.gql(WizardChooseBackfillDocument, { integrationId: integrationGid, period: "DAYS_90" }, token);
  const run = await api.gql(WizardStartSyncDocument, { integrationId: integrationGid }, token);
  if (run.errors) throw new Error(`startSync failed: ${JSON.stringify(run.errors)}`);
  const runGid = run.data!.startSync.id;
  for (let i = 0; i < 1200; i++) {
    const res = await api.gql(WizardIntegrationDocument, { provider }, token);
    const latest = res.data!.integration!.latestRun!;
    if (latest.id === runGid && latest.status !== "RUNNING") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await api.settleJobs();
  return { integrationGid, integrationId: rowId(integrationGid), runId: rowId(runGid) };
}
