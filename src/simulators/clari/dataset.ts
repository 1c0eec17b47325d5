/**
 * The Clari Copilot simulator's data, in Clari's own response shapes (see FORMAT.md):
 * `users` exactly as `GET /users` returns them, `calls` exactly as `GET /call-details` returns
 * its `call` object once processing is complete (list fields + transcript + summary). The
 * simulator derives `GET /calls` entries from them (dropping the details-only fields) and, with
 * availability delays on, the in-between states of recent calls.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ClariCallDetailsSchema, ClariUserSchema } from "../../providers/clari/schemas.js";
import { oddRecords } from "../../providers/records.js";
import { conversation, pick, privateCalls, prng, type Scenario, variety } from "../scenario.js";

/** The shapes the client maps; a dataset record that does not fit is served anyway and skipped by the client. */
export const ClariDatasetSchema = z.object({
  users: z.array(ClariUserSchema),
  calls: z.array(ClariCallDetailsSchema),
});
export type ClariDataset = z.infer<typeof ClariDatasetSchema>;
export type ClariDatasetCall = ClariDataset["calls"][number];
export type ClariDatasetUser = ClariDataset["users"][number];

/**
 * What a dataset file must be: `users` and `calls` arrays of JSON objects, taken as they are —
 * whatever a real account recorded — because the client reads records one by one and skips
 * (and counts) what it cannot map. `strictClariDataset` lists those records.
 */
const ClariDatasetFileSchema = z.object({
  users: z.array(z.looseObject({})),
  calls: z.array(z.looseObject({})),
});

/** Reads a dataset file; throws with the first problems when it is not two arrays of objects. */
export function loadClariDataset(path: string): ClariDataset {
  const raw: unknown = JSON.parse(readFileSync(path, "utf8"));
  const parsed = ClariDatasetFileSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path} is not a Clari Copilot dataset: ${z.prettifyError(parsed.error)}`);
  return parsed.data as unknown as ClariDataset;
}

/** The records of a dataset that do not have the shape the client maps (it skips each of them). */
export function strictClariDataset(dataset: ClariDataset): string[] {
  return [
    ...oddRecords(dataset.users, ClariUserSchema, "users"),
    ...oddRecords(dataset.calls, ClariCallDetailsSchema, "calls"),
  ];
}

const uuid = (rand: () => number): string => {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(rand, ["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`;
};

const MEETING_TYPES = ["ZOOM", "GOOGLE_MEET", "MS_TEAMS"] as const;
const FAILED = ["NO_DATA_INCALL", "NOBODY_JOINED_CALL", "UNABLE_TO_JOIN"] as const;
const TOPIC_NAMES = ["Current process", "Security and legal", "Expansion plan", "Next steps"];
const PROSPECTS = ["Northwind", "Contoso", "Fabrikam"];

const sfContact = (rand: () => number) =>
  `0035g00000${Array.from({ length: 8 }, () => pick(rand, [..."ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"])).join("")}`;

export interface ClariGenerateOptions {
  /** Share of calls that failed for good (terminal status, no transcript). Default 0.05. */
  failedRatio?: number;
  /** Share of dialer calls. Default 0.15. */
  dialerRatio?: number;
  /** Share of calls with a second Copilot user on them. Default 0.2. */
  colleagueRatio?: number;
}

/**
 * Every scenario user becomes a Copilot user (including the one no workspace user matches) with
 * `callsPerUser` calls organised by them; most calls carry a deal's CRM ids, `noCrmRatio` none.
 */
