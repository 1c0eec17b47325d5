import { afterEach, describe, expect, it } from "vitest";
import type { CallRecord, ProviderUser } from "../../../src/providers/types.js";
import { DAY, type Harness, harness, isExtensive, isTranscript, settledDataset } from "./support.js";

let h: Harness;
afterEach(() => h?.close());

const WINDOW = { fromMs: Date.now() - 60 * DAY, toMs: Date.now() };

async function userByEmail(email: string): Promise<ProviderUser> {
  const users = (await h.client.listUsers()).users;
  const user = users.find((u) => u.email === email);
  if (!user) throw new Error(`no user ${email}`);
  return user;
}

async function importAll(user: ProviderUser, window = WINDOW): Promise<{ calls: CallRecord[]; pages: number }> {
  const calls: CallRecord[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await h.client.listCallsPage(user, window, cursor);
    calls.push(...page.calls);
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  return { calls, pages };
}

describe("Gong: connected account and users", () => {
  it("verify() names the connected account after the first workspace", async () => {
    h = await harness();
    const ws = h.sim.dataset.workspaces[0]!;
    expect(await h.client.verify()).toEqual({ accountId: ws.id, name: ws.name, authorizedBy: null });
  });

  it("listUsers() follows the users cursor across pages and maps name, email, aliases, active", async () => {
    h = await harness({ switches: { pageSize: 3 } });
    h.sim.dataset.users[1]!.emailAliases = ["MAX.alias@acme.test"];
    h.sim.dataset.users[2]!.active = false;
    const users = (await h.client.listUsers()).users;
    expect(users.map((u) => u.email)).toEqual([
      "ada@acme.test",
      "max@acme.test",
      "sam@acme.test",
      "outsider@contractor.test",
    ]);
    expect(users[0]).toEqual({
      providerUserId: h.sim.dataset.users[0]!.id,
      email: "ada@acme.test",
      emailAliases: [],
      name: "Ada Admin",
      active: true,
    });
    expect(users[1]!.emailAliases).toEqual(["MAX.alias@acme.test"]);
    expect(users[2]!.active).toBe(false);
    const userRequests = h.sim.log.find((r) => r.path === "/v2/users");
    expect(userRequests).toHaveLength(2);
    expect(userRequests[1]!.query.cursor).toHaveLength(1);
  });
});

describe("Gong: listCallsPage", () => {
  it("returns every call the user hosted in the window, ascending, across pages, each page costing exactly two requests", async () => {
    h = await harness({ switches: { pageSize: 3 } });
    const ada = await userByEmail("ada@acme.test");
    h.sim.log.clear();
    const { calls, pages } = await importAll(ada);
    const expected = h.sim.dataset.calls
      .filter((c) => c.metaData.primaryUserId === ada.providerUserId)
      .sort((a, b) => Date.parse(String(a.metaData.started)) - Date.parse(String(b.metaData.started)));
    expect(calls.map((c) => c.providerCallId)).toEqual(expected.map((c) => c.metaData.id));
    expect(pages).toBe(3); // 8 calls, 3 per page
    expect(h.sim.log.count(isExtensive)).toBe(3);
    expect(h.sim.log.count(isTranscript)).toBe(3);
    expect(h.sim.log.count()).toBe(6);
    expect(calls.every((c) => c.ownerProviderUserId === ada.providerUserId && c.ownerEmail === "ada@acme.test")).toBe(
      true,
    );
  });

  it("asks /v2/calls/extensive for the user's calls in the window with CRM context, parties and AI content, never media", async () => {
    h = await harness();
    const sam = await userByEmail("sam@acme.test");
    h.sim.log.clear();
    await h.client.listCallsPage(sam, WINDOW, null);
    const [req] = h.sim.log.find(isExtensive);
    expect(req?.body).toMatchObject({
      filter: {
        fromDateTime: new Date(WINDOW.fromMs).toISOString(),
        toDateTime: new Date(WINDOW.toMs).toISOString(),
        primaryUserIds: [sam.providerUserId],
      },
      contentSelector: {
        context: "Extended",
        exposedFields: {
          parties: true,
          content: { brief: true, keyPoints: true, pointsOfInterest: true },
          interaction: { speakers: true },
          media: false,
        },
      },
    });
    expect(req?.body).not.toHaveProperty("cursor");
  });

  it("fetches the page's transcripts in one batch of the page's call ids", async () => {
    h = await harness();
    const max = await userByEmail("max@acme.test");
    h.sim.log.clear();
    const page = await h.client.listCallsPage(max, WINDOW, null);
    const [req] = h.sim.log.find(isTranscript);
    expect(req?.body).toEqual({ filter: { callIds: page.calls.map((c) => c.providerCallId) } });
  });

  it("batches 150 calls of one user into two pages: 2 extensive + 2 transcript requests, ≤ 100 ids per transcript request", async () => {
    const dataset = settledDataset({ callsPerUser: 150, segmentsPerCall: 2 });
    h = await harness({ dataset });
    const ada = await userByEmail("ada@acme.test");
    h.sim.log.clear();
    const { calls, pages } = await importAll(ada);
    expect(calls).toHaveLength(150);
    expect(new Set(calls.map((c) => c.providerCallId)).size).toBe(150);
    expect(pages).toBe(2);
    expect(h.sim.log.count()).toBe(4);
    const sizes = h.sim.log
      .find(isTranscript)
      .map((r) => (r.body as { filter: { callIds: string[] } }).filter.callIds.length);
    expect(sizes).toEqual([100, 50]);
  });

  it("returns calls fully enriched: participants with speaker ids, transcript, summary, action items, CRM ids, link, READY", async () => {
    h = await harness();
    const ada = await userByEmail("ada@acme.test");
    const { calls } = await importAll(ada);
    const withCrm = calls.find((c) => c.crmRefs.length > 0)!;
    expect(withCrm.readiness).toBe("READY");
    expect(withCrm.url).toMatch(/^https:\/\/us-\d+\.app\.gong\.io\/call\?id=\d+$/);
    expect(withCrm.participants.find((p) => p.isInternal && p.providerUserId === ada.providerUserId)?.email).toBe(
      "ada@acme.test",
    );
    const speakers = new Set(withCrm.participants.map((p) => p.speakerId));
    expect(withCrm.transcript!.length).toBeGreaterThan(0);
    expect(withCrm.transcript!.every((s) => speakers.has(s.speakerId))).toBe(true);
    expect(withCrm.summary?.brief).toMatch(/call with/);
    expect(withCrm.summary?.keyPoints.length).toBeGreaterThan(0);
    expect(withCrm.actionItems!.length).toBeGreaterThan(0);
    expect(withCrm.actionItems!.every((a) => speakers.has(a.ownerSpeakerId))).toBe(true);
    expect(withCrm.crmRefs.map((r) => r.objectType)).toEqual(expect.arrayContaining(["Opportunity", "Account"]));
    expect(withCrm.endedAt! - withCrm.startedAt).toBe(withCrm.durationMs);
  });

  it("an empty window is Gong's 404 'No calls found' → an empty last page, one request, no transcript request", async () => {
    h = await harness();
    const ada = await userByEmail("ada@acme.test");
    h.sim.log.clear();
    const page = await h.client.listCallsPage(ada, { fromMs: Date.now() - 1 * DAY, toMs: Date.now() }, null);
    expect(page).toEqual({ calls: [], nextCursor: null, total: 0 });
    expect(h.sim.log.entries.map((r) => [r.path, r.status])).toEqual([["/v2/calls/extensive", 404]]);
  });

  it("a user who hosted no calls gets an empty page", async () => {
    h = await harness();
    h.sim.dataset.users.push({ ...h.sim.dataset.users[0]!, id: "1111111111111111111", emailAddress: "new@acme.test" });
    const page = await h.client.listCallsPage(await userByEmail("new@acme.test"), WINDOW, null);
    expect(page.calls).toEqual([]);
    expect(page.nextCursor).toBeNull();
  });
});

describe("Gong: fetchCalls (transcript follow-ups)", () => {
  it("re-fetches the given calls by id in one extensive + one transcript request and leaves unknown ids out", async () => {
    h = await harness();
    const ids = h.sim.dataset.calls.slice(0, 5).map((c) => c.metaData.id);
    h.sim.log.clear();
    const calls = await h.client.fetchCalls([...ids, "999999999999999999", ids[0]!]);
    expect(calls.map((c) => c.providerCallId).sort()).toEqual([...ids].sort());
    expect(calls.every((c) => c.readiness === "READY")).toBe(true);
    expect(h.sim.log.count()).toBe(2);
    expect(h.sim.log.find(isExtensive)[0]?.body).toMatchObject({
      filter: { callIds: [...ids, "999999999999999999"] },
    });
  });

  it("unknown ids only → empty result, no transcript request", async () => {
    h = await harness();
    expect(await h.client.fetchCalls(["999999999999999999"])).toEqual([]);
    expect(h.sim.log.count(isTranscript)).toBe(0);
  });

  it("owner email comes from the host's party when no user is given", async () => {
    h = await harness();
    const call = h.sim.dataset.calls[0]!;
    const [record] = await h.client.fetchCalls([call.metaData.id]);
    const host = h.sim.dataset.users.find((u) => u.id === call.metaData.primaryUserId)!;
    expect(record?.ownerEmail).toBe(host.emailAddress);
  });
});
