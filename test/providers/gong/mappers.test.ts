import { describe, expect, it } from "vitest";
import { mapCall, mapDirection, mapUser, transcriptCallId } from "../../../src/providers/gong/mappers.js";
import {
  type GongCallData,
  gongCallData,
  gongTokenResponse,
  gongTranscriptsResponse,
  gongUsersResponse,
  gongWorkspacesResponse,
} from "../../../src/providers/gong/schemas.js";
import type { CallRecord } from "../../../src/providers/types.js";
import { fixture } from "./support.js";

const call = () => gongCallData.parse(fixture("extensive-call.json"));
const transcripts = () => gongTranscriptsResponse.parse(fixture("transcript-response.json"));

const STARTED = Date.UTC(2024, 1, 17, 10, 30, 0); // 2024-02-17T03:30:00-07:00

const EXPECTED_READY: CallRecord = {
  providerCallId: "4570250816631531513",
  title: "Discuss Use Cases",
  startedAt: STARTED,
  endedAt: STARTED + 147_000,
  durationMs: 147_000,
  direction: "OUTBOUND",
  ownerProviderUserId: "1309263961237846110",
  ownerEmail: "internal.attendee@example.com",
  url: "https://us-49467.app.gong.io/call?id=4570250816631531513",
  participants: [
    {
      name: "Internal Attendee",
      email: "internal.attendee@example.com",
      isInternal: true,
      speakerId: "6432345678555530067",
      providerUserId: "1309263961237846110",
    },
    {
      name: "Pat Buyer",
      email: "buyer@acme.com",
      isInternal: false,
      speakerId: "1733377625204635858",
      providerUserId: null,
    },
  ],
  transcript: [
    {
      speakerId: "6432345678555530067",
      startMs: 460_230,
      endMs: 462_343,
      text: "No wait, I think we should check that out first.",
    },
  ],
  summary: {
    brief: "Acme wants to expand to two more teams; pricing and security review are the open points.",
    keyPoints: ["Expansion to two teams planned for Q3", "Security review required"],
  },
  actionItems: [
    {
      text: "I'll send you the security questionnaire by Friday.",
      ownerSpeakerId: "6432345678555530067",
      ownerName: "Internal Attendee",
    },
  ],
  crmRefs: [
    { system: "SALESFORCE", objectType: "Opportunity", objectId: "0065g00000XyZabAAB" },
    { system: "SALESFORCE", objectType: "Account", objectId: "0015g00000AbCdeAAB" },
    { system: "SALESFORCE", objectType: "Contact", objectId: "0035g00000QwErTAAB" },
  ],
  readiness: "READY",
  providerUpdatedAt: null,
};

describe("Gong documented payloads → callsync records", () => {
  it("the /v2/calls/extensive example with its transcript maps to a READY call", () => {
    const [t] = transcripts().callTranscripts;
    expect(mapCall(call(), t ?? null)).toEqual(EXPECTED_READY);
  });

  it("the same call before its transcript exists is TRANSCRIPT_PENDING; what Gong already gave is kept", () => {
    expect(mapCall(call(), null)).toEqual({ ...EXPECTED_READY, transcript: null, readiness: "TRANSCRIPT_PENDING" });
  });

  it("the owner's email comes from the listed user when given", () => {
    const owner = {
      providerUserId: "1309263961237846110",
      email: "owner@example.com",
      emailAliases: [],
      name: "Owner",
      active: true,
    };
    expect(mapCall(call(), null, { owner }).ownerEmail).toBe("owner@example.com");
  });

  it("the /v2/users example maps to a provider user", () => {
    const res = gongUsersResponse.parse(fixture("users-response.json"));
    expect(res.users.map(mapUser)).toEqual([
      {
        providerUserId: "413440499764841252",
        email: "robin@nango.dev",
        emailAliases: [],
        name: "Robin Guldener",
        active: true,
      },
    ]);
  });

  it("the workspaces and token examples parse", () => {
    expect(gongWorkspacesResponse.parse(fixture("workspaces-response.json")).workspaces[0]?.id).toBe(
      "7273476131570014205",
    );
    expect(gongTokenResponse.parse(fixture("token-response.json")).api_base_url_for_customer).toBe(
      "https://company-17.api.gong.io",
    );
  });

  it("the transcript example's call id is read from callId, or from callid as one recording spells it", () => {
    const [t] = transcripts().callTranscripts;
    expect(transcriptCallId(t!)).toBe("7782342274025937895");
    expect(transcriptCallId({ callid: "42", transcript: [] })).toBe("42");
  });
});

