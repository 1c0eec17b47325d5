/**
 * What real Gong accounts contain, imported end to end: every Gong variety switch of the
 * scenario (src/simulators/scenario.ts) on, the wizard driven through the public API against
 * the simulator, and what was stored read back. One call per user the client cannot map is
 * skipped with its reason; the others are imported and the run completes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GongCallData } from "../../src/providers/gong/schemas.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, startGongSimulator } from "../../src/simulators/gong/server.js";
import { ALL_VARIETIES, defaultScenario } from "../../src/simulators/scenario.js";
import { LinksCallDocument, NotImportedRunDocument } from "../generated/graphql.js";
import type { TestApi } from "../support/api.js";
import { type ApiEnv, backfillThroughWizard, gongEnv } from "../support/backfill.js";
import { globalId } from "../support/fixtures.js";

const DAY = 86_400_000;
const now = Date.now();
const base = defaultScenario();
const scenario = defaultScenario({
  callsPerUser: 12,
  segmentsPerCall: 4,
  fromMs: now - 25 * DAY,
  toMs: now - 2 * DAY,
  // A HubSpot deal beside the Salesforce ones (the seed stores every deal but the last).
  deals: [
    ...base.deals.slice(0, -1),
    { crm: "HUBSPOT", dealId: "9876543210", accountId: "1234567890", accountName: "Vandelay" },
    ...base.deals.slice(-1),
  ],
  varieties: ALL_VARIETIES,
});
const WORKSPACE_EMAILS = new Set(["ada@acme.test", "max@acme.test", "sam@acme.test"]);

let gong: GongSimulator;
let env: ApiEnv;
let api: TestApi;
let token: string;
let integrationId: string;
let runId: string;

const matchedCalls = () => {
  const hosts = new Set(
    gong.dataset.users.filter((u) => WORKSPACE_EMAILS.has(String(u.emailAddress))).map((u) => u.id),
  );
  return gong.dataset.calls.filter((c) => hosts.has(String(c.metaData.primaryUserId)));
};
const isOdd = (c: GongCallData) => typeof c.metaData.duration === "string";
/** Whether the simulator's transcript of the call is readable throughout (gongUnreadableTranscripts). */
const readableTranscript = (c: GongCallData) => {
  const t = gong.dataset.callTranscripts.find((x) => x.callId === c.metaData.id);
  return !!t && Array.isArray(t.transcript) && t.transcript.every((m) => Array.isArray(m.sentences));
};
const stored = (providerCallId: string) =>
  api.prisma.call.findFirstOrThrow({
    where: { integrationId, providerCallId },
    include: { participants: { orderBy: { position: "asc" } }, segments: true, crmRefs: true },
  });

beforeAll(async () => {
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario) });
  env = await gongEnv(gong, { scenario, engine: { maxAttempts: 2, retryDelayMs: 100 } });
  ({ api, token } = env);
  ({ integrationId, runId } = await backfillThroughWizard(api, token, "GONG"));
}, 120_000);

afterAll(async () => {
  await env?.close();
});

