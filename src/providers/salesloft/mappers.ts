/**
 * Salesloft JSON → callsync records. Pure functions; every time becomes integer milliseconds.
 *
 * Readings of undocumented behaviour ([I] in the provider notes), each overridable through
 * `SalesloftMappingOptions`:
 * - AI block `status` values are not enumerated. A block counts as final when its status is in
 *   `completedStatuses` (several spellings by default) and as failed when in `failedStatuses`;
 *   anything else (e.g. "processing", "queued") means the provider is still working on it.
 * - Direction: conversations carry none. A dialer conversation (`call_id`) takes its call data
 *   record's `direction`; any other conversation is a recorded meeting (it has a calendar event
 *   or comes from a meeting platform) → CONFERENCE, else UNKNOWN.
 * - Web link: no URL is documented; built from `conversationUrlTemplate` (`{id}` placeholder).
 */
import { RecordSkip } from "../records.js";
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
import type {
  SalesloftAccount,
  SalesloftCallDataRecord,
  SalesloftConversation,
  SalesloftExtensiveConversation,
  SalesloftOpportunity,
  SalesloftPerson,
  SalesloftSentence,
  SalesloftUser,
} from "./schemas.js";

export const DEFAULT_CONVERSATION_URL_TEMPLATE = "https://app.salesloft.com/app/conversations/{id}";
export const DEFAULT_COMPLETED_STATUSES = [
  "completed",
  "complete",
  "done",
  "ready",
  "success",
  "succeeded",
  "finished",
];
export const DEFAULT_FAILED_STATUSES = ["failed", "failure", "error", "errored"];
/** Platforms that record meetings rather than phone calls. */
export const MEETING_PLATFORMS = ["zoom", "teams", "microsoft_teams", "google_meet", "meet", "webex", "gotomeeting"];

export interface SalesloftMappingOptions {
  conversationUrlTemplate?: string;
  completedStatuses?: string[];
  failedStatuses?: string[];
  /**
   * Whether an unfinished AI block is sent with a non-final status or left out (null) is not
   * documented. A transcribed conversation younger than this whose `/extensive` has no AI block
   * at all is PROCESSING (checked again later); older ones are READY without AI content.
   */
  aiGraceMs?: number;
  /** For the grace period; tests pin it. */
  now?: () => number;
}
export const DEFAULT_AI_GRACE_MS = 6 * 3_600_000;

/** Everything one conversation's record is built from; lookups are already resolved by the client. */
export interface ConversationBundle {
  /** The `/extensive` payload, or the plain conversation when `/extensive` is unavailable (404). */
  conversation: SalesloftExtensiveConversation | SalesloftConversation;
  /** false when `/extensive` answered 404 (tenant without the AI add-on). */
  extensive: boolean;
  /** null = the transcription is not available (no `transcription` reference yet). */
  sentences: SalesloftSentence[] | null;
  opportunity: SalesloftOpportunity | null;
  account: SalesloftAccount | null;
  person: SalesloftPerson | null;
  callDataRecord: SalesloftCallDataRecord | null;
  /** Salesloft users by lower-cased email, to resolve internal attendees to provider users. */
  usersByEmail: ReadonlyMap<string, ProviderUser>;
}

export function mapUser(user: SalesloftUser): ProviderUser {
  const name = user.name ?? ([user.first_name, user.last_name].filter(Boolean).join(" ") || null);
  return {
    providerUserId: user.guid,
    email: cleanEmail(user.email),
    emailAliases: [],
    name,
    active: user.active ?? true,
  };
}

/** Epoch seconds or milliseconds (Salesloft sends both) → ms. */
export function epochToMs(value: number): number {
  return Math.round(value < 1e11 ? value * 1000 : value);
}

/** Attendee/invitee emails can be junk such as "na", "n/a", "-", "none". */
export function cleanEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim();
  if (!trimmed || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) return null;
  return trimmed;
}