describe("Gong mapping rules", () => {
  const withContext = (context: GongCallData["context"]): GongCallData => ({ ...call(), context, parties: [] });

  it.each([
    ["Opportunity", "Account"],
    ["Deal", "Company"],
    ["deal", "company"],
  ])("HubSpot objects spelled %s/%s map to Deal/Company", (deal, company) => {
    const record = mapCall(
      withContext([
        {
          system: "HubSpot",
          objects: [
            { objectType: deal, objectId: "9876543210", fields: [], timing: "Now" },
            { objectType: company, objectId: "555", fields: [], timing: "Now" },
          ],
        },
      ]),
      null,
    );
    expect(record.crmRefs).toEqual([
      { system: "HUBSPOT", objectType: "Deal", objectId: "9876543210" },
      { system: "HUBSPOT", objectType: "Company", objectId: "555" },
    ]);
  });

  it("the same object under both timings (Now, TimeOfCall) is one CRM ref; other systems are OTHER", () => {
    const record = mapCall(
      withContext([
        {
          system: "Salesforce",
          objects: [
            { objectType: "Opportunity", objectId: "006A", timing: "Now" },
            { objectType: "Opportunity", objectId: "006A", timing: "TimeOfCall" },
            { objectType: "Opportunity", objectId: "006B", timing: "TimeOfCall" },
          ],
        },
        { system: "MicrosoftDynamic", objects: [{ objectType: "Opportunity", objectId: "d-1" }] },
      ]),
      null,
    );
    expect(record.crmRefs).toEqual([
      { system: "SALESFORCE", objectType: "Opportunity", objectId: "006A" },
      { system: "SALESFORCE", objectType: "Opportunity", objectId: "006B" },
      { system: "OTHER", objectType: "Opportunity", objectId: "d-1" },
    ]);
  });

  it("a call with no CRM context has no CRM refs", () => {
    expect(mapCall(withContext(undefined), null).crmRefs).toEqual([]);
  });

  it.each([
    ["Inbound", "INBOUND"],
    ["Outbound", "OUTBOUND"],
    ["Conference", "CONFERENCE"],
    ["Unknown", "UNKNOWN"],
    ["Something new", "UNKNOWN"],
    [null, "UNKNOWN"],
  ] as const)("direction %s → %s", (direction, expected) => {
    expect(mapDirection(direction)).toBe(expected);
  });

  it("a party without affiliation but with a Gong user id is internal; a missing email is null", () => {
    const c = call();
    c.parties = [{ id: "1", name: "Phone caller", affiliation: "Unknown", userId: "77", speakerId: null }];
    expect(mapCall(c, null).participants).toEqual([
      { name: "Phone caller", email: null, isInternal: true, speakerId: null, providerUserId: "77" },
    ]);
  });

  it("a transcript speaker missing from the parties still becomes a participant, internal when interaction.speakers names a user", () => {
    const c = call();
    const record = mapCall(c, {
      callId: c.metaData.id,
      transcript: [
        { speakerId: "999", sentences: [{ start: 0, end: 1000, text: "Hi." }] },
        { speakerId: "6432345678555530067", sentences: [{ start: 1000, end: 2000, text: "Hello." }] },
      ],
    });
    expect(record.participants.at(-1)).toEqual({
      name: null,
      email: null,
      isInternal: false,
      speakerId: "999",
      providerUserId: null,
    });
    c.interaction = { speakers: [{ id: "999", userId: "42", talkTime: 1 }] };
    expect(
      mapCall(c, {
        callId: "x",
        transcript: [{ speakerId: "999", sentences: [{ start: 0, end: 1, text: "a" }] }],
      }).participants.at(-1),
    ).toEqual({ name: null, email: null, isInternal: true, speakerId: "999", providerUserId: "42" });
  });

  it("a monologue is one segment: its sentences joined, from the first start to the last end; segments ordered by time", () => {
    const record = mapCall(call(), {
      callId: "x",
      transcript: [
        {
          speakerId: "b",
          sentences: [
            { start: 5000, end: 6000, text: "Later." },
            { start: 6000, end: 7500, text: "Still me." },
          ],
        },
        { speakerId: "a", sentences: [{ start: 0, end: 4000, text: " First. " }] },
        { speakerId: "c", sentences: [] },
      ],
    });
    expect(record.transcript).toEqual([
      { speakerId: "a", startMs: 0, endMs: 4000, text: "First." },
      { speakerId: "b", startMs: 5000, endMs: 7500, text: "Later. Still me." },
    ]);
  });

  it("without Gong's AI content: no summary; action items are [] once the transcript is in, null before", () => {
    const c = call();
    c.content = { topics: [] };
    expect(mapCall(c, { callId: "x", transcript: [] })).toMatchObject({
      summary: null,
      actionItems: [],
      transcript: [],
      readiness: "READY",
    });
    expect(mapCall(c, null)).toMatchObject({ summary: null, actionItems: null, readiness: "TRANSCRIPT_PENDING" });
  });

  it("key points without a brief still make a summary", () => {
    const c = call();
    c.content = { keyPoints: [{ text: "Budget approved" }] };
    expect(mapCall(c, null).summary).toEqual({ brief: null, keyPoints: ["Budget approved"] });
  });

  it("an action item whose speaker is unknown keeps its text and has no owner", () => {
    const c = call();
    c.content = { pointsOfInterest: { actionItems: [{ snippet: "Send the deck", speakerID: null }] } };
    expect(mapCall(c, null).actionItems).toEqual([{ text: "Send the deck", ownerSpeakerId: null, ownerName: null }]);
  });

  it("a missing or unreadable start time falls back to the scheduled time; with neither the call is skipped (never a NaN record)", () => {
    const raw = fixture<{ metaData: Record<string, unknown> }>("extensive-call.json");
    raw.metaData.started = "yesterday";
    raw.metaData.scheduled = "2018-02-18T02:00:00-08:00";
    expect(mapCall(gongCallData.parse(raw), null).startedAt).toBe(Date.parse("2018-02-18T10:00:00Z"));
    delete raw.metaData.started;
    expect(mapCall(gongCallData.parse(raw), null).startedAt).toBe(Date.parse("2018-02-18T10:00:00Z"));
    delete raw.metaData.scheduled;
    expect(() => mapCall(gongCallData.parse(raw), null)).toThrow(
      expect.objectContaining({ name: "RecordSkip", reasonCode: "MISSING_FIELD" }),
    );
    raw.metaData.started = "yesterday";
    expect(() => mapCall(gongCallData.parse(raw), null)).toThrow(
      expect.objectContaining({ name: "RecordSkip", reasonCode: "UNREADABLE" }),
    );
  });

  it("a user without emailAddress is matched by Gong's trustedEmailAddress", () => {
    const [user] = gongUsersResponse.parse(fixture("users-response.json")).users;
    expect(mapUser({ ...user!, emailAddress: null, trustedEmailAddress: "trusted@example.com" }).email).toBe(
      "trusted@example.com",
    );
    expect(mapUser({ ...user!, trustedEmailAddress: "trusted@example.com" }).email).toBe(user!.emailAddress);
  });

  it("a call without duration has no end", () => {
    const c = call();
    c.metaData.duration = null;
    expect(mapCall(c, null)).toMatchObject({ durationMs: null, endedAt: null, startedAt: STARTED });
  });
});