describe("Gong varieties, imported end to end", () => {
  it("a page with one unmappable call imports the others; that call is reported with its id and reason, the run completes", async () => {
    const run = await api.prisma.syncRun.findUniqueOrThrow({ where: { id: runId }, include: { users: true } });
    expect(run.status).toBe("COMPLETED");
    const odd = matchedCalls().filter(isOdd);
    expect(odd).toHaveLength(3);
    const skipped = await api.prisma.skippedRecord.findMany({ where: { runId, kind: "CALL" } });
    expect(skipped.map((s) => s.providerRecordId).sort()).toEqual(odd.map((c) => c.metaData.id).sort());
    for (const s of skipped) {
      expect(s.reasonCode).toBe("UNREADABLE");
      expect(s.reason).toMatch(/metaData\.duration/);
    }
    expect(run.users.reduce((n, u) => n + u.callsSkipped, 0)).toBe(3);
    // The API says so as "calls that could not be imported", per run and per user.
    const api_ = await api.gql(NotImportedRunDocument, { provider: "GONG" }, token);
    expect(api_.errors).toBeUndefined();
    const latest = api_.data!.integration!.latestRun!;
    expect(latest.callsNotImported.map((r) => [r.providerRecordId, r.reasonCode]).sort()).toEqual(
      odd.map((c) => [c.metaData.id, "UNREADABLE"]).sort(),
    );
    for (const u of latest.users.filter((x) => x.state === "COMPLETED")) {
      expect(u.callsSkipped).toBe(1);
      expect(u.callsNotImported).toHaveLength(1);
    }
    const imported = await api.prisma.call.findMany({ where: { integrationId }, select: { providerCallId: true } });
    expect(imported.map((c) => c.providerCallId).sort()).toEqual(
      matchedCalls()
        .filter((c) => !isOdd(c))
        .map((c) => c.metaData.id)
        .sort(),
    );
  });

  it("a monologue that cannot be read is left out and counted; a transcript unreadable as a whole leaves the call waiting for one, counted", async () => {
    const hosts = new Set(matchedCalls().map((c) => c.metaData.id));
    const transcripts = gong.dataset.callTranscripts.filter((t) => hosts.has(String(t.callId)));
    const whole = transcripts.filter((t) => !Array.isArray(t.transcript)).map((t) => String(t.callId));
    const partial = transcripts
      .filter((t) => Array.isArray(t.transcript) && t.transcript.some((m) => !Array.isArray(m.sentences)))
      .map((t) => String(t.callId));
    expect(whole).toHaveLength(3);
    expect(partial).toHaveLength(3);

    const skipped = await api.prisma.skippedRecord.findMany({ where: { runId, kind: "TRANSCRIPT" } });
    expect(skipped.map((s) => s.providerRecordId).sort()).toEqual([...whole, ...partial].sort());
    for (const s of skipped) expect(s.reasonCode).toBe("UNREADABLE");

    // The readable monologues of a partly unreadable transcript are stored; the odd one is not.
    const one = transcripts.find((t) => String(t.callId) === partial[0])!;
    const readable = one.transcript.filter((m) => Array.isArray(m.sentences));
    const call = await stored(partial[0]!);
    expect(call.segments.length).toBe(readable.reduce((n, m) => n + m.sentences.length, 0));
    expect(call.readiness).not.toBe("TRANSCRIPT_PENDING");
    // A transcript unreadable as a whole: the call is imported and waits for its transcript.
    const waiting = await stored(whole[0]!);
    expect(waiting.segments).toHaveLength(0);
    // (past its transcript deadline, as these calls are days old, it has given up waiting)
    expect(["TRANSCRIPT_PENDING", "TRANSCRIPT_GAVE_UP"]).toContain(waiting.readiness);

    const res = await api.gql(NotImportedRunDocument, { provider: "GONG" }, token);
    const latest = res.data!.integration!.latestRun!;
    expect(latest.transcriptsNotImported.map((r) => r.providerRecordId).sort()).toEqual([...whole, ...partial].sort());
    expect(latest.summary.transcriptsSkipped).toBe(6);
    const reasons = latest.transcriptsNotImported.map((r) => r.reason);
    expect(reasons.filter((r) => /1 of \d+ monologues of the transcript could not be read/.test(r))).toHaveLength(3);
    expect(reasons.filter((r) => /^The transcript could not be read/.test(r))).toHaveLength(3);
  });

  it("call ids are strings of 19 digits, kept as they are", async () => {
    const imported = await api.prisma.call.findMany({ where: { integrationId }, select: { providerCallId: true } });
    expect(imported.length).toBeGreaterThan(20);
    expect(imported.every((c) => /^\d{19}$/.test(c.providerCallId))).toBe(true);
  });

  it("Inbound and Unknown directions", async () => {
    const directions = await api.prisma.call.groupBy({ by: ["direction"], where: { integrationId }, _count: true });
    expect(directions.map((d) => d.direction)).toEqual(expect.arrayContaining(["INBOUND", "UNKNOWN", "OUTBOUND"]));
  });

  it("parties of Unknown affiliation: a phone caller without email, a guest with one — both external", async () => {
    const call = matchedCalls().find((c) => !isOdd(c) && c.parties?.some((p) => p.phoneNumber))!;
    const participants = (await stored(call.metaData.id)).participants;
    expect(participants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "+1 415-555-0123", email: null, isInternal: false }),
        expect.objectContaining({ email: "guest@partner.example", isInternal: false }),
      ]),
    );
  });

  it("Lead and Contact party contexts are kept; the host's own CRM User is not deal context", async () => {
    const refs = await api.prisma.callCrmRef.findMany({ where: { call: { integrationId } } });
    const types = new Set(refs.map((r) => r.objectType));
    expect([...types]).toEqual(expect.arrayContaining(["Lead", "Contact", "Opportunity", "Account"]));
    expect(types.has("User")).toBe(false);
  });

  it("HubSpot contexts written Deal/Company are stored as HubSpot Deal and Company", async () => {
    const refs = await api.prisma.callCrmRef.findMany({ where: { call: { integrationId }, system: "HUBSPOT" } });
    expect(refs.map((r) => `${r.objectType}:${r.objectId}`)).toEqual(
      expect.arrayContaining(["Deal:9876543210", "Company:1234567890"]),
    );
  });

  it("a call naming two deals is on both", async () => {
    const known = new Set(scenario.deals.slice(0, -1).map((d) => d.dealId));
    const two = matchedCalls().find((c) => {
      const deals = (c.context?.[0]?.objects ?? []).filter((o) => o.objectType === "Opportunity");
      return !isOdd(c) && deals.length === 2 && deals.every((o) => known.has(o.objectId));
    })!;
    expect(two).toBeDefined();
    const id = (await stored(two.metaData.id)).id;
    const res = await api.gql(LinksCallDocument, { id: globalId("Call", id) }, token);
    expect(res.errors).toBeUndefined();
    const wanted = (two.context?.[0]?.objects ?? [])
      .filter((o) => o.objectType === "Opportunity")
      .map((o) => o.objectId);
    expect(res.data!.call!.deals.map((d) => d.crmId).sort()).toEqual(wanted.sort());
  });

  it("calls without interaction speakers still have every transcript segment on a participant", async () => {
    const call = matchedCalls().find(
      (c) => !isOdd(c) && readableTranscript(c) && c.interaction && !("speakers" in c.interaction),
    )!;
    const s = await stored(call.metaData.id);
    expect(s.segments.length).toBeGreaterThan(0);
    expect(s.segments.every((seg) => seg.participantId !== null)).toBe(true);
  });

  it("transcripts with a non-null topic are imported like any other", async () => {
    const readable = gong.dataset.callTranscripts.filter((t) => Array.isArray(t.transcript));
    expect(readable.every((t) => t.transcript.every((m) => typeof m.topic === "string"))).toBe(true);
    const ready = await api.prisma.call.count({ where: { integrationId, readiness: "READY", segments: { some: {} } } });
    expect(ready).toBeGreaterThan(20);
  });

  it("metaData without optional fields imports with what is there; without `started` the scheduled time is used", async () => {
    const sparse = matchedCalls().find((c) => !isOdd(c) && Object.keys(c.metaData).length === 3)!;
    expect(await stored(sparse.metaData.id)).toMatchObject({
      title: null,
      providerUrl: null,
      durationMs: null,
      endedAt: null,
      startedAt: new Date(Date.parse(String(sparse.metaData.started))),
    });
    const unstarted = matchedCalls().find((c) => !isOdd(c) && !c.metaData.started)!;
    expect((await stored(unstarted.metaData.id)).startedAt).toEqual(
      new Date(Date.parse(String(unstarted.metaData.scheduled))),
    );
  });
});
