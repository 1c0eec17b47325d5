/**
 * Gong JSON → callsync records. Pure functions; units converted here: Gong durations and
 * action-item times are seconds, transcript sentence times are milliseconds, instants are
 * ISO-8601 strings with an offset.
 *
 * Readiness: Gong lists a call about an hour after it ends but produces its transcript and AI
 * content up to a day later. A call whose transcript is absent from /v2/calls/transcript is
 * TRANSCRIPT_PENDING; once the transcript is there it is READY (AI content may legitimately
 * never come when the customer has Gong's AI features off, so it does not hold readiness back).
 */
import { RecordSkip } from "../records.js";
import type {
  ActionItemRecord,
  CallDirection,
  CallRecord,
  CrmRefRecord,
  CrmSystem,
  ParticipantRecord,
  ProviderUser,
  SummaryRecord,
  TranscriptSegmentRecord,
} from "../types.js";
import type { GongCallData, GongCallTranscript, GongMonologue, GongUser } from "./schemas.js";

export function mapUser(user: GongUser): ProviderUser {
  const name = [user.firstName, user.lastName].filter((p): p is string => Boolean(p?.trim())).join(" ");
  return {
    providerUserId: user.id,
    // Email matching falls back to the address Gong verified when the primary one is missing.
    email: user.emailAddress || user.trustedEmailAddress || null,
    emailAliases: user.emailAliases ?? [],
    name: name.length > 0 ? name : null,
    active: user.active ?? true,
  };
}

const DIRECTIONS: Record<string, CallDirection> = {
  inbound: "INBOUND",
  outbound: "OUTBOUND",
  conference: "CONFERENCE",
};

export function mapDirection(direction: string | null | undefined): CallDirection {
  return DIRECTIONS[(direction ?? "").toLowerCase()] ?? "UNKNOWN";
}

export function mapCrmSystem(system: string): CrmSystem {
  const s = system.toLowerCase();
  if (s === "salesforce") return "SALESFORCE";
  if (s === "hubspot") return "HUBSPOT";
  return "OTHER";
}

/**
 * Gong's enum says Opportunity/Account for every CRM; for HubSpot it is not known whether
 * Gong keeps those names or uses HubSpot's Deal/Company. Both spellings map to the CRM's own
 * word: Deal/Company for HubSpot, Opportunity/Account otherwise.
 */
export function normaliseObjectType(system: CrmSystem, objectType: string): string {
  const t = objectType.toLowerCase();
  if (t === "opportunity" || t === "deal") return system === "HUBSPOT" ? "Deal" : "Opportunity";
  if (t === "account" || t === "company") return system === "HUBSPOT" ? "Company" : "Account";
  return objectType.length > 0 ? objectType[0]!.toUpperCase() + objectType.slice(1) : objectType;
}

/** Call-level objects first, then the parties' (Contact/Lead, never User); one entry per (system, type, id). */
export function mapCrmRefs(call: GongCallData): CrmRefRecord[] {
  const refs: CrmRefRecord[] = [];
  const seen = new Set<string>();
  const add = (systemName: string, objectType: string, objectId: string) => {
    const system = mapCrmSystem(systemName);
    const ref = { system, objectType: normaliseObjectType(system, objectType), objectId };
    const key = `${ref.system}\u0000${ref.objectType}\u0000${ref.objectId}`;
    if (seen.has(key) || objectId.length === 0) return;
    seen.add(key);
    refs.push(ref);
  };
  for (const ctx of call.context ?? []) for (const o of ctx.objects ?? []) add(ctx.system, o.objectType, o.objectId);
  // A party's own CRM User record (the rep) is not context of the call's deal or account.
  for (const party of call.parties ?? [])
    for (const ctx of party.context ?? [])
      for (const o of ctx.objects ?? [])
        if (o.objectType.toLowerCase() !== "user") add(ctx.system, o.objectType, o.objectId);
  return refs;
}

export function mapParticipants(call: GongCallData, transcript: GongMonologue[] | null): ParticipantRecord[] {
  const participants: ParticipantRecord[] = (call.parties ?? []).map((p) => {
    const isInternal = p.affiliation === "Internal" || (p.affiliation !== "External" && Boolean(p.userId));
    return {
      name: p.name ?? null,
      email: p.emailAddress ?? null,
      isInternal,
      speakerId: p.speakerId ?? null,
      providerUserId: p.userId ?? null,
    };
  });
  // A transcript speaker Gong did not list among the parties still becomes a participant, so
  // every segment's speakerId resolves; interaction.speakers tells whether it is a Gong user.
  const known = new Set(participants.map((p) => p.speakerId).filter((s): s is string => s !== null));
  const speakerUsers = new Map((call.interaction?.speakers ?? []).map((s) => [s.id, s.userId ?? null]));
  for (const m of transcript ?? []) {
    if (!m.speakerId || known.has(m.speakerId)) continue;
    known.add(m.speakerId);
    const userId = speakerUsers.get(m.speakerId) ?? null;
    participants.push({
      name: null,
      email: null,
      isInternal: userId !== null,
      speakerId: m.speakerId,
      providerUserId: userId,
    });
  }
  return participants;
}

