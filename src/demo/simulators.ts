/**
 * The three provider simulators with one demo scenario, for `npm start` and `npm run simulators`.
 * The scenario's people and deals match the demo workspace (src/seed/demo.ts), so a wizard run
 * against them imports calls that land on the demo deals.
 *
 * With a state file (`npm start`: <data dir>/simulators.json) the demo survives restarts: the
 * simulators come back on the same ports with the same dataset window, and remember the OAuth
 * tokens they issued, so connected integrations keep syncing without a reconnect.
 *
 * The OAuth simulators ask on a consent page (src/simulators/consent.ts), and each simulator has
 * a control page at /_sim (src/simulators/controls.ts) that makes provider users fail.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";

import { generateClariDataset } from "../simulators/clari/dataset.js";
import { startClariSimulator } from "../simulators/clari/server.js";
import { generateGongDataset } from "../simulators/gong/dataset.js";
import { gongOAuthEnv, startGongSimulator } from "../simulators/gong/server.js";
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

const tokenSnapshot = z.object({
  access: z.array(z.tuple([z.string(), z.any()])),
  refresh: z.array(z.tuple([z.string(), z.any()])),
});
const stateFile = z.object({
  v: z.literal(1),
  window: z.object({ fromMs: z.number(), toMs: z.number() }),
  ports: z.object({ gong: z.number(), salesloft: z.number(), clari: z.number() }),
  gong: tokenSnapshot,
  salesloft: tokenSnapshot,
});
type StateFile = z.infer<typeof stateFile>;

export interface DemoSimulatorOptions {
  ports?: { gong?: number; salesloft?: number; clari?: number };
  /** Keep ports, dataset window and issued tokens in this file across restarts. */
  statePath?: string;
}

function readState(path: string | undefined): StateFile | null {
  if (!path || !existsSync(path)) return null;
  const parsed = stateFile.safeParse(JSON.parse(readFileSync(path, "utf8")));
  return parsed.success ? parsed.data : null;
}

export async function startDemoSimulators(options: DemoSimulatorOptions = {}) {
  const saved = readState(options.statePath);
  const ports = { ...saved?.ports, ...options.ports };
  const window = saved?.window ?? { fromMs: Date.now() - 150 * 86_400_000, toMs: Date.now() - 2 * 3_600_000 };
  const scenario = defaultScenario({ callsPerUser: 15, ...window });
  const gong = await startGongSimulator({ dataset: generateGongDataset(scenario), port: ports.gong });
  const salesloft = await startSalesloftSimulator({
    dataset: generateSalesloftDataset(scenario),
    port: ports.salesloft,
  });
  const clari = await startClariSimulator({ dataset: generateClariDataset(scenario), port: ports.clari });
  // A person clicks through the consent page (Allow / Deny / an account without permission).
  gong.oauth.consentPage = true;
  salesloft.oauth.consentPage = true;
  if (saved) {
    gong.oauth.restoreSnapshot(saved.gong);
    salesloft.oauth.restoreSnapshot(saved.salesloft);
  }
  const statePath = options.statePath;
  if (statePath) {
    const save = () => {
      const state: StateFile = {
        v: 1,
        window,
        ports: { gong: gong.port, salesloft: salesloft.port, clari: clari.port },
        gong: gong.oauth.snapshot(),
        salesloft: salesloft.oauth.snapshot(),
      };
      // Written whole and renamed, so a kill mid-write never leaves half a file.
      writeFileSync(`${statePath}.tmp`, JSON.stringify(state), { mode: 0o600 });
      renameSync(`${statePath}.tmp`, statePath);
    };
    gong.oauth.onChange = save;
    salesloft.oauth.onChange = save;
    save();
  }
  const env = {
    ...gongOAuthEnv(gong),
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
