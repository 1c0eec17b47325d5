/**
 * In-process runtimes (the same `openRuntime` as `serve` and `worker`) on one fresh database,
 * Gong connected through the browser round trip, a short job lock lifetime: for the safeguard
 * tests of issue #11, which need real Agenda jobs and real leases but not separate processes.
 */
import { seedDemo } from "../../src/seed/demo.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, gongOAuthEnv, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { startApi, type TestApi } from "./api.js";
import { freePort } from "./net.js";
import { connectGong, localId } from "./processes.js";

export interface GongStage {
  gong: GongSimulator;
  /** The first runtime (GraphQL, and a worker unless `producerOnly`). */
  api: TestApi;
  /** Further worker runtimes on the same database. */
  workers: TestApi[];
  token: string;
  /** Global id (GraphQL) and row id of the connected integration. */
  integrationId: string;
  integration: string;
  fromMs: number;
  lockMs: number;
  /** Starts another worker runtime on the stage's database. */
  addWorker(name: string): Promise<TestApi>;
  close(): Promise<void>;
}

export async function gongStage(options: {
  users: number;
  callsPerUser: number;
  pageSize: number;
  /** Worker runtimes besides the first one. */
  extraWorkers?: number;
  /** The first runtime only serves GraphQL and enqueues: nothing is processed until a worker is added. */
  producerOnly?: boolean;
  lockMs?: number;
}): Promise<GongStage> {
  const lockMs = options.lockMs ?? 1_500;
  const users = Array.from({ length: options.users }, (_, i) => ({
    email: `rep${i}@acme.test`,
    firstName: `Rep${i}`,
    lastName: "Seller",
  }));
  // The scenario's last user has no workspace account (SKIPPED), as in a real tenant.
  const scenario = defaultScenario({
    callsPerUser: options.callsPerUser,
    fromMs: Date.now() - 30 * 86_400_000,
    users: [...users, { email: "outsider@contractor.test", firstName: "Otto", lastName: "Outsider" }],
  });
  const gong = await startGongSimulator({
    dataset: generateGongDataset(scenario),
    switches: { visibleAfterMs: 0, pageSize: options.pageSize },
  });
  const env = (name: string, works: boolean) => ({
    ...gongOAuthEnv(gong),
    WORKER_IN_PROCESS: String(works),
    WORKER_NAME: name,
    JOB_PROCESS_EVERY_MS: String(Math.min(200, Math.floor(lockMs / 2))),
    JOB_LOCK_LIFETIME_MS: String(lockMs),
    SYNC_RETRY_DELAY_MS: "200",
  });
  const port = await freePort();
  const api = await startApi(
    { ...env("stage-a", !options.producerOnly), PUBLIC_URL: `http://127.0.0.1:${port}` },
    { port },
  );
  const workers: TestApi[] = [];
  const addWorker = async (name: string) => {
    const w = await startApi(env(name, true), { database: api.database });
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (options.extraWorkers ?? 0); i++) await addWorker(`stage-w${i}`);
  const demo = await seedDemo(api.prisma, { scenario });
  const token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  const connected = await connectGong(api.url, token);
  return {
    gong,
    api,
    workers,
    token,
    integrationId: connected.integrationId,
    integration: localId(connected.integrationId),
    fromMs: connected.fromMs,
    lockMs,
    addWorker,
    async close() {
      for (const w of workers) await w.close();
      await api.close();
      await gong.close();
    },
  };
}
