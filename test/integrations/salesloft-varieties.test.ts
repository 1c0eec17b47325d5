/**
 * What real Salesloft accounts contain, imported end to end through the public API: people
 * without `crm_id`, accounts without their CRM key, conversations naming only an account, and
 * list answers without `metadata.paging` (the simulator's `listPaging: "omitted"`), an
 * `/extensive` detail that cannot be read (that conversation is skipped and reported, the rest
 * imported) and a transcript sentence that cannot be read (the call is imported without it, and
 * that is reported too).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { generateSalesloftDataset } from "../../src/simulators/salesloft/dataset.js";
import { type SalesloftSimulator, startSalesloftSimulator } from "../../src/simulators/salesloft/server.js";
import { ALL_VARIETIES, defaultScenario } from "../../src/simulators/scenario.js";
import { NotImportedRunDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { backfillThroughWizard } from "../support/backfill.js";
import { freePort } from "../support/net.js";

const DAY = 86_400_000;
// One workspace user with more conversations than a page holds (100), so paging without
// metadata must go on past a full first page.
const base = defaultScenario();
const scenario = defaultScenario({
  users: [base.users[0]!, base.users.at(-1)!],
  callsPerUser: 104,
  segmentsPerCall: 2,
  fromMs: Date.now() - 60 * DAY,
  varieties: ALL_VARIETIES,
});
const WORKSPACE_EMAILS = new Set(["ada@acme.test", "max@acme.test", "sam@acme.test"]);

let sim: SalesloftSimulator;
let api: TestApi;
let integrationId: string;
let runId: string;
let token: string;

beforeAll(async () => {
  sim = await startSalesloftSimulator({
    dataset: generateSalesloftDataset(scenario),
    switches: { listPaging: "omitted", transcriptDelayMs: 0, aiDelayMs: 0 },
  });
  const port = await freePort();
  api = await startApi(
    {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SALESLOFT_CLIENT_ID: sim.clientId,
      SALESLOFT_CLIENT_SECRET: sim.clientSecret,
      SALESLOFT_ACCOUNTS_URL: sim.url,
      SALESLOFT_API_URL: sim.url,
      WORKER_IN_PROCESS: "true",
      JOB_PROCESS_EVERY_MS: "200",
    },
    { port, engine: { maxAttempts: 2, retryDelayMs: 100 } },
  );
  const demo = await seedDemo(api.prisma, { scenario });
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  ({ integrationId, runId } = await backfillThroughWizard(api, token, "SALESLOFT"));
}, 120_000);

afterAll(async () => {
  await api?.close();
  await sim?.close();
});

const mine = () => {
  const guids = new Set(sim.dataset.users.filter((u) => WORKSPACE_EMAILS.has(String(u.email))).map((u) => u.guid));
  return sim.dataset.conversations.filter((c) => guids.has(String(c.user_guid)));
};
/** `attendees` not a list: the `/extensive` detail cannot be read (salesloftUnmappableDetail). */
const isOdd = (c: { attendees?: unknown }) => c.attendees != null && !Array.isArray(c.attendees);
const stored = (id: string) =>
  api.prisma.call.findFirstOrThrow({ where: { integrationId, providerCallId: id }, include: { crmRefs: true } });

