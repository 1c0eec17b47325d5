/**
 * The Salesloft simulator's data: payloads exactly as Salesloft's endpoints return them (the
 * `data` member of each answer), so payloads recorded from a real account can be dropped in.
 * See FORMAT.md. The simulator derives lifecycle (transcript/AI availability) from these at
 * request time; the dataset holds each conversation's final state.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { oddRecords } from "../../providers/records.js";
import {
  accountSchema,
  callDataRecordSchema,
  extensiveConversationSchema,
  opportunitySchema,
  personSchema,
  sentenceSchema,
  teamSchema,
  userSchema,
} from "../../providers/salesloft/schemas.js";
import { conversation, pick, prng, type Scenario, variety } from "../scenario.js";

/** Raw JSON shapes (before the client's normalisation), as the endpoints send them. */
export type SalesloftTeamPayload = z.input<typeof teamSchema>;
export type SalesloftUserPayload = z.input<typeof userSchema>;
/** As `GET /v2/conversations/{id}/extensive` returns it; the list form is the same minus the extensive-only fields. */
export type SalesloftConversationPayload = z.input<typeof extensiveConversationSchema>;
export type SalesloftSentencePayload = z.input<typeof sentenceSchema>;
export type SalesloftOpportunityPayload = z.input<typeof opportunitySchema>;
export type SalesloftAccountPayload = z.input<typeof accountSchema>;
export type SalesloftPersonPayload = z.input<typeof personSchema>;
export type SalesloftCallDataRecordPayload = z.input<typeof callDataRecordSchema>;

export interface SalesloftDataset {
  /** `GET /v2/team` */
  team: SalesloftTeamPayload;
  /** `GET /v2/users` elements */
  users: SalesloftUserPayload[];
  /** `GET /v2/conversations/{id}/extensive` payloads */
  conversations: SalesloftConversationPayload[];
  /** transcription id → `GET /v2/transcriptions/{id}/sentences` elements */
  sentences: Record<string, SalesloftSentencePayload[]>;
  opportunities: SalesloftOpportunityPayload[];
  accounts: SalesloftAccountPayload[];
  people: SalesloftPersonPayload[];
  /** `GET /v2/call_data_records` elements (dialer conversations point here via `call_id`) */
  callDataRecords: SalesloftCallDataRecordPayload[];
}

const datasetFileSchema = z.object({
  team: z.unknown(),
  users: z.array(z.unknown()),
  conversations: z.array(z.unknown()),
  sentences: z.record(z.string(), z.array(z.unknown())).default({}),
  opportunities: z.array(z.unknown()).default([]),
  accounts: z.array(z.unknown()).default([]),
  people: z.array(z.unknown()).default([]),
  callDataRecords: z.array(z.unknown()).default([]),
});

function check<T>(schema: z.ZodType, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`Invalid Salesloft dataset at ${where}: ${parsed.error.message}`);
  // Keep the raw payload (the schemas normalise ids; the simulator must serve them as given).
  return value as T;
}

/**
 * Records are taken as they are — whatever a real account recorded — as long as each is a JSON
 * object: the client reads records one by one and skips (and counts) what it cannot map, so
 * the simulator must be able to serve such records. Only the team, which names the tenant, is
 * checked against the client's shape. `strictSalesloftDataset` lists what the client would skip.
 */
const record = z.looseObject({});
const lenient = <T>(value: unknown, where: string): T => check<T>(record, value, where);