function isoToMs(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

export function callTimes(c: SalesloftConversation): {
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
} {
  const recordingStart = c.started_recording_at == null ? null : epochToMs(c.started_recording_at);
  // The calendar start, else the recording's start, else (next best) when Salesloft created it.
  const startedAt = isoToMs(c.event_start_date) ?? recordingStart ?? isoToMs(c.created_at);
  if (startedAt === null)
    throw new RecordSkip(
      "UNREADABLE",
      "The conversation has no readable start time (event_start_date, started_recording_at or created_at)",
    );
  const durationMs = c.duration == null ? null : Math.round(c.duration);
  const endedAt = isoToMs(c.event_end_date) ?? (durationMs === null ? null : startedAt + durationMs);
  return { startedAt, endedAt, durationMs: durationMs ?? (endedAt === null ? null : endedAt - startedAt) };
}

export function mapDirection(c: SalesloftConversation, cdr: SalesloftCallDataRecord | null): CallDirection {
  if (c.call_id != null) {
    const d = cdr?.direction?.toLowerCase();
    if (d === "inbound") return "INBOUND";
    if (d === "outbound") return "OUTBOUND";
    return "UNKNOWN";
  }
  const platform = c.platform?.toLowerCase().replace(/[\s-]+/g, "_");
  if (c.event_start_date || (platform && MEETING_PLATFORMS.includes(platform))) return "CONFERENCE";
  return "UNKNOWN";
}

export function conversationUrl(id: string, template = DEFAULT_CONVERSATION_URL_TEMPLATE): string {
  return template.replaceAll("{id}", encodeURIComponent(id));
}

type BlockState = "absent" | "done" | "failed" | "working";

function blockState(status: string | null | undefined, present: boolean, options: SalesloftMappingOptions): BlockState {
  if (!present) return "absent";
  const s = (status ?? "").toLowerCase();
  if ((options.completedStatuses ?? DEFAULT_COMPLETED_STATUSES).includes(s)) return "done";
  if ((options.failedStatuses ?? DEFAULT_FAILED_STATUSES).includes(s)) return "failed";
  return "working";
}

function extensive(c: ConversationBundle["conversation"]): Partial<SalesloftExtensiveConversation> {
  return c as Partial<SalesloftExtensiveConversation>;
}

export function mapParticipants(bundle: ConversationBundle, segments: TranscriptSegmentRecord[] | null) {
  const ext = extensive(bundle.conversation);
  const people: ParticipantRecord[] = [];
  const seenEmails = new Set<string>();
  const resolve = (email: string | null) => (email ? (bundle.usersByEmail.get(email.toLowerCase()) ?? null) : null);
  for (const a of ext.attendees ?? []) {
    const email = cleanEmail(a.email);
    const user = resolve(email);
    const isInternal = a.is_internal ?? user !== null;
    if (email) seenEmails.add(email.toLowerCase());
    people.push({
      name: a.full_name?.trim() || null,
      email,
      isInternal,
      speakerId: a.id,
      providerUserId: isInternal ? (user?.providerUserId ?? null) : null,
    });
  }
  const seenNames = new Set(people.map((p) => p.name?.toLowerCase()).filter(Boolean));
  for (const i of ext.invitees ?? []) {
    const email = cleanEmail(i.email);
    const name = i.full_name?.trim() || null;
    if (email ? seenEmails.has(email.toLowerCase()) : !name || seenNames.has(name.toLowerCase())) continue;
    if (email) seenEmails.add(email.toLowerCase());
    const user = resolve(email);
    people.push({
      name,
      email,
      isInternal: user !== null,
      speakerId: null,
      providerUserId: user?.providerUserId ?? null,
    });
  }
  // Every segment must resolve to a participant: speakers the attendee list does not name
  // (e.g. `/extensive` unavailable) become anonymous participants.
  const known = new Set(people.map((p) => p.speakerId));
  for (const s of segments ?? []) {
    if (s.speakerId === null || known.has(s.speakerId)) continue;
    known.add(s.speakerId);
    people.push({ name: null, email: null, isInternal: false, speakerId: s.speakerId, providerUserId: null });
  }
  return people;
}

/** Sentences in spoken order: `order_number` when present (older data lacks it), else start time. */
export function mapTranscript(sentences: SalesloftSentence[]): TranscriptSegmentRecord[] {
  return sentences
    .map((s, index) => ({ s, index }))
    .sort((a, b) => {
      const ao = a.s.order_number;
      const bo = b.s.order_number;
      if (ao != null && bo != null && ao !== bo) return ao - bo;
      return a.s.start_time - b.s.start_time || a.index - b.index;
    })
    .map(({ s }) => ({
      speakerId: s.recording_attendee_id ?? null,
      startMs: Math.round(s.start_time * 1000),
      endMs: Math.round(s.end_time * 1000),
      text: s.text,
    }));
}

function crmSystem(hint: string | null | undefined, id: string): CrmSystem {
  const h = hint?.toLowerCase() ?? "";
  if (h.includes("salesforce") || h === "sfdc") return "SALESFORCE";
  if (h.includes("hubspot")) return "HUBSPOT";
  if (h) return "OTHER";
  if (/^\d+$/.test(id)) return "HUBSPOT";
  if (/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id)) return "SALESFORCE";
  return "OTHER";
}

