/**
 * The Gong simulator's data: payloads exactly as Gong's endpoints return them, so recorded
 * responses from a real account can be dropped in (see FORMAT.md).
 *
 * - `workspaces`: the `workspaces` array of GET /v2/workspaces (the first one names the company)
 * - `users`: the `users` arrays of GET /v2/users, all pages concatenated
 * - `calls`: the `calls` arrays of POST /v2/calls/extensive asked with everything exposed
 *   (context Extended with both timings, parties, content, interaction.speakers)
 * - `callTranscripts`: the `callTranscripts` arrays of POST /v2/calls/transcript
 *
 * The simulator cuts each call down to what a request's contentSelector asks for, and hides
 * calls/transcripts/AI content until Gong would have produced them (see server.ts).
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import {
  type GongCallData,
  type GongCallTranscript,
  type GongUser,
  type GongWorkspace,
  gongCallData,
  gongCallTranscript,
  gongUser,
  gongWorkspace,
} from "../../providers/gong/schemas.js";
import { oddRecords } from "../../providers/records.js";
import { conversation, pick, privateCalls, prng, type Scenario, variety } from "../scenario.js";

export interface GongDataset {
  workspaces: GongWorkspace[];
  users: GongUser[];
  calls: GongCallData[];
  callTranscripts: GongCallTranscript[];
}

/**
 * What a dataset file must be: the four arrays, and a first workspace (the company id). Users,
 * calls and transcripts are taken as they are — whatever a real account recorded — because the
 * client tolerates odd records one by one (it skips what it cannot map and imports the rest);
 * `strictGongDataset` says which records the client would skip.
 */
export const gongDatasetSchema = z.object({
  workspaces: z.tuple([gongWorkspace], z.unknown()),
  users: z.array(z.looseObject({})),
  calls: z.array(z.looseObject({})),
  callTranscripts: z.array(z.looseObject({})),
});

export async function loadGongDataset(path: string): Promise<GongDataset> {
  const raw: unknown = JSON.parse(await readFile(path, "utf8"));
  return parseGongDataset(raw, path);
}

export function parseGongDataset(raw: unknown, name = "dataset"): GongDataset {
  const parsed = gongDatasetSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`Invalid Gong dataset ${name}: ${parsed.error.message}`);
  return parsed.data as unknown as GongDataset;
}

/** The records of a dataset that do not have the shape the client maps (it skips each of them). */
export function strictGongDataset(dataset: GongDataset): string[] {
  return [
    ...oddRecords(dataset.users, gongUser, "users"),
    ...oddRecords(dataset.calls, gongCallData, "calls"),
    ...oddRecords(dataset.callTranscripts, gongCallTranscript, "callTranscripts"),
  ];
}

/** Gong ids are numeric strings of up to 20 digits; these have 19. */
function idMaker(rand: () => number): () => string {
  const seen = new Set<string>();
  return () => {
    for (;;) {
      let id = String(1 + Math.floor(rand() * 8));
      for (let i = 0; i < 18; i++) id += String(Math.floor(rand() * 10));
      if (!seen.has(id)) {
        seen.add(id);
        return id;
      }
    }
  };
}

/** Gong writes instants with the company's offset, e.g. 2024-02-17T03:30:00-07:00. */
export function isoWithOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/**
 * `scenario.callsPerUser` calls hosted by every scenario user, spread uniformly over
 * [fromMs, toMs): parties (host, one or two buyers, sometimes a silent internal invitee),
 * CRM context from a scenario deal (Salesforce or HubSpot, sometimes with a second
 * TimeOfCall copy) except for about `noCrmRatio` of the calls, brief, key points, action
 * items, speaker talk times, and a transcript per call.
 */
