/**
 * The three provider simulators with one demo scenario, for `npm start` and `npm run simulators`.
 * The scenario's people and deals match the demo workspace (src/seed/demo.ts), so a wizard run
 * against them imports calls that land on the demo deals.
 */

import { generateClariDataset } from "../simulators/clari/dataset.js";
import { startClariSimulator } from "../simulators/clari/server.js";
import { generateGongDataset } from "../simulators/gong/dataset.js";
import { startGongSimulator } from "../simulators/gong/server.js";
import { generateSalesloftDataset } from "../simulators/salesloft/dataset.js";
import { startSalesloftSimulator } from "../simulators/salesloft/server.js";
import { defaultScenario, type Scenario } from "../simulators/scenario.js";

export interface DemoSimulators {
  scenario: Scenario;
  gong: Awaited<ReturnType<typeof startGongSimulator>>;
  salesloft: Awaited<ReturnType<typeof startSalesloftSimulator>>;
  clari: Awaited<ReturnType<typeof startClariSimulator>>;
  /** Environment that points callsync's provider settings at the simulators. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startDemoSimulators(ports: { gong?: number; salesloft?: number; clari?: number } = {}) {
  const scenario = defaultScenario({ callsPerUser: 15, fromMs: Date.now() - 150 * 86_400_000 });
  const gong = await startGongSimulator({ dataset: generateGongDataset(scenario), port: ports.gong });
  const salesloft = await startSalesloftSimulator({
    dataset: generateSalesloftDataset(scenario),
    port: ports.salesloft,
  });
  const clari = await startClariSimulator({ dataset: generateClariDataset(scenario), port: ports.clari });
  const env = {
    GONG_CLIENT_ID: gong.clientId,
    GONG_CLIENT_SECRET: gong.clientSecret,
    GONG_AUTHORIZE_URL: `${gong.url}/oauth2/authorize`,
    GONG_TOKEN_URL: `${gong.url}/oauth2/generate-customer-token`,
    // The simulator checks PKCE when it is sent; real Gong is left without it (see config.ts).
    GONG_OAUTH_PKCE: "true",
    SALESLOFT_CLIENT_ID: salesloft.clientId,
    SALESLOFT_CLIENT_SECRET: salesloft.clientSecret,
    SALESLOFT_ACCOUNTS_URL: salesloft.url,
    SALESLOFT_API_URL: salesloft.url,
    CLARI_API_URL: clari.url,
  };
  const sims: DemoSimulators = {
    scenario,
    gong,
    salesloft,
    clari,
    env,
    async close() {
      await Promise.all([gong.close(), salesloft.close(), clari.close()]);
    },
  };
  return sims;
}
