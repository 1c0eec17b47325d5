/**
 * Clari Copilot JSON → callsync records. Pure functions.
 *
 * Units: `time` is an ISO instant, `metrics.call_duration` and transcript `start`/`end` are
 * seconds (floats); everything leaves here as integer milliseconds.
 * Internal/external: a person is internal exactly when they are in the call's `users[]`
 * (Copilot users); `externalParticipants[]` (invited) and `joinedParticipants[]` (joined) are
 * merged into one list by personId, then email, then name. `personId` 0 is a real id.
 */
import type {
  ActionItemRecord,
  CallDirection,
  CallReadiness,
  CallRecord,
  CrmRefRecord,
  CrmSystem,
  ParticipantRecord,
  ProviderUser,
  SummaryRecord,
  TranscriptSegmentRecord,
} from "../types.js";
import type { ClariCall, ClariCallDetails, ClariCrmInfo, ClariPerson, ClariSummary, ClariUser } from "./schemas.js";

/** Processing finished: `/call-details` has the transcript (and, after post-processing, the AI summary). */
export const CLARI_DONE_STATUSES = ["PROCESSED", "POST_PROCESSING_DONE"] as const;
/** Check again later. */
export const CLARI_PENDING_STATUSES = [
  "SCHEDULED",
  "INITIATED",
  "INPROGRESS",
  "WAITING_IN_QUEUE",
  "PROCESSING",
] as const;
/** Terminal: no recording, transcript or summary will ever come. */
export const CLARI_FAILED_STATUSES = [
  "ERROR_IN_TRANSCRIBE",
  "ERROR_IN_PROCESSING",
  "ERROR_IN_RECORDING",
  "UNABLE_TO_JOIN",
  "CALL_DID_NOT_HAPPEN",
  "IGNORED_BY_USER",
  "BOTJOIN_DISABLED",
  "NO_DATA_INCALL",
  "NOBODY_JOINED_CALL",
  "BOTJOIN_DENIED",
] as const;

export type ClariStatusKind = "DONE" | "PENDING" | "FAILED";

/** Unknown statuses count as pending: the call is checked again rather than written off. */
export function clariStatusKind(status: string): ClariStatusKind {
  const s = status.toUpperCase();
  if ((CLARI_DONE_STATUSES as readonly string[]).includes(s)) return "DONE";
  if ((CLARI_FAILED_STATUSES as readonly string[]).includes(s)) return "FAILED";
  return "PENDING";
}

const MEETING_TYPE = /ZOOM|MEET|TEAMS|WEBEX|GOTO|BLUEJEANS|CHIME|WHEREBY/i;
/** Dialer call types are not enumerated in our sources ([I]); these are the names seen in integrations. */
const DIALER_TYPE = /DIAL|PHONE|AIRCALL|RINGCENTRAL|TWILIO|OUTREACH|SALESLOFT|ORUM|NOOKS/i;

export const isClariDialerType = (type: string | null | undefined): boolean => !!type && DIALER_TYPE.test(type);

/**
 * Clari has no direction field. Video meetings are conferences; dialer calls and uploaded
 * recordings could go either way, so they stay UNKNOWN rather than guessed.
 */
export function clariDirection(type: string | null | undefined): CallDirection {
  if (type && MEETING_TYPE.test(type) && !isClariDialerType(type)) return "CONFERENCE";
  return "UNKNOWN";
}

export function mapClariUser(user: ClariUser): ProviderUser {
  return {
    providerUserId: user.id,
    email: user.email ?? null,
    emailAliases: [],
    name: user.name ?? null,
    // /users lists the workspace's current members; `is_recording` is about recording, not membership.
    active: true,
  };
}

/** Names and emails of Copilot users by id (from `GET /users`), to name internal participants. */
export type ClariDirectory = ReadonlyMap<string, { name: string | null; email: string | null }>;

export function clariDirectory(users: readonly ClariUser[]): ClariDirectory {
  return new Map(users.map((u) => [u.id, { name: u.name ?? null, email: u.email ?? null }]));
}