/** Validates a dataset object (e.g. parsed JSON): a team of the client's shape, records as JSON objects. */
export function parseSalesloftDataset(raw: unknown): SalesloftDataset {
  const file = datasetFileSchema.parse(raw);
  return {
    team: check(teamSchema, file.team, "team"),
    users: file.users.map((u, i) => lenient(u, `users[${i}]`)),
    conversations: file.conversations.map((c, i) => lenient(c, `conversations[${i}]`)),
    sentences: Object.fromEntries(
      Object.entries(file.sentences).map(([id, list]) => [
        id,
        list.map((s, i) => lenient<SalesloftSentencePayload>(s, `sentences.${id}[${i}]`)),
      ]),
    ),
    opportunities: file.opportunities.map((o, i) => lenient(o, `opportunities[${i}]`)),
    accounts: file.accounts.map((a, i) => lenient(a, `accounts[${i}]`)),
    people: file.people.map((p, i) => lenient(p, `people[${i}]`)),
    callDataRecords: file.callDataRecords.map((r, i) => lenient(r, `callDataRecords[${i}]`)),
  };
}

/** Where a dataset's records do not have the shape the client maps (the client skips each of them). */
export function strictSalesloftDataset(dataset: SalesloftDataset): string[] {
  return [
    ...oddRecords(dataset.users, userSchema, "users"),
    ...oddRecords(dataset.conversations, extensiveConversationSchema, "conversations"),
    ...oddRecords(dataset.opportunities, opportunitySchema, "opportunities"),
    ...oddRecords(dataset.accounts, accountSchema, "accounts"),
    ...oddRecords(dataset.people, personSchema, "people"),
    ...oddRecords(dataset.callDataRecords, callDataRecordSchema, "callDataRecords"),
    ...Object.entries(dataset.sentences).flatMap(([id, list]) => oddRecords(list, sentenceSchema, `sentences.${id}`)),
  ];
}

export async function loadSalesloftDataset(path: string): Promise<SalesloftDataset> {
  return parseSalesloftDataset(JSON.parse(await readFile(path, "utf8")));
}

export interface SalesloftGenerateOptions {
  /** Unit of `started_recording_at`: Salesloft sends both [S]; "mixed" alternates per conversation. */
  startedRecordingAtUnit?: "s" | "ms" | "mixed";
  /** Share of conversations that came from the dialer (call_id + call data record). */
  dialerRatio?: number;
  /** Share of conversations whose sentences lack `order_number` (older data). */
  missingOrderNumberRatio?: number;
  /** Share of conversations with a junk invitee email ("n/a"). */
  junkEmailRatio?: number;
}

const API = "https://api.salesloft.com/v2";

/** ISO with microseconds, as Salesloft writes timestamps. */
export const salesloftTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