export function generateClariDataset(scenario: Scenario, options: ClariGenerateOptions = {}): ClariDataset {
  const rand = prng(scenario.seed);
  const users: ClariDatasetUser[] = scenario.users.map((u, i) => ({
    id: uuid(rand),
    email: u.email,
    name: `${u.firstName} ${u.lastName}`,
    role: i === 0 ? "MANAGER" : "REP",
    is_recording: true,
  }));
  const calls: ClariDatasetCall[] = [];
  const span = Math.max(1, scenario.toMs - scenario.fromMs);
  const isPrivate = privateCalls(scenario);
  for (const [ui, host] of users.entries()) {
    for (let n = 0; n < scenario.callsPerUser; n++) {
      const id = uuid(rand);
      // Meetings start on the quarter hour, so one user's calls can share a start instant.
      const start = Math.floor((scenario.fromMs + rand() * span) / 900_000) * 900_000;
      const typeRoll = rand();
      const dialer = typeRoll < (options.dialerRatio ?? 0.15);
      const type = dialer ? "DIALER" : typeRoll > 0.95 ? "RECORDING" : pick(rand, MEETING_TYPES);
      const deal = rand() < scenario.noCrmRatio || scenario.deals.length === 0 ? null : pick(rand, scenario.deals);
      const conv = conversation(rand, deal?.accountName ?? pick(rand, PROSPECTS), scenario.segmentsPerCall);
      const failed = rand() < (options.failedRatio ?? 0.05);
      const others = users.filter((_, j) => j !== ui);
      const colleague = others.length > 0 && rand() < (options.colleagueRatio ?? 0.2) ? pick(rand, others) : null;
      const externals = dialer ? conv.externalPeople.slice(0, 1) : conv.externalPeople;
      const colleagueId = externals.length + 1;
      const durationS = failed ? 0 : Math.round(conv.durationMs / 1000);
      const end = start + durationS * 1000;
      const personOf = (speaker: number, line: number) =>
        speaker === 0 ? (colleague && line % 4 === 2 ? colleagueId : 0) : Math.min(speaker, externals.length);
      const hostName = host.name ?? host.email ?? "Host";
      calls.push({
        id,
        source_id: dialer ? `dialer-${id.slice(0, 8)}` : `meeting-${id.slice(0, 8)}`,
        title: dialer ? `Call with ${externals[0]?.name ?? "prospect"}` : conv.title,
        users: [
          { userId: host.id, userEmail: host.email, isOrganizer: true, personId: 0 },
          ...(colleague
            ? [{ userId: colleague.id, userEmail: colleague.email, isOrganizer: false, personId: colleagueId }]
            : []),
        ],
        externalParticipants: externals.map((p, i) => ({
          name: p.name,
          email: p.email,
          phone: dialer ? `+1415555${String(1000 + Math.floor(rand() * 8999))}` : null,
          personId: i + 1,
        })),
        joinedParticipants: failed ? [] : externals.map((p, i) => ({ name: p.name, email: p.email, personId: i + 1 })),
        status: failed ? pick(rand, FAILED) : "POST_PROCESSING_DONE",
        bot_not_join_reason: [],
        type,
        time: new Date(start).toISOString(),
        last_modified_time: new Date(end + (dialer ? 80 : 40) * 60_000).toISOString(),
        audio_url: null,
        video_url: null,
        disposition: dialer ? "CONNECTED" : "UNKNOWN_CALL_DISPOSITION",
        ...(deal
          ? {
              deal_name: `${deal.accountName} — New business`,
              account_name: deal.accountName,
              crm_info: {
                source_crm: deal.crm.toLowerCase(),
                deal_id: deal.dealId,
                account_id: deal.accountId,
                contact_ids: deal.crm === "SALESFORCE" ? [sfContact(rand)] : [String(Math.floor(rand() * 1e9))],
              },
            }
          : {}),
        metrics: {
          call_duration: durationS,
          talk_listen_ratio: failed ? 0 : Math.round(rand() * 100) / 100,
          num_questions_asked: failed ? 0 : Math.floor(rand() * 8),
        },
        call_review_page_url: `https://copilot.clari.com/call/${id}`,
        // The private flag's name is not documented [I]; the server shows or drops it (settings.privateFlag).
        is_private: isPrivate(),
        transcript: failed
          ? []
          : conv.lines.map((l, i) => ({
              text: l.text,
              start: l.startMs / 1000,
              end: l.endMs / 1000,
              personId: personOf(l.speaker, i),
              annotations: [],
            })),
        ...(failed
          ? {}
          : {
              summary: {
                full_summary: conv.brief,
                topics_discussed: conv.keyPoints.map((k, i) => ({
                  name: TOPIC_NAMES[i] ?? `Topic ${i + 1}`,
                  summary: k,
                  start_timestamp: String(i * 60),
                  end_timestamp: String(i * 60 + 55),
                })),
                key_action_items: conv.actionItems.map((a, i) => ({
                  action_item: a.text,
                  speaker_name: a.speaker === 0 ? hostName : (externals[0]?.name ?? null),
                  start_timestamp: String(durationS - 60 + i * 5),
                  end_timestamp: String(durationS - 55 + i * 5),
                })),
              },
              competitor_sentiments: [],
              deal_stage_live: deal ? "Discovery" : null,
            }),
      });
    }
  }
  for (const [k, call] of calls.entries()) applyVarieties(scenario, call, k);
  for (const host of users)
    unreadableDetails(
      scenario,
      calls.filter((c) => c.users?.[0]?.userId === host.id),
    );
  calls.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.id.localeCompare(b.id));
  return { users, calls };
}