/** Opportunity `crm_id` (+ `crm_type`), account `crm_id` and person `crm_id`, each once. */
export function mapCrmRefs(bundle: ConversationBundle): CrmRefRecord[] {
  const refs: CrmRefRecord[] = [];
  const add = (system: CrmSystem, objectType: string, objectId: string | null | undefined) => {
    if (!objectId) return;
    if (refs.some((r) => r.system === system && r.objectType === objectType && r.objectId === objectId)) return;
    refs.push({ system, objectType, objectId });
  };
  const opp = bundle.opportunity;
  const crmHint = opp?.crm_type ?? null;
  if (opp?.crm_id) {
    const system = crmSystem(crmHint, opp.crm_id);
    add(system, system === "HUBSPOT" ? "Deal" : "Opportunity", opp.crm_id);
  }
  const accountCrmId = bundle.account?.crm_id ?? opp?.account_crm_id ?? null;
  if (accountCrmId) {
    const objectType = bundle.account?.crm_object_type?.toLowerCase();
    const system = crmSystem(crmHint ?? (objectType === "company" ? "hubspot" : null), accountCrmId);
    add(system, system === "HUBSPOT" ? "Company" : "Account", accountCrmId);
  }
  const person = bundle.person;
  if (person?.crm_id) {
    const kind = person.crm_object_type?.toLowerCase() === "lead" ? "Lead" : "Contact";
    add(crmSystem(crmHint, person.crm_id), kind, person.crm_id);
  }
  return refs;
}

export function mapConversation(bundle: ConversationBundle, options: SalesloftMappingOptions = {}): CallRecord {
  const c = bundle.conversation;
  const ext = extensive(c);
  const times = callTimes(c);
  const transcript = bundle.sentences === null ? null : mapTranscript(bundle.sentences);

  const summaryState = blockState(ext.summary?.status, ext.summary != null, options);
  const actionsState = blockState(ext.action_items?.status, ext.action_items != null, options);
  const momentsState = blockState(ext.key_moments?.status, ext.key_moments != null, options);

  const keyPoints =
    momentsState === "done" ? (ext.key_moments?.items ?? []).map((m) => m.name?.trim() ?? "").filter(Boolean) : [];
  const brief = summaryState === "done" ? ext.summary?.text?.trim() || null : null;
  const summary: SummaryRecord | null = brief !== null || keyPoints.length > 0 ? { brief, keyPoints } : null;

  const actionItems: ActionItemRecord[] | null =
    actionsState === "done"
      ? (ext.action_items?.items ?? [])
          .map((i) => (i.edited_text?.trim() || i.original_text?.trim()) ?? "")
          .filter((text) => text.length > 0)
          .map((text) => ({ text, ownerSpeakerId: null, ownerName: null }))
      : null;

  const blocks = [summaryState, actionsState, momentsState];
  let readiness: CallReadiness;
  if (transcript === null) {
    readiness = blocks.includes("failed") && !blocks.includes("working") ? "FAILED" : "TRANSCRIPT_PENDING";
  } else if (blocks.includes("working")) readiness = "PROCESSING";
  else {
    const age = (options.now ?? Date.now)() - (isoToMs(c.created_at) ?? 0);
    const aiMissing = bundle.extensive && blocks.every((b) => b === "absent");
    readiness = aiMissing && age < (options.aiGraceMs ?? DEFAULT_AI_GRACE_MS) ? "PROCESSING" : "READY";
  }

  const ownerGuid = c.user_guid ?? c.owner_id ?? null;
  const ownerEmail =
    cleanEmail(ext.owner_email) ??
    [...bundle.usersByEmail.values()].find((u) => u.providerUserId === ownerGuid)?.email ??
    null;

  return {
    providerCallId: c.id,
    title: c.title?.trim() || null,
    startedAt: times.startedAt,
    endedAt: times.endedAt,
    durationMs: times.durationMs,
    direction: mapDirection(c, bundle.callDataRecord),
    ownerProviderUserId: ownerGuid,
    ownerEmail,
    url: conversationUrl(c.id, options.conversationUrlTemplate),
    participants: mapParticipants(bundle, transcript),
    transcript,
    summary,
    actionItems,
    crmRefs: mapCrmRefs(bundle),
    readiness,
    providerUpdatedAt: isoToMs(c.updated_at),
  };
}
