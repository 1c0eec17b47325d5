import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type ConversationBundle,
  cleanEmail,
  epochToMs,
  mapConversation,
  mapCrmRefs,
  mapDirection,
  mapTranscript,
  mapUser,
} from "../../../src/providers/salesloft/mappers.js";
import {
  conversationSchema,
  errorBodySchema,
  extensiveConversationSchema,
  listEnvelope,
  opportunitySchema,
  sentenceSchema,
  singleEnvelope,
  tokenResponseSchema,
  userSchema,
} from "../../../src/providers/salesloft/schemas.js";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/salesloft/${name}`, import.meta.url), "utf8"));

const user = userSchema.parse(fixture("user.json"));
const extensive = singleEnvelope(extensiveConversationSchema).parse(fixture("conversation-extensive.json")).data;
const sentence = sentenceSchema.parse(fixture("transcription-sentence.json"));
const opportunity = opportunitySchema.parse(fixture("opportunity.json"));

const bundle = (over: Partial<ConversationBundle> = {}): ConversationBundle => ({
  conversation: extensive,
  extensive: true,
  sentences: [sentence],
  opportunity,
  account: null,
  person: null,
  callDataRecord: null,
  usersByEmail: new Map([["somebody@withampersand.com", mapUser(user)]]),
  ...over,
});

describe("documented Salesloft payloads", () => {
  it("every documented example parses with the client's schemas", () => {
    expect(listEnvelope(conversationSchema).parse(fixture("list-empty.json")).metadata?.paging?.next_page).toBeNull();
    expect(tokenResponseSchema.parse(fixture("token-response.json")).expires_in).toBe(7200);
    expect(errorBodySchema.parse(fixture("error-not-found.json"))).toEqual({ status: 404, error: "Not Found" });
    expect(errorBodySchema.parse(fixture("error-validation.json"))).toHaveProperty("errors.type");
  });

  it("a /v2/users element maps to a provider user keyed by guid", () => {
    expect(mapUser(user)).toEqual({
      providerUserId: "0863ed13-7120-479b-8650-206a3679e2fb",
      email: "somebody@withampersand.com",
      emailAliases: [],
      name: "Int User",
      active: true,
    });
  });

  it("the documented extensive conversation + sentence + opportunity map to this exact call record", () => {
    expect(mapConversation(bundle())).toEqual({
      providerCallId: "3f6e2a4c-8d1b-4f0e-9a77-1c2d3e4f5a6b",
      title: "Acme <> Us — pricing follow-up",
      startedAt: Date.UTC(2024, 5, 10, 6, 0, 0),
      endedAt: Date.UTC(2024, 5, 10, 6, 30, 0),
      durationMs: 1_834_000,
      direction: "CONFERENCE",
      ownerProviderUserId: "0863ed13-7120-479b-8650-206a3679e2fb",
      ownerEmail: "rep@ourco.com",
      url: "https://app.salesloft.com/app/conversations/3f6e2a4c-8d1b-4f0e-9a77-1c2d3e4f5a6b",
      participants: [
        {
          name: "Riley Rep",
          email: "rep@ourco.com",
          isInternal: true,
          speakerId: "e2f3a4b5-0000-4000-8000-0000000000aa",
          providerUserId: null,
        },
        {
          name: "Pat Buyer",
          email: "pat@acme.com",
          isInternal: false,
          speakerId: "e2f3a4b5-0000-4000-8000-0000000000bb",
          providerUserId: null,
        },
      ],
      transcript: [
        {
          speakerId: "e2f3a4b5-0000-4000-8000-0000000000bb",
          startMs: 12_480,
          endMs: 15_900,
          text: "We need to get this past security before Q3.",
        },
      ],
      summary: { brief: "Acme confirmed budget; security review is the blocker.", keyPoints: ["Pricing"] },
      actionItems: [{ text: "Send the security questionnaire to Pat", ownerSpeakerId: null, ownerName: null }],
      crmRefs: [{ system: "HUBSPOT", objectType: "Deal", objectId: "006i000001mnhpD" }],
      readiness: "READY",
      providerUpdatedAt: Date.parse("2024-06-10T07:02:44.500Z"),
    });
  });

  it("the web link follows the configured template", () => {
    const call = mapConversation(bundle(), { conversationUrlTemplate: "https://sl.example/c/{id}?tab=notes" });
    expect(call.url).toBe("https://sl.example/c/3f6e2a4c-8d1b-4f0e-9a77-1c2d3e4f5a6b?tab=notes");
  });
});

describe("Salesloft mapping rules", () => {
  it.each([
    [1_718_000_412, 1_718_000_412_000],
    [1_718_000_412_345, 1_718_000_412_345],
  ])("started_recording_at %i (s or ms) → %i ms", (value, ms) => {
    expect(epochToMs(value)).toBe(ms);
  });

  it("without calendar dates the start is started_recording_at (either unit) and the end start + duration", () => {
    const base = { ...extensive, event_start_date: null, event_end_date: null };
    for (const started of [1_718_000_412, 1_718_000_412_000]) {
      const call = mapConversation(bundle({ conversation: { ...base, started_recording_at: started } }));
      expect([call.startedAt, call.endedAt, call.durationMs]).toEqual([
        1_718_000_412_000,
        1_718_000_412_000 + 1_834_000,
        1_834_000,
      ]);
    }
  });

  it.each(["na", "n/a", "-", "none", "", "   ", null])("junk email %j is dropped", (email) => {
    expect(cleanEmail(email)).toBeNull();
  });

  it.each([
    [{ call_id: "77", platform: "dialer" }, { id: 77, direction: "outbound" }, "OUTBOUND"],
    [{ call_id: "77", platform: "dialer" }, { id: 77, direction: "inbound" }, "INBOUND"],
    [{ call_id: "77", platform: "dialer" }, null, "UNKNOWN"],
    [{ call_id: null, platform: "zoom", event_start_date: null }, null, "CONFERENCE"],
    [{ call_id: null, platform: null, event_start_date: "2024-06-10T06:00:00Z" }, null, "CONFERENCE"],
    [{ call_id: null, platform: "upload", event_start_date: null }, null, "UNKNOWN"],
  ] as const)("direction of %j with call record %j is %s", (fields, cdr, direction) => {
    expect(mapDirection({ ...extensive, ...fields }, cdr)).toBe(direction);
  });

  it("sentences are ordered by order_number, and by start time when older data lacks it", () => {
    const s = (start: number, order?: number) => ({
      start_time: start,
      end_time: start + 1,
      text: `t${start}`,
      ...(order ? { order_number: order } : {}),
    });
    expect(mapTranscript([s(5, 2), s(1, 1)]).map((x) => x.text)).toEqual(["t1", "t5"]);
    expect(mapTranscript([s(9), s(3), s(6)]).map((x) => x.text)).toEqual(["t3", "t6", "t9"]);
  });

  it("an edited action item wins over the original text", () => {
    const conversation = {
      ...extensive,
      action_items: { status: "completed", items: [{ original_text: "Send deck", edited_text: "Send the Q3 deck" }] },
    };
    expect(mapConversation(bundle({ conversation })).actionItems).toEqual([
      { text: "Send the Q3 deck", ownerSpeakerId: null, ownerName: null },
    ]);
  });

  it("CRM ids of opportunity, account and person are all kept, typed by CRM", () => {
    const refs = mapCrmRefs(
      bundle({
        opportunity: {
          id: 1,
          crm_id: "0065g00000AbCdEAA1",
          crm_type: "salesforce",
          account_crm_id: "0015g00000XyZaBAA1",
        },
        account: { id: 2, crm_id: "0015g00000XyZaBAA1", crm_object_type: "account" },
        person: { id: 3, crm_id: "00Q5g00000LeAdAAA1", crm_object_type: "lead" },
      }),
    );
    expect(refs).toEqual([
      { system: "SALESFORCE", objectType: "Opportunity", objectId: "0065g00000AbCdEAA1" },
      { system: "SALESFORCE", objectType: "Account", objectId: "0015g00000XyZaBAA1" },
      { system: "SALESFORCE", objectType: "Lead", objectId: "00Q5g00000LeAdAAA1" },
    ]);
    expect(
      mapCrmRefs(bundle({ opportunity: null, account: { id: 2, crm_id: "8812", crm_object_type: "company" } })),
    ).toEqual([{ system: "HUBSPOT", objectType: "Company", objectId: "8812" }]);
    expect(mapCrmRefs(bundle({ opportunity: { id: 1, crm_id: null } }))).toEqual([]);
  });
});