describe("Salesloft varieties, imported end to end", () => {
  it("list answers without paging metadata: every user and every conversation is imported, the run completes", async () => {
    const run = await api.prisma.syncRun.findUniqueOrThrow({ where: { id: runId }, include: { users: true } });
    expect(run.status).toBe("COMPLETED");
    expect(run.users).toHaveLength(sim.dataset.users.length);
    const imported = await api.prisma.call.findMany({ where: { integrationId }, select: { providerCallId: true } });
    expect(imported.map((c) => c.providerCallId).sort()).toEqual(
      mine()
        .filter((c) => !isOdd(c))
        .map((c) => String(c.id))
        .sort(),
    );
    expect(sim.log.find((r) => r.path === "/v2/users").length).toBeGreaterThan(0);
  });

  it("a conversation whose /extensive detail cannot be read is skipped with its id and reason; the others are imported", async () => {
    const odd = mine().filter(isOdd);
    expect(odd).toHaveLength(1);
    const res = await api.gql(NotImportedRunDocument, { provider: "SALESLOFT" }, token);
    expect(res.errors).toBeUndefined();
    const run = res.data!.integration!.latestRun!;
    expect(run.status).toBe("COMPLETED");
    expect(run.callsNotImported.map((r) => [r.kind, r.providerRecordId, r.reasonCode])).toEqual([
      ["CALL", String(odd[0]!.id), "UNREADABLE"],
    ]);
    expect(run.callsNotImported[0]!.reason).toMatch(/\/extensive.*attendees/);
    expect(run.summary.callsSkipped).toBe(1);
    const ada = run.users.find((u) => u.email === "ada@acme.test")!;
    expect(ada.state).toBe("COMPLETED");
    expect(ada.callsSkipped).toBe(1);
    expect(ada.callsNotImported.map((r) => r.providerRecordId)).toEqual([String(odd[0]!.id)]);
    // The page went on: the conversations listed after it on the same page are stored.
    expect(await api.prisma.call.count({ where: { integrationId } })).toBe(mine().length - 1);
  });

  it("a transcript sentence that cannot be read is left out: the call is imported with the rest and reported", async () => {
    const withOdd = mine().filter((c) =>
      (sim.dataset.sentences[String(c.transcription?.id)] ?? []).some((x) => typeof x.start_time !== "number"),
    );
    expect(withOdd).toHaveLength(1);
    const conv = withOdd[0]!;
    const all = sim.dataset.sentences[String(conv.transcription?.id)]!;
    const call = await api.prisma.call.findFirstOrThrow({
      where: { integrationId, providerCallId: String(conv.id) },
      include: { segments: true },
    });
    expect(call.segments).toHaveLength(all.length - 1);
    const res = await api.gql(NotImportedRunDocument, { provider: "SALESLOFT" }, token);
    const run = res.data!.integration!.latestRun!;
    expect(run.transcriptsNotImported.map((r) => [r.kind, r.providerRecordId, r.reasonCode])).toEqual([
      ["TRANSCRIPT", String(conv.id), "UNREADABLE"],
    ]);
    expect(run.transcriptsNotImported[0]!.reason).toMatch(/1 of \d+ sentences.*start_time/);
    expect(run.summary.transcriptsSkipped).toBe(1);
    expect(run.users.find((u) => u.email === "ada@acme.test")!.transcriptsNotImported).toHaveLength(1);
  });

  it("a person without crm_id gives no Contact id; the call keeps its opportunity and account", async () => {
    const noCrm = new Set(sim.dataset.people.filter((p) => p.crm_id == null).map((p) => String(p.id)));
    expect(noCrm.size).toBeGreaterThan(0);
    const conv = mine().find((c) => c.person && noCrm.has(String(c.person.id)) && c.opportunity)!;
    const refs = (await stored(String(conv.id))).crmRefs.map((r) => r.objectType);
    expect(refs).not.toContain("Contact");
    expect(refs).toContain("Opportunity");
  });

  it("an account without its CRM key: a call naming only that account has no account id (no deal guessed)", async () => {
    const keyless = new Set(sim.dataset.accounts.filter((a) => !("crm_id" in a)).map((a) => String(a.id)));
    expect(keyless.size).toBeGreaterThan(0);
    const conv = mine().find((c) => !c.opportunity && c.account && keyless.has(String(c.account.id)));
    expect(conv).toBeDefined();
    const call = await stored(String(conv!.id));
    expect(call.crmRefs.map((r) => r.objectType)).toEqual(["Contact"]);
    expect(call.dealLinkStatus).toBe("NO_CRM_ID");
    expect(await api.prisma.callAccountLink.count({ where: { callId: call.id } })).toBe(0);
  });

  it("a call naming only an account that has its CRM key is on that account, account only", async () => {
    const keyed = new Set(sim.dataset.accounts.filter((a) => a.crm_id).map((a) => String(a.id)));
    const conv = mine().find((c) => !c.opportunity && c.account && keyed.has(String(c.account.id)))!;
    expect(conv).toBeDefined();
    const call = await stored(String(conv.id));
    expect(call.dealLinkStatus).toBe("ACCOUNT_ONLY");
    expect(await api.prisma.callAccountLink.count({ where: { callId: call.id } })).toBe(1);
  });
});