/**
 * The scenario's Clari Copilot varieties (scenario.ts), applied to the k-th generated call.
 * Choices follow `k`, not the seed's random stream, so the rest of the data stays as it was.
 */
function applyVarieties(scenario: Scenario, call: ClariDatasetCall, k: number): void {
  if (variety(scenario, "clariNoOrganizer") && k % 3 === 0)
    // No isOrganizer on anyone, and no email on the call's users: the owner is the call's first
    // Copilot user, named and mailed from the workspace's users list.
    call.users = (call.users ?? []).map(({ isOrganizer: _o, userEmail: _e, ...u }) => u);
  if (variety(scenario, "clariNameOnlyParticipants") && k % 2 === 0)
    call.joinedParticipants = [...(call.joinedParticipants ?? []), { name: "Jordan from Procurement" }];
  if (variety(scenario, "clariFailedWithParticipants") && k % 6 === 5) {
    // Processing failed for good, yet Clari still lists who was invited and who joined.
    call.status = "ERROR_IN_PROCESSING";
    call.transcript = [];
    delete call.summary;
    if ((call.joinedParticipants ?? []).length === 0)
      call.joinedParticipants = (call.externalParticipants ?? []).map(({ name, email, personId }) => ({
        name,
        email,
        personId,
      }));
  }
  if (variety(scenario, "clariExtraMetrics"))
    call.metrics = {
      ...call.metrics,
      longest_monologue_secs: 95,
      patience: 0.8,
      interactivity: 3.2,
      filler_words: { um: 4, like: 2 },
      sentiment: [{ speaker: 0, score: 0.6 }],
    };
}

/**
 * The unreadable-detail varieties on one host's finished calls, in generation order: the 1st
 * has a `summary` that is not an object (its details cannot be read), the 2nd a transcript
 * segment whose `start` is a string, the 3rd a `transcript` that is not a list.
 */
function unreadableDetails(scenario: Scenario, own: ClariDatasetCall[]): void {
  const done = own.filter((c) => c.status === "POST_PROCESSING_DONE" && (c.transcript?.length ?? 0) > 1);
  const odd = (call: ClariDatasetCall | undefined) => call as Record<string, unknown> | undefined;
  if (variety(scenario, "clariUnmappableDetail")) {
    const call = odd(done[0]);
    if (call) call.summary = "Call summary is being generated";
  }
  if (variety(scenario, "clariUnreadableTranscripts")) {
    const segment = odd(done[1])?.transcript as Record<string, unknown>[] | undefined;
    if (segment?.[1]) segment[1].start = "00:00:12";
    const whole = odd(done[2]);
    if (whole) whole.transcript = "unavailable";
  }
}