function uuid(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** N users × M conversations from a scenario, with transcripts, AI blocks and CRM-linked records. */
export function generateSalesloftDataset(scenario: Scenario, options: SalesloftGenerateOptions = {}): SalesloftDataset {
  const rand = prng(scenario.seed);
  const unit = options.startedRecordingAtUnit ?? "mixed";
  const dialerRatio = options.dialerRatio ?? 0.25;
  const missingOrderRatio = options.missingOrderNumberRatio ?? 0.1;
  const junkRatio = options.junkEmailRatio ?? 0.1;
  const teamId = 100_000 + (scenario.seed % 1000);
  const team: SalesloftTeamPayload = { id: teamId, name: scenario.companyName, _href: `${API}/team` };
  const created = salesloftTime(scenario.fromMs - 365 * 86_400_000);

  const users: SalesloftUserPayload[] = scenario.users.map((u, i) => ({
    id: 49_000 + i,
    guid: uuid(rand),
    created_at: created,
    updated_at: created,
    name: `${u.firstName} ${u.lastName}`,
    first_name: u.firstName,
    last_name: u.lastName,
    active: true,
    time_zone: "US/Eastern",
    email: u.email,
    crm_connected: true,
    team: { _href: `${API}/team`, id: teamId },
    role: { id: i === 0 ? "Admin" : "User" },
  }));

  const accounts: SalesloftAccountPayload[] = [];
  const opportunities: SalesloftOpportunityPayload[] = [];
  const people: SalesloftPersonPayload[] = [];
  scenario.deals.forEach((d, i) => {
    const accountId = 2_364_000 + i;
    accounts.push({
      id: accountId,
      name: d.accountName,
      domain: `${d.accountName.toLowerCase().replace(/[^a-z0-9]+/g, "")}.example`,
      crm_id: d.accountId,
      crm_object_type: d.crm === "HUBSPOT" ? "company" : "account",
      crm_url: d.crm === "SALESFORCE" ? `https://example.my.salesforce.com/${d.accountId}` : null,
      created_at: created,
      updated_at: created,
    });
    opportunities.push({
      id: 81_000 + i,
      name: `${d.accountName} — New Business`,
      crm_id: d.dealId,
      crm_type: d.crm.toLowerCase(),
      account_crm_id: d.accountId,
      account: { id: accountId, _href: `${API}/accounts/${accountId}` },
      stage_name: "Negotiation",
      amount: "25000.00",
      is_closed: false,
      is_won: false,
      created_at: created,
      updated_at: created,
    });
    people.push({
      id: 6_509_000 + i,
      crm_id: d.crm === "HUBSPOT" ? String(90_000 + i) : `0035g00000Pe${String(i).padStart(3, "0")}AA1`,
      crm_object_type: "contact",
      account: { id: accountId, _href: `${API}/accounts/${accountId}` },
      created_at: created,
      updated_at: created,
    });
    // Varieties (scenario.ts): people never synced to the CRM, accounts without their CRM key.
    if (variety(scenario, "salesloftPeopleWithoutCrmId") && i % 2 === 0)
      (people.at(-1) as { crm_id?: unknown }).crm_id = null;
    if (variety(scenario, "salesloftAccountsWithoutCrmKey") && i % 2 === 1) {
      const account = accounts.at(-1) as Record<string, unknown>;
      delete account.crm_id;
      delete account.crm_object_type;
      delete account.crm_url;
    }
  });
  const accountOnly = (j: number) => variety(scenario, "salesloftAccountsWithoutCrmKey") && j % 4 === 2;

  const conversations: SalesloftConversationPayload[] = [];
  const sentences: Record<string, SalesloftSentencePayload[]> = {};
  const callDataRecords: SalesloftCallDataRecordPayload[] = [];
  let cdrId = 7_700_000;

  for (const [ui, u] of scenario.users.entries()) {
    const user = users[ui] as SalesloftUserPayload;
    for (let j = 0; j < scenario.callsPerUser; j++) {
      const dealIndex = Math.floor(rand() * scenario.deals.length);
      const deal = scenario.deals[dealIndex];
      const linked = deal !== undefined && rand() >= scenario.noCrmRatio;
      const accountName = deal?.accountName ?? pick(rand, ["Stark", "Wayne", "Tyrell"]);
      const talk = conversation(rand, accountName, scenario.segmentsPerCall);
      const startMs = Math.floor(scenario.fromMs + rand() * (scenario.toMs - scenario.fromMs));
      const endMs = startMs + talk.durationMs;
      const createdMs = endMs + 60_000 + Math.floor(rand() * 240_000);
      const id = uuid(rand);
      const transcriptionId = uuid(rand);
      const dialer = rand() < dialerRatio;
      const useMs = unit === "ms" || (unit === "mixed" && rand() < 0.5);

      const host = { id: uuid(rand), email: u.email, full_name: `${u.firstName} ${u.lastName}`, is_internal: true };
      const externals = talk.externalPeople.map((p) => ({
        id: uuid(rand),
        email: p.email,
        full_name: p.name,
        is_internal: false,
      }));
      const attendees = dialer ? [host, externals[0] as (typeof externals)[number]] : [host, ...externals];
      const invitees = dialer ? [] : externals.map((p) => ({ email: p.email, full_name: p.full_name }));
      if (!dialer && rand() < junkRatio) invitees.push({ email: "n/a", full_name: "Front Desk" });

      let callId: string | null = null;
      if (dialer) {
        cdrId++;
        callId = String(cdrId);
        callDataRecords.push({
          id: cdrId,
          call_uuid: uuid(rand),
          call_type: "call",
          direction: rand() < 0.8 ? "outbound" : "inbound",
          status: "completed",
          duration: Math.round(talk.durationMs / 1000),
          from: "+15550100",
          to: "+15550199",
          started_at: salesloftTime(startMs),
          ended_at: salesloftTime(endMs),
          user: { id: user.id, _href: `${API}/users/${user.id}` },
          created_at: salesloftTime(startMs),
          updated_at: salesloftTime(endMs),
        });
      }

      const omitOrder = rand() < missingOrderRatio;
      sentences[transcriptionId] = talk.lines.map((line, k) => ({
        id: transcriptionId,
        start_time: line.startMs / 1000,
        end_time: line.endMs / 1000,
        ...(omitOrder ? {} : { order_number: k + 1 }),
        recording_attendee_id: (attendees[Math.min(line.speaker, attendees.length - 1)] ?? host).id,
        text: line.text,
        conversation: { id, _href: `${API}/conversations/${id}` },
      }));

      const aiAt = salesloftTime(createdMs + 10 * 60_000);
      const person = linked ? people[dealIndex] : undefined;
      const account = linked ? accounts[dealIndex] : undefined;
      // Every 4th linked conversation names only its account (no opportunity) under the variety.
      const opportunity = linked && !accountOnly(j) ? opportunities[dealIndex] : undefined;
      conversations.push({
        id,
        title: dialer ? `Call with ${externals[0]?.full_name ?? accountName}` : talk.title,
        duration: talk.durationMs,
        platform: dialer ? "dialer" : "zoom",
        media_type: dialer ? "audio" : "video",
        is_api: false,
        organization_id: uuid(rand),
        owner_id: user.guid,
        owner_email: u.email,
        user_guid: user.guid,
        started_recording_at: useMs ? startMs : Math.floor(startMs / 1000),
        event_start_date: dialer ? null : salesloftTime(startMs),
        event_end_date: dialer ? null : salesloftTime(endMs),
        language_code: "en-US",
        created_at: salesloftTime(createdMs),
        updated_at: aiAt,
        call_id: callId,
        account: account ? { id: String(account.id), _href: `${API}/accounts/${account.id}` } : null,
        person: person ? { id: String(person.id), _href: `${API}/people/${person.id}` } : null,
        opportunity: opportunity
          ? { id: String(opportunity.id), _href: `${API}/opportunities/${opportunity.id}` }
          : null,
        recording: { id: uuid(rand), _href: `${API}/conversations/${id}/recording` },
        transcription: { id: transcriptionId, _href: `${API}/transcriptions/${transcriptionId}` },
        transcription_sentences: { id: transcriptionId, _href: `${API}/transcriptions/${transcriptionId}/sentences` },
        transcription_artifact: { id: transcriptionId, _href: `${API}/transcriptions/${transcriptionId}/artifact` },
        summary: { id: uuid(rand), text: talk.brief, status: "completed", created_at: aiAt },
        action_items: {
          status: "completed",
          items: talk.actionItems.map((a) => ({
            id: uuid(rand),
            original_text: a.text,
            edited_text: null,
            created_at: aiAt,
            updated_at: aiAt,
          })),
        },
        key_moments: {
          status: "completed",
          items: talk.keyPoints.map((name) => ({ name, categories: [] })),
        },
        attendees,
        invitees,
        meddpicc: { id: uuid(rand), categories: [] },
      });
      // Varieties follow `j`, not the random stream, so the rest of a seed's data stays as it was.
      const made = conversations.at(-1) as Record<string, unknown>;
      if (variety(scenario, "salesloftUnmappableDetail") && j === 1)
        made.attendees = { host: host.email, count: attendees.length };
      if (variety(scenario, "salesloftUnreadableSentence") && j === 2 && sentences[transcriptionId]?.[1])
        (sentences[transcriptionId][1] as Record<string, unknown>).start_time = "00:00:07";
    }
  }
  conversations.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  return { team, users, conversations, sentences, opportunities, accounts, people, callDataRecords };
}