const crmSystem = (info: ClariCrmInfo): CrmSystem => {
  const source = (info.source_crm ?? "").toLowerCase();
  if (source.includes("salesforce") || source === "sfdc") return "SALESFORCE";
  if (source.includes("hubspot")) return "HUBSPOT";
  // No source given: a Salesforce Opportunity id (006…, 15 or 18 chars) is unmistakable.
  if (!source && typeof info.deal_id === "string" && /^006[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/.test(info.deal_id))
    return "SALESFORCE";
  return "OTHER";
};

const OBJECT_TYPES: Record<CrmSystem, { deal: string; account: string; contact: string }> = {
  SALESFORCE: { deal: "Opportunity", account: "Account", contact: "Contact" },
  HUBSPOT: { deal: "Deal", account: "Company", contact: "Contact" },
  OTHER: { deal: "Deal", account: "Account", contact: "Contact" },
};

const idText = (id: string | number | null | undefined): string | null => {
  if (id === null || id === undefined) return null;
  const text = String(id).trim();
  return text.length > 0 ? text : null;
};

/** Every CRM id on the call: deal, account, contacts. */
export function mapClariCrmInfo(info: ClariCrmInfo | null | undefined): CrmRefRecord[] {
  if (!info) return [];
  const system = crmSystem(info);
  const types = OBJECT_TYPES[system];
  const refs: CrmRefRecord[] = [];
  const add = (objectType: string, id: string | number | null | undefined) => {
    const objectId = idText(id);
    if (objectId && !refs.some((r) => r.objectType === objectType && r.objectId === objectId))
      refs.push({ system, objectType, objectId });
  };
  add(types.deal, info.deal_id);
  add(types.account, info.account_id);
  for (const contact of info.contact_ids ?? []) add(types.contact, contact);
  return refs;
}

const speakerIdOf = (personId: number | null | undefined): string | null =>
  personId === null || personId === undefined ? null : String(personId);

const sameText = (a: string | null | undefined, b: string | null | undefined): boolean =>
  !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();

export function mapClariParticipants(
  call: ClariCall,
  transcriptSpeakers: readonly (string | null)[],
  directory?: ClariDirectory,
): ParticipantRecord[] {
  const participants: ParticipantRecord[] = [];
  for (const u of call.users ?? []) {
    if (participants.some((p) => p.providerUserId === u.userId)) continue;
    const known = directory?.get(u.userId);
    participants.push({
      name: known?.name ?? null,
      email: u.userEmail ?? known?.email ?? null,
      isInternal: true,
      speakerId: speakerIdOf(u.personId),
      providerUserId: u.userId,
    });
  }
  const mergeOrAdd = (person: ClariPerson) => {
    const speakerId = speakerIdOf(person.personId);
    const match =
      (speakerId !== null ? participants.find((p) => p.speakerId === speakerId) : undefined) ??
      participants.find((p) => sameText(p.email, person.email)) ??
      (speakerId === null && !person.email ? participants.find((p) => sameText(p.name, person.name)) : undefined);
    if (match) {
      match.name ??= person.name ?? null;
      match.email ??= person.email ?? null;
      match.speakerId ??= speakerId;
      return;
    }
    if (!person.name && !person.email && speakerId === null) return;
    participants.push({
      name: person.name ?? null,
      email: person.email ?? null,
      isInternal: false,
      speakerId,
      providerUserId: null,
    });
  };
  for (const p of call.externalParticipants ?? []) mergeOrAdd(p);
  for (const p of call.joinedParticipants ?? []) mergeOrAdd(p);
  // A transcript speaker nobody on the call carries: keep the id resolvable.
  for (const speakerId of transcriptSpeakers) {
    if (speakerId !== null && !participants.some((p) => p.speakerId === speakerId))
      participants.push({ name: null, email: null, isInternal: false, speakerId, providerUserId: null });
  }
  return participants;
}

export function mapClariTranscript(segments: ClariCallDetails["transcript"]): TranscriptSegmentRecord[] {
  return (segments ?? [])
    .map((s) => ({
      speakerId: speakerIdOf(s.personId),
      startMs: Math.round(s.start * 1000),
      endMs: Math.round(s.end * 1000),
      text: s.text,
    }))
    .sort((a, b) => a.startMs - b.startMs);
}

export function mapClariSummary(summary: ClariSummary | null | undefined): SummaryRecord | null {
  if (!summary) return null;
  const keyPoints: string[] = [];
  for (const topic of summary.topics_discussed ?? []) {
    const name = topic.name?.trim();
    const text = topic.summary?.trim();
    if (name && text) keyPoints.push(`${name}: ${text}`);
    else if (name || text) keyPoints.push((name || text) as string);
  }
  const takeaways = summary.key_takeaways;
  if (typeof takeaways === "string" && takeaways.trim()) keyPoints.push(takeaways.trim());
  if (Array.isArray(takeaways))
    for (const t of takeaways) if (typeof t === "string" && t.trim()) keyPoints.push(t.trim());
  const brief = summary.full_summary?.trim() || null;
  if (!brief && keyPoints.length === 0) return null;
  return { brief, keyPoints };
}

export function mapClariActionItems(
  summary: ClariSummary | null | undefined,
  participants: readonly ParticipantRecord[],
): ActionItemRecord[] {
  return (summary?.key_action_items ?? [])
    .filter((a) => a.action_item.trim().length > 0)
    .map((a) => {
      const ownerName = a.speaker_name?.trim() || null;
      const owner = ownerName ? participants.find((p) => sameText(p.name, ownerName)) : undefined;
      return { text: a.action_item.trim(), ownerSpeakerId: owner?.speakerId ?? null, ownerName };
    });
}

/**
 * Readiness from the status (and whether `/call-details` answered):
 * - pending statuses → PROCESSING; terminal failures → FAILED;
 * - POST_PROCESSING_DONE with details → READY;
 * - PROCESSED with details → READY when the AI summary is there, else TRANSCRIPT_PENDING
 *   (post-processing still running);
 * - done but details not available (404/400) → TRANSCRIPT_PENDING.
 */
export function clariReadiness(status: string, details: ClariCallDetails | null | undefined): CallReadiness {
  const kind = clariStatusKind(status);
  if (kind === "FAILED") return "FAILED";
  if (kind === "PENDING") return "PROCESSING";
  if (!details) return "TRANSCRIPT_PENDING";
  if (status.toUpperCase() === "POST_PROCESSING_DONE") return "READY";
  return details.summary ? "READY" : "TRANSCRIPT_PENDING";
}

/**
 * One call. `details` is the `/call-details` answer for it (a superset of the list entry, and
 * fresher) or null when it was not fetched / not available.
 */
/** The call's private flag under any of the spellings seen or guessed [I]; undefined when absent. */
export function clariPrivateFlag(call: ClariCall): boolean | undefined {
  const raw = call as Record<string, unknown>;
  for (const key of ["is_private", "isPrivate", "private"]) if (typeof raw[key] === "boolean") return raw[key];
  return undefined;
}

export function mapClariCall(
  listed: ClariCall,
  details: ClariCallDetails | null | undefined,
  directory?: ClariDirectory,
): CallRecord {
  const call: ClariCall = details ?? listed;
  const readiness = clariReadiness(call.status, details);
  const withContent = details && (readiness === "READY" || readiness === "TRANSCRIPT_PENDING");
  const transcript = withContent ? mapClariTranscript(details.transcript) : null;
  const participants = mapClariParticipants(call, transcript?.map((s) => s.speakerId) ?? [], directory);
  const aiDone = withContent && readiness === "READY";
  const startedAt = Date.parse(call.time);
  const seconds = call.metrics?.call_duration;
  const durationMs = seconds === null || seconds === undefined ? null : Math.round(seconds * 1000);
  const users = call.users ?? [];
  const owner = users.find((u) => u.isOrganizer === true) ?? users[0];
  return {
    providerCallId: call.id,
    title: call.title ?? null,
    startedAt,
    endedAt: durationMs === null ? null : startedAt + durationMs,
    durationMs,
    direction: clariDirection(call.type),
    ownerProviderUserId: owner?.userId ?? null,
    ownerEmail: owner ? (owner.userEmail ?? directory?.get(owner.userId)?.email ?? null) : null,
    url: call.call_review_page_url ?? null,
    participants,
    transcript,
    summary: aiDone ? mapClariSummary(details.summary) : null,
    actionItems: aiDone ? mapClariActionItems(details.summary, participants) : null,
    crmRefs: mapClariCrmInfo(call.crm_info),
    readiness,
    providerUpdatedAt: call.last_modified_time ? Date.parse(call.last_modified_time) : null,
  };
}