export function generateGongDataset(scenario: Scenario, options: { utcOffsetMinutes?: number } = {}): GongDataset {
  const rand = prng(scenario.seed);
  const nextId = idMaker(rand);
  const offset = options.utcOffsetMinutes ?? -420;
  const workspaceId = nextId();
  const host = `us-${10_000 + Math.floor(rand() * 89_999)}`;
  const users: GongUser[] = scenario.users.map((u) => ({
    id: nextId(),
    emailAddress: u.email,
    created: isoWithOffset(scenario.fromMs - 400 * 86_400_000, offset),
    active: true,
    emailAliases: [],
    trustedEmailAddress: null,
    firstName: u.firstName,
    lastName: u.lastName,
    title: "Account Executive",
    phoneNumber: null,
    extension: null,
    personalMeetingUrls: [],
    settings: {
      webConferencesRecorded: true,
      preventWebConferenceRecording: false,
      telephonyCallsImported: false,
      emailsImported: false,
      preventEmailImport: false,
      nonRecordedMeetingsImported: false,
      gongConnectEnabled: false,
    },
    managerId: null,
    meetingConsentPageUrl: `https://${host}.join.gong.io/${scenario.companyName.toLowerCase().replace(/\W+/g, "-")}/${u.firstName.toLowerCase()}`,
    spokenLanguages: [{ language: "en-US", primary: true }],
  }));

  const calls: GongCallData[] = [];
  const callTranscripts: GongCallTranscript[] = [];
  const span = Math.max(1, scenario.toMs - scenario.fromMs);
  const isPrivate = privateCalls(scenario);
  for (const user of users) {
    for (let n = 0; n < scenario.callsPerUser; n++) {
      const callId = nextId();
      const started = Math.floor((scenario.fromMs + rand() * span) / 60_000) * 60_000;
      const deal = scenario.deals.length > 0 ? pick(rand, scenario.deals) : null;
      const withCrm = deal !== null && rand() >= scenario.noCrmRatio;
      const conv = conversation(rand, deal?.accountName ?? "Prospect", scenario.segmentsPerCall);
      const system = deal?.crm === "HUBSPOT" ? "HubSpot" : "Salesforce";
      const speakerIds = [nextId(), ...conv.externalPeople.map(() => nextId())];
      const durationS = Math.round(conv.durationMs / 1000);
      const contextObjects = (timing: string) =>
        deal
          ? [
              {
                objectType: "Opportunity",
                objectId: deal.dealId,
                fields: [
                  { name: "Name", value: `${deal.accountName} - New business` },
                  { name: "StageName", value: pick(rand, ["Discovery", "Proposal", "Negotiation"]) },
                ],
                timing,
              },
              {
                objectType: "Account",
                objectId: deal.accountId,
                fields: [{ name: "Name", value: deal.accountName }],
                timing,
              },
            ]
          : [];
      const bothTimings = rand() < 0.3;
      const hostName = `${user.firstName} ${user.lastName}`;
      const parties: GongCallData["parties"] = [
        {
          id: nextId(),
          emailAddress: user.emailAddress,
          name: hostName,
          title: user.title,
          userId: user.id,
          speakerId: speakerIds[0],
          context: [],
          affiliation: "Internal",
          methods: ["Invitee", "Attendee"],
        },
        ...conv.externalPeople.map((p, i) => ({
          id: nextId(),
          emailAddress: p.email,
          name: p.name,
          title: pick(rand, ["VP Sales", "Head of Enablement", "Sales Manager", "Procurement Lead"]),
          speakerId: speakerIds[i + 1],
          context:
            withCrm && system === "Salesforce"
              ? [
                  {
                    system,
                    objects: [
                      {
                        objectType: "Contact",
                        objectId: `0035g00000${nextId().slice(0, 8)}`,
                        fields: [],
                        timing: "Now",
                      },
                    ],
                  },
                ]
              : [],
          affiliation: "External",
          methods: ["Invitee", "Attendee"],
        })),
      ];
      const colleague = users.find((u) => u.id !== user.id);
      if (colleague && rand() < 0.25)
        parties.push({
          id: nextId(),
          emailAddress: colleague.emailAddress,
          name: `${colleague.firstName} ${colleague.lastName}`,
          title: colleague.title,
          userId: colleague.id,
          speakerId: null,
          context: [],
          affiliation: "Internal",
          methods: ["Invitee"],
        });
      const talk = new Map<number, number>();
      for (const line of conv.lines) talk.set(line.speaker, (talk.get(line.speaker) ?? 0) + line.endMs - line.startMs);
      const startedIso = isoWithOffset(started, offset);
      const call: GongCallData = {
        metaData: {
          id: callId,
          url: `https://${host}.app.gong.io/call?id=${callId}`,
          title: conv.title,
          scheduled: startedIso,
          started: startedIso,
          duration: durationS,
          primaryUserId: user.id,
          direction: rand() < 0.8 ? "Conference" : "Outbound",
          system: "Zoom",
          scope: "External",
          media: "Video",
          language: "eng",
          workspaceId,
          sdrDisposition: null,
          clientUniqueId: null,
          customData: null,
          purpose: null,
          meetingUrl: `https://zoom.us/j/${callId.slice(0, 10)}`,
          isPrivate: isPrivate(),
          calendarEventId: null,
        },
        context: withCrm
          ? [{ system, objects: [...contextObjects("Now"), ...(bothTimings ? contextObjects("TimeOfCall") : [])] }]
          : [],
        parties,
        content: {
          topics: [{ name: conv.title.split(" — ")[1] ?? "Discovery", duration: Math.round(durationS / 3) }],
          brief: conv.brief,
          keyPoints: conv.keyPoints.map((text) => ({ text })),
          pointsOfInterest: {
            actionItems: conv.actionItems.map((a, i) => {
              const at = Math.round((durationS * (i + 1)) / (conv.actionItems.length + 1));
              return {
                snippetStartTime: at,
                snippetEndTime: at + 6,
                speakerID: speakerIds[Math.min(a.speaker, speakerIds.length - 1)],
                snippet: a.text,
              };
            }),
          },
        },
        interaction: {
          speakers: [...talk.entries()].map(([speaker, ms]) => ({
            id: speakerIds[speaker] as string,
            ...(speaker === 0 ? { userId: user.id } : {}),
            talkTime: Math.round(ms / 100) / 10,
          })),
        },
      };
      const k = calls.length;
      applyVarieties(scenario, call, { k, deal, user, nextId, system: withCrm ? system : null });
      calls.push(call);
      if (variety(scenario, "gongUnmappableCall") && n === 0) {
        // What a real account can send: a field of the wrong type. The client skips it with the reason.
        const odd: GongCallData = structuredClone(call);
        odd.metaData.id = nextId();
        odd.metaData.duration = "forty minutes" as unknown as number;
        calls.push(odd);
      }
      const topic = variety(scenario, "gongTranscriptTopics") ? (conv.title.split(" — ")[1] ?? "Discovery") : null;
      const transcript: GongCallTranscript["transcript"] = conv.lines.map((line) => ({
        speakerId: speakerIds[line.speaker],
        topic,
        sentences: splitSentences(line.text, line.startMs, line.endMs),
      }));
      // Per user: the 2nd call's transcript has one monologue whose sentences are not a list, the
      // 3rd call's transcript is not a list at all.
      if (variety(scenario, "gongUnreadableTranscripts") && n === 1 && transcript[0])
        transcript[0] = { ...transcript[0], sentences: "see recording" as unknown as [] };
      callTranscripts.push(
        variety(scenario, "gongUnreadableTranscripts") && n === 2
          ? { callId, transcript: "not available" as unknown as [] }
          : { callId, transcript },
      );
    }
  }
  return {
    workspaces: [{ id: workspaceId, name: scenario.companyName, description: "The built-in workspace" }],
    users,
    calls,
    callTranscripts,
  };
}

