/**
 * What real Clari Copilot accounts contain, imported end to end through the public API: calls
 * without an organiser (owner from the users list), joined participants with a name only,
 * failed calls that still list participants, metrics with keys callsync does not read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { type ClariDatasetCall, generateClariDataset } from "../../src/simulators/clari/dataset.js";
import { type ClariSimulator, startClariSimulator } from "../../src/simulators/clari/server.js";
import { ALL_VARIETIES, defaultScenario } from "../../src/simulators/scenario.js";
import { startApi, type TestApi } from "../support/api.js";
import { backfillThroughWizard } from "../support/backfill.js";

const DAY = 86_400_000;
const scenario = defaultScenario({
  callsPerUser: 8,
  segmentsPerCall: 3,
  fromMs: Date.now() - 30 * DAY,
  toMs: Date.now() - 2 * DAY,
  varieties: ALL_VARIETIES,
});
const WORKSPACE_EMAILS = new Set(["ada@acme.test", "max@acme.test", "sam@acme.test"]);

let sim: ClariSimulator;
let api: TestApi;
let integrationId: string;
let runId: string;

beforeAll(async () => {
  sim = await startClariSimulator({ dataset: generateClariDataset(scenario, { failedRatio: 0 }) });
  api = await startApi(
    { CLARI_API_URL: sim.url, WORKER_IN_PROCESS: "true", JOB_PROCESS_EVERY_MS: "200" },
    { engine: { maxAttempts: 2, retryDelayMs: 100 } },
  );
  const demo = await seedDemo(api.prisma, { scenario });
  const token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  ({ integrationId, runId } = await backfillThroughWizard(api, token, "CLARI_COPILOT", sim.apiKeys.default));
}, 120_000);

afterAll(async () => {
  await api?.close();
  await sim?.close();
});

const emailOf = (userId: string) => sim.dataset.users.find((u) => u.id === userId)?.email ?? null;
const mine = () =>
  sim.dataset.calls.filter((c) => (c.users ?? []).some((u) => WORKSPACE_EMAILS.has(String(emailOf(u.userId)))));
const stored = (c: ClariDatasetCall) =>
  api.prisma.call.findFirstOrThrow({
    where: { integrationId, providerCallId: c.id },
    include: { participants: true, owner: true },
  });

describe("Clari Copilot varieties, imported end to end", () => {
  it("every call of a workspace user is imported and the run completes", async () => {
    expect((await api.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status).toBe("COMPLETED");
    const imported = await api.prisma.call.findMany({ where: { integrationId }, select: { providerCallId: true } });
    expect(imported.map((c) => c.providerCallId).sort()).toEqual(
      mine()
        .map((c) => c.id)
        .sort(),
    );
  });

  it("a call without an organiser (and without its users' emails) is owned by its first Copilot user, from the users list", async () => {
    const call = mine().find((c) => (c.users ?? []).every((u) => u.isOrganizer === undefined && !u.userEmail))!;
    expect(call).toBeDefined();
    const first = call.users![0]!;
    const s = await stored(call);
    expect(s.ownerProviderUserId).toBe(first.userId);
    expect(s.owner?.email).toBe(emailOf(first.userId));
    expect(s.participants.find((p) => p.providerUserId === first.userId)?.email).toBe(emailOf(first.userId));
  });

  it("a joined participant with a name only is an external participant without email", async () => {
    const call = mine().find((c) => c.joinedParticipants?.some((p) => p.name === "Jordan from Procurement"))!;
    const s = await stored(call);
    expect(s.participants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "Jordan from Procurement", email: null, isInternal: false, speakerId: null }),
      ]),
    );
  });

  it("a failed call is FAILED and keeps its participants", async () => {
    const call = mine().find((c) => c.status === "ERROR_IN_PROCESSING")!;
    expect(call).toBeDefined();
    const s = await stored(call);
    expect(s.readiness).toBe("FAILED");
    expect(s.participants.filter((p) => !p.isInternal).length).toBeGreaterThan(0);
    expect(s.participants.some((p) => p.isInternal)).toBe(true);
  });

  it("metrics with extra keys still give the duration", async () => {
    const call = mine().find((c) => c.metrics && "filler_words" in c.metrics && c.status === "POST_PROCESSING_DONE")!;
    const s = await stored(call);
    expect(s.durationMs).toBe(Math.round((call.metrics!.call_duration ?? 0) * 1000));
    expect(s.readiness).toBe("READY");
  });
});
