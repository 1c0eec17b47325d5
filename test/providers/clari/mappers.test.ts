import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  clariDirection,
  clariDirectory,
  clariReadiness,
  mapClariCall,
  mapClariCrmInfo,
  mapClariUser,
} from "../../../src/providers/clari/mappers.js";
import {
  ClariCallDetailsResponseSchema,
  ClariCallsResponseSchema,
  ClariPaginationSchema,
  ClariUsersResponseSchema,
} from "../../../src/providers/clari/schemas.js";
import { adaUser, call, clientFor, dataset, HOUR, simulator } from "./support.js";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/clari/${name}`, import.meta.url), "utf8"));

const usersResponse = ClariUsersResponseSchema.parse(fixture("users.json"));
const directory = clariDirectory(usersResponse.users);
const APRIL = "e04483dd-fb82-460a-a14e-b6f3e6a2b7a4";
const APRIL_EMAIL = "integration.user+clari@withampersand.com";

describe("Clari Copilot documented examples map to exact records", () => {
  it("users.json: a Copilot user", () => {
    expect(usersResponse.users.map(mapClariUser)).toEqual([
      { providerUserId: APRIL, email: APRIL_EMAIL, emailAliases: [], name: "April", active: true },
    ]);
  });

  it("calls.json: a finished upload listed without details is metadata only, transcript pending", () => {
    const { calls, pagination } = ClariCallsResponseSchema.parse(fixture("calls.json"));
    expect(pagination).toEqual({ matched: 3, hasMore: false });
    const [listed] = calls;
    if (!listed) throw new Error("fixture has no call");
    expect(mapClariCall(listed, null, directory)).toEqual({
      providerCallId: "7549847e-4e97-4650-a20d-87791520e529",
      title: "Ampersand promo",
      startedAt: 1749651900000,
      endedAt: 1749651908000,
      durationMs: 8000,
      direction: "UNKNOWN",
      ownerProviderUserId: APRIL,
      ownerEmail: APRIL_EMAIL,
      url: "https://copilot.clari.com/call/7549847e-4e97-4650-a20d-87791520e529",
      participants: [{ name: "April", email: APRIL_EMAIL, isInternal: true, speakerId: "0", providerUserId: APRIL }],
      transcript: null,
      summary: null,
      actionItems: null,
      crmRefs: [],
      readiness: "TRANSCRIPT_PENDING",
      providerUpdatedAt: 1749653586310,
    });
  });

  it("calls-first-page pagination: the next offset", () => {
    expect(ClariPaginationSchema.parse(fixture("calls-first-page-pagination.json"))).toEqual({
      matched: 3,
      hasMore: true,
      nextPageSkip: 1,
    });
  });

  it("call-details.json: transcript, summary, action items, CRM ids, speakers joined on personId", () => {
    const { call: details } = ClariCallDetailsResponseSchema.parse(fixture("call-details.json"));
    expect(mapClariCall(details, details, directory)).toEqual({
      providerCallId: "31f12970-040d-4186-9b6f-ad0a08afbfb8",
      title: "Ampersand Demo",
      startedAt: 1749543240000,
      endedAt: 1749543344000,
      durationMs: 104000,
      direction: "CONFERENCE",
      ownerProviderUserId: APRIL,
      ownerEmail: APRIL_EMAIL,
      url: "https://copilot.clari.com/call/31f12970-040d-4186-9b6f-ad0a08afbfb8",
      participants: [
        { name: "April", email: APRIL_EMAIL, isInternal: true, speakerId: "0", providerUserId: APRIL },
        { name: "Pat Buyer", email: "pat@acme.com", isInternal: false, speakerId: "1", providerUserId: null },
      ],
      transcript: [
        { speakerId: "0", startMs: 2350, endMs: 5100, text: "Thanks for joining, let's look at pricing." },
        { speakerId: "1", startMs: 5600, endMs: 7900, text: "We need a security review first." },
      ],
      summary: {
        brief: "Pricing walkthrough; the buyer asked for a security review before moving on.",
        keyPoints: ["Pricing: Volume tiers explained."],
      },
      actionItems: [{ text: "Send the security questionnaire", ownerSpeakerId: "0", ownerName: "April" }],
      crmRefs: [
        { system: "SALESFORCE", objectType: "Opportunity", objectId: "0065g00000XyZabAAB" },
        { system: "SALESFORCE", objectType: "Account", objectId: "0015g00000AbCdeAAB" },
        { system: "SALESFORCE", objectType: "Contact", objectId: "0035g00000QwErTAAB" },
      ],
      readiness: "READY",
      providerUpdatedAt: null,
    });
  });
});

describe("Clari Copilot mapping rules", () => {
  const crmTable: [string, Parameters<typeof mapClariCrmInfo>[0], ReturnType<typeof mapClariCrmInfo>][] = [
    [
      "source_crm upper case is Salesforce",
      { source_crm: "SALESFORCE", deal_id: "006A", account_id: "001A" },
      [
        { system: "SALESFORCE", objectType: "Opportunity", objectId: "006A" },
        { system: "SALESFORCE", objectType: "Account", objectId: "001A" },
      ],
    ],
    [
      "HubSpot: deal, company, contacts; numeric ids become strings",
      { source_crm: "HubSpot", deal_id: 9_876_543_210, account_id: "555", contact_ids: [101, "102"] },
      [
        { system: "HUBSPOT", objectType: "Deal", objectId: "9876543210" },
        { system: "HUBSPOT", objectType: "Company", objectId: "555" },
        { system: "HUBSPOT", objectType: "Contact", objectId: "101" },
        { system: "HUBSPOT", objectType: "Contact", objectId: "102" },
      ],
    ],
    [
      "no source_crm but an Opportunity id is Salesforce",
      { deal_id: "0065g00000XyZabAAB" },
      [{ system: "SALESFORCE", objectType: "Opportunity", objectId: "0065g00000XyZabAAB" }],
    ],
    [
      "an unknown CRM is OTHER",
      { source_crm: "pipedrive", deal_id: "42" },
      [{ system: "OTHER", objectType: "Deal", objectId: "42" }],
    ],
    [
      "empty and missing ids are dropped",
      { source_crm: "salesforce", deal_id: "", account_id: null, contact_ids: [] },
      [],
    ],
    ["no crm_info, no refs", null, []],
  ];
  for (const [rule, info, expected] of crmTable)
    it(`CRM ids: ${rule}`, () => expect(mapClariCrmInfo(info)).toEqual(expected));

  const directionTable: [string, string][] = [
    ["ZOOM", "CONFERENCE"],
    ["GOOGLE_MEET", "CONFERENCE"],
    ["MS_TEAMS", "CONFERENCE"],
    ["RECORDING", "UNKNOWN"],
    ["DIALER", "UNKNOWN"],
  ];
  for (const [type, direction] of directionTable)
    it(`direction: ${type} → ${direction}`, () => expect(clariDirection(type)).toBe(direction));

  const readinessTable: [string, boolean, boolean, string][] = [
    ["SCHEDULED", false, false, "PROCESSING"],
    ["INPROGRESS", false, false, "PROCESSING"],
    ["WAITING_IN_QUEUE", false, false, "PROCESSING"],
    ["PROCESSING", false, false, "PROCESSING"],
    ["SOMETHING_NEW", false, false, "PROCESSING"],
    ["NO_DATA_INCALL", false, false, "FAILED"],
    ["ERROR_IN_TRANSCRIBE", true, false, "FAILED"],
    ["BOTJOIN_DENIED", false, false, "FAILED"],
    ["PROCESSED", false, false, "TRANSCRIPT_PENDING"],
    ["PROCESSED", true, false, "TRANSCRIPT_PENDING"],
    ["PROCESSED", true, true, "READY"],
    ["POST_PROCESSING_DONE", false, false, "TRANSCRIPT_PENDING"],
    ["POST_PROCESSING_DONE", true, false, "READY"],
  ];
  for (const [status, hasDetails, hasSummary, readiness] of readinessTable)
    it(`readiness: ${status}${hasDetails ? " with details" : ""}${hasSummary ? " and summary" : ""} → ${readiness}`, () => {
      const details = hasDetails
        ? {
            id: "c",
            status,
            time: "2025-06-10T08:14:00.000Z",
            ...(hasSummary ? { summary: { full_summary: "x" } } : {}),
          }
        : null;
      expect(clariReadiness(status, details)).toBe(readiness);
    });

  it("personId 0 is a speaker id; a transcript speaker nobody carries still gets a participant", () => {
    const c = call({
      startMs: 0,
      joinedParticipants: [{ name: "Ada Admin" }],
      transcript: [
        { text: "a", start: 0, end: 1, personId: 0 },
        { text: "b", start: 1, end: 2, personId: 7 },
      ],
    });
    const record = mapClariCall(c, c, new Map([[c.users?.[0]?.userId ?? "", { name: "Ada Admin", email: null }]]));
    expect(record.participants.map((p) => [p.name, p.speakerId, p.isInternal])).toEqual([
      ["Ada Admin", "0", true],
      ["Pat Buyer", "1", false],
      [null, "7", false],
    ]);
    expect(new Set(record.transcript?.map((s) => s.speakerId))).toEqual(new Set(["0", "7"]));
  });

  it("an action item whose speaker matches nobody keeps the name and no speaker id", () => {
    const c = call({
      startMs: 0,
      summary: { full_summary: "s", key_action_items: [{ action_item: " Call back ", speaker_name: "Someone Else" }] },
    });
    expect(mapClariCall(c, c).actionItems).toEqual([
      { text: "Call back", ownerSpeakerId: null, ownerName: "Someone Else" },
    ]);
  });

  for (const spelling of ["upper", "lower"] as const)
    it(`source_crm spelled ${spelling} case by the simulator maps to the same Salesforce refs ([I] switch)`, async () => {
      const sim = await simulator({
        dataset: dataset([call({ startMs: Date.now() - 48 * HOUR })]),
        settings: { sourceCrmSpelling: spelling },
      });
      const [record] = (await clientFor(sim).listCallsPage(adaUser, { fromMs: 0, toMs: Date.now() }, null)).calls;
      expect(record?.crmRefs).toEqual([
        { system: "SALESFORCE", objectType: "Opportunity", objectId: "0065g00000AbCdEAA1" },
        { system: "SALESFORCE", objectType: "Account", objectId: "0015g00000XyZaBAA1" },
      ]);
    });
});