/**
 * The scenario's Gong varieties (scenario.ts), applied to the k-th generated call. Choices
 * follow `k`, not the seed's random stream, so switching one on leaves the rest of the data as it was.
 */
function applyVarieties(
  scenario: Scenario,
  call: GongCallData,
  ctx: {
    k: number;
    deal: Scenario["deals"][number] | null;
    user: GongUser;
    nextId: () => string;
    system: string | null;
  },
): void {
  const { k, deal, user, nextId } = ctx;
  const parties = call.parties ?? [];
  if (variety(scenario, "gongDirections") && k % 5 === 1) call.metaData.direction = "Inbound";
  if (variety(scenario, "gongDirections") && k % 5 === 2) call.metaData.direction = "Unknown";
  if (variety(scenario, "gongUnknownParties") && k % 3 === 0)
    parties.push(
      {
        id: nextId(),
        emailAddress: null,
        name: "+1 415-555-0123",
        phoneNumber: "+14155550123",
        speakerId: null,
        affiliation: "Unknown",
        methods: ["Attendee"],
        context: [],
      },
      {
        id: nextId(),
        emailAddress: "guest@partner.example",
        name: "Partner Guest",
        speakerId: null,
        affiliation: "Unknown",
        methods: ["Invitee"],
        context: [],
      },
    );
  if (variety(scenario, "gongPartyContexts") && ctx.system === "Salesforce") {
    const external = parties.find((p) => p.affiliation === "External");
    const contact = external?.context?.[0]?.objects?.[0];
    if (contact && k % 2 === 0) {
      contact.objectType = "Lead";
      contact.objectId = `00Q5g00000${nextId().slice(0, 8)}`;
    }
    const host = parties.find((p) => p.userId === user.id);
    if (host)
      host.context = [
        {
          system: "Salesforce",
          objects: [{ objectType: "User", objectId: `0055g00000${user.id.slice(0, 8)}`, fields: [], timing: "Now" }],
        },
      ];
  }
  if (variety(scenario, "gongHubspotContexts") && deal && ctx.system) {
    const objects = call.context?.[0]?.objects ?? [];
    if (ctx.system === "HubSpot")
      for (const o of objects) o.objectType = o.objectType === "Opportunity" ? "Deal" : "Company";
    // A call whose CRM context names a second deal of the same CRM (it appears on both).
    const other = scenario.deals.find((d) => d.crm === deal.crm && d.dealId !== deal.dealId);
    if (other && k % 4 === 0)
      objects.push({
        objectType: ctx.system === "HubSpot" ? "Deal" : "Opportunity",
        objectId: other.dealId,
        fields: [{ name: "Name", value: `${other.accountName} - Expansion` }],
        timing: "Now",
      });
  }
  if (variety(scenario, "gongNoSpeakers") && k % 4 === 3) call.interaction = {};
  if (variety(scenario, "gongSparseMetaData") && k % 6 === 4) {
    // Only what Gong always sends; no url, title, duration, scheduled, system, scope, media, language…
    const { id, started, primaryUserId } = call.metaData;
    call.metaData = { id, started, primaryUserId };
  }
  if (variety(scenario, "gongSparseMetaData") && k % 6 === 5) {
    // No `started`: callsync takes the scheduled time instead.
    const { started: _started, ...rest } = call.metaData;
    call.metaData = rest;
  }
  call.parties = parties;
}

/** Splits a line into sentences, sharing its time span by length (ms, integers). */
function splitSentences(text: string, startMs: number, endMs: number) {
  const parts = text.split(/(?<=[.?!])\s+/).filter((s) => s.length > 0);
  const total = parts.reduce((n, s) => n + s.length, 0);
  let t = startMs;
  return parts.map((s, i) => {
    const end = i === parts.length - 1 ? endMs : t + Math.round(((endMs - startMs) * s.length) / total);
    const sentence = { start: t, end, text: s };
    t = end;
    return sentence;
  });
}
