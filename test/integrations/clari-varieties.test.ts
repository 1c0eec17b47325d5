/**
 * What real Clari Copilot accounts contain, imported end to end through the public API: calls
 * without an organiser (owner from the users list), joined participants with a name only,
 * failed calls that still list participants, metrics with keys callsync does not read, call
 * details that cannot be read (the call is skipped and reported), transcripts with a segment
 * that cannot be read and transcripts that cannot be read at all (the call is imported without
 * them, and that is reported).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { type ClariDatasetCall, generateClariDataset } from "../../src/simulators/clari/dataset.js";
import { type ClariSimulator, startClariSimulator } from "../../src/simulators/clari/server.js";
import { ALL_VARIETIES, defaultScenario } from "../../src/simulators/scenario.js";
import { NotImportedRunDocument } from "../generated/graphql.js";
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
let token: string;

beforeAll(async () => {
  sim = await startClariSimulator({ dataset: generateClariDataset(scenario, { failedRatio: 0 }) });
  api = await startApi(
    { CLARI_API_URL: sim.url, WORKER_IN_PROCESS: "true", JOB_PROCESS_EVERY_MS: "200" },
    { engine: { maxAttempts: 2, retryDelayMs: 100 } },
  );
  const demo = await seedDemo(api.prisma, { scenario });
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  ({ integrationId, runId } = await backfillThroughWizard(api, token, "CLARI_COPILOT", sim.apiKeys.default));
}, 120_000);

afterAll(async () => {
  await api?.close();
  await sim?.close();
});

const emailOf = (userId: string) => sim.dataset.users.find((u) => u.id === userId)?.email ?? null;
const all = () =>
  sim.dataset.calls.filter((c) => (c.users ?? []).some((u) => WORKSPACE_EMAILS.has(String(emailOf(u.userId)))));
/** `summary` not an object: the call's details cannot be read (clariUnmappableDetail). */
const isOdd = (c: ClariDatasetCall) => typeof (c as { summary?: unknown }).summary === "string";
/** The calls of workspace users; `readable` leaves out those whose details or transcript cannot be read. */
const readableTranscript = (c: ClariDatasetCall) =>
  c.transcript == null || (Array.isArray(c.transcript) && c.transcript.every((x) => typeof x.start === "number"));
const mine = (readable = false) => all().filter((c) => !readable || (!isOdd(c) && readableTranscript(c)));
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
        .filter((c) => !isOdd(c))
        .map((c) => c.id)
        .sort(),
    );
  });

  it("a call whose /call-details cannot be read is skipped with its id and reason, per user and in the run", async () => {
    const odd = mine().filter(isOdd);
    expect(odd.length).toBeGreaterThanOrEqual(2);
    const res = await api.gql(NotImportedRunDocument, { provider: "CLARI_COPILOT" }, token);
    expect(res.errors).toBeUndefined();
    const run = res.data!.integration!.latestRun!;
    expect(run.status).toBe("COMPLETED");
    expect(run.callsNotImported.map((r) => [r.kind, r.providerRecordId, r.reasonCode]).sort()).toEqual(
      odd.map((c) => ["CALL", c.id, "UNREADABLE"]).sort(),
    );
    for (const r of run.callsNotImported) expect(r.reason).toMatch(/\/call-details.*summary/);
    expect(run.summary.callsSkipped).toBe(odd.length);
    // Per user: a call listed under two Copilot users is counted once, under the first that listed it.
    const perUser = run.users.flatMap((u) => u.callsNotImported.map((r) => r.providerRecordId));
    expect(perUser.sort()).toEqual(odd.map((c) => c.id).sort());
    expect(run.users.reduce((n, u) => n + u.callsSkipped, 0)).toBe(odd.length);
  });

  it("a transcript segment that cannot be read is left out; a transcript that cannot be read leaves the call without one; both are reported", async () => {
    const partial = mine().filter(
      (c) => Array.isArray(c.transcript) && c.transcript.some((s) => typeof s.start !== "number"),
    );
    const whole = mine().filter((c) => typeof (c as { transcript?: unknown }).transcript === "string");
    expect(partial.length).toBeGreaterThanOrEqual(2);
    expect(whole.length).toBeGreaterThanOrEqual(2);
    for (const c of partial) {
      const s = await api.prisma.call.findFirstOrThrow({
        where: { integrationId, providerCallId: c.id },
        include: { segments: true },
      });
      expect(s.segments).toHaveLength(c.transcript!.length - 1);
      expect(s.readiness).toBe("READY");
    }
    for (const c of whole) {
      const s = await api.prisma.call.findFirstOrThrow({
        where: { integrationId, providerCallId: c.id },
        include: { segments: true },
      });
      expect(s.segments).toHaveLength(0);
      // Asked again by the follow-ups (or given up on, for calls older than the transcript window).
      expect(["TRANSCRIPT_PENDING", "TRANSCRIPT_GAVE_UP"]).toContain(s.readiness);
    }
    const res = await api.gql(NotImportedRunDocument, { provider: "CLARI_COPILOT" }, token);
    const run = res.data!.integration!.latestRun!;
    expect(run.transcriptsNotImported.map((r) => [r.kind, r.providerRecordId]).sort()).toEqual(
      [...partial, ...whole].map((c) => ["TRANSCRIPT", c.id]).sort(),
    );
    const reasons = new Map(run.transcriptsNotImported.map((r) => [r.providerRecordId, r.reason]));
    for (const c of partial) expect(reasons.get(c.id)).toMatch(/1 of \d+ segments.*start/);
    for (const c of whole) expect(reasons.get(c.id)).toMatch(/imported without it/);
    expect(run.summary.transcriptsSkipped).toBe(partial.length + whole.length);
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
    const call = mine(true).find((c) => c.joinedParticipants?.some((p) => p.name === "Jordan from Procurement"))!;
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
    const call = mine(true).find(
      (c) => c.metrics && "filler_words" in c.metrics && c.status === "POST_PROCESSING_DONE",
    )!;
    const s = await stored(call);
    expect(s.durationMs).toBe(Math.round((call.metrics!.call_duration ?? 0) * 1000));
    expect(s.readiness).toBe("READY");
  });
});