/** One segment per monologue (one speaker's turn), sentences joined; ordered by start time. */
export function mapTranscript(monologues: GongMonologue[]): TranscriptSegmentRecord[] {
  const segments: TranscriptSegmentRecord[] = [];
  for (const m of monologues) {
    const sentences = m.sentences.filter((s) => s.text.trim().length > 0);
    if (sentences.length === 0) continue;
    segments.push({
      speakerId: m.speakerId ?? null,
      startMs: Math.round(Math.min(...sentences.map((s) => s.start))),
      endMs: Math.round(Math.max(...sentences.map((s) => s.end))),
      text: sentences.map((s) => s.text.trim()).join(" "),
    });
  }
  return segments.sort((a, b) => a.startMs - b.startMs);
}

export function mapSummary(call: GongCallData): SummaryRecord | null {
  const brief = call.content?.brief?.trim() ? call.content.brief : null;
  const keyPoints = (call.content?.keyPoints ?? []).map((k) => k.text).filter((t) => t.trim().length > 0);
  if (brief === null && keyPoints.length === 0) return null;
  return { brief, keyPoints };
}

/** null while Gong has not produced them (no pointsOfInterest and no transcript yet). */
export function mapActionItems(call: GongCallData, transcriptReady: boolean): ActionItemRecord[] | null {
  const items = call.content?.pointsOfInterest?.actionItems;
  if (!items) return transcriptReady ? [] : null;
  const names = new Map(
    (call.parties ?? []).filter((p) => p.speakerId).map((p) => [p.speakerId as string, p.name ?? null]),
  );
  return items.map((item) => ({
    text: item.snippet,
    ownerSpeakerId: item.speakerID ?? null,
    ownerName: item.speakerID ? (names.get(item.speakerID) ?? null) : null,
  }));
}

/** `metaData.started`, else the next-best `scheduled`; null when neither is a readable instant. */
export function callStart(call: GongCallData): number | null {
  for (const value of [call.metaData.started, call.metaData.scheduled]) {
    const ms = value ? Date.parse(value) : Number.NaN;
    if (!Number.isNaN(ms)) return ms;
  }
  return null;
}

export function transcriptCallId(t: GongCallTranscript): string | null {
  return t.callId ?? t.callid ?? null;
}

export interface MapCallOptions {
  /** The Gong user whose calls are listed; gives the owner's email without a lookup. */
  owner?: ProviderUser;
}

/**
 * `transcript` is the call's entry from /v2/calls/transcript, or null when Gong did not return
 * one (not produced yet).
 */
export function mapCall(
  call: GongCallData,
  transcript: GongCallTranscript | null,
  options: MapCallOptions = {},
): CallRecord {
  const meta = call.metaData;
  const startedAt = callStart(call);
  if (startedAt === null)
    throw new RecordSkip(
      meta.started || meta.scheduled ? "UNREADABLE" : "MISSING_FIELD",
      meta.started || meta.scheduled
        ? "The call's start time (metaData.started, or scheduled) is not a date-time"
        : "The call has no start time (metaData.started) and no scheduled time to use instead",
    );
  const durationMs = typeof meta.duration === "number" ? Math.round(meta.duration * 1000) : null;
  const monologues = transcript ? transcript.transcript : null;
  const ownerId = meta.primaryUserId ?? null;
  const ownerParty = ownerId ? (call.parties ?? []).find((p) => p.userId === ownerId) : undefined;
  const ownerEmail =
    options.owner && options.owner.providerUserId === ownerId
      ? options.owner.email
      : (ownerParty?.emailAddress ?? null);
  return {
    providerCallId: meta.id,
    title: meta.title ?? null,
    startedAt,
    endedAt: durationMs === null ? null : startedAt + durationMs,
    durationMs,
    direction: mapDirection(meta.direction),
    ownerProviderUserId: ownerId,
    ownerEmail,
    url: meta.url ?? null,
    participants: mapParticipants(call, monologues),
    transcript: monologues ? mapTranscript(monologues) : null,
    summary: mapSummary(call),
    actionItems: mapActionItems(call, monologues !== null),
    crmRefs: mapCrmRefs(call),
    readiness: monologues ? "READY" : "TRANSCRIPT_PENDING",
    providerUpdatedAt: null,
    ...(meta.isPrivate === true ? { isPrivate: true as const } : {}),
  };
}
