/**
 * The provider contract: what every call-recording provider client gives the sync engine.
 *
 * Glossary
 * - provider user: a person in the provider's tenant (Gong user, Salesloft user, Copilot user).
 *   Synced only when a workspace user has the same email (case-insensitive).
 * - call record: one call normalised into callsync's model. All times are integer
 *   milliseconds since the epoch (instants) or integer milliseconds (durations, offsets);
 *   the three providers use three different units and the clients convert at the boundary.
 * - readiness: whether the provider has finished processing the call. A call that is listed
 *   but whose transcript is not available yet is imported as TRANSCRIPT_PENDING and checked
 *   again on later syncs.
 * - page cursor: an opaque string owned by the client. The sync engine stores it as the
 *   checkpoint after each page and hands it back to resume; it never looks inside.
 */
import type { ProviderError } from "./errors.js";

export const PROVIDERS = ["GONG", "SALESLOFT", "CLARI_COPILOT"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Users one `sampleCalls` request may name (Gong takes at most 100 ids per filter). */
export const SAMPLE_MAX_USERS = 100;

export const CALL_DIRECTIONS = ["INBOUND", "OUTBOUND", "CONFERENCE", "UNKNOWN"] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

export const CRM_SYSTEMS = ["SALESFORCE", "HUBSPOT", "OTHER"] as const;
export type CrmSystem = (typeof CRM_SYSTEMS)[number];

export const CALL_READINESS = ["READY", "TRANSCRIPT_PENDING", "PROCESSING", "FAILED"] as const;
/**
 * READY: transcript (if the provider has one for this call) and AI content are in.
 * TRANSCRIPT_PENDING: metadata is in, transcript/AI content not yet; check again later.
 * PROCESSING: the provider lists the call but says it is still processing it.
 * FAILED: the provider says processing failed for good (e.g. Clari `FAILED`); no transcript will come.
 */
export type CallReadiness = (typeof CALL_READINESS)[number];

export interface ProviderUser {
  providerUserId: string;
  /** Primary email, as the provider spells it. Matching lowercases it. */
  email: string | null;
  /** Extra addresses the provider knows for the same person (Gong emailAliases). */
  emailAliases: string[];
  name: string | null;
  active: boolean;
}

export interface ParticipantRecord {
  name: string | null;
  email: string | null;
  isInternal: boolean;
  /** The id the transcript uses for this person (Gong speakerId, Salesloft attendee id, Clari personId). */
  speakerId: string | null;
  /** Set when the participant is a provider user (internal). */
  providerUserId: string | null;
}

export interface TranscriptSegmentRecord {
  /** Matches a ParticipantRecord.speakerId, or null when the provider gave none. */
  speakerId: string | null;
  startMs: number;
  endMs: number;
  text: string;
}

export interface SummaryRecord {
  brief: string | null;
  keyPoints: string[];
}

export interface ActionItemRecord {
  text: string;
  /** Owner as the provider gives it: a speaker id (Gong), or a name (Clari); null when unknown. */
  ownerSpeakerId: string | null;
  ownerName: string | null;
}

export interface CrmRefRecord {
  system: CrmSystem;
  /** Provider's object type, normalised: "Opportunity" | "Account" | "Deal" | "Company" | "Contact" | … */
  objectType: string;
  objectId: string;
}

export interface CallRecord {
  providerCallId: string;
  title: string | null;
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  direction: CallDirection;
  ownerProviderUserId: string | null;
  ownerEmail: string | null;
  /** Link to open the call in the provider's web app; callsync never stores media. */
  url: string | null;
  participants: ParticipantRecord[];
  /** null = not available yet (see readiness); [] = available and empty. */
  transcript: TranscriptSegmentRecord[] | null;
  summary: SummaryRecord | null;
  actionItems: ActionItemRecord[] | null;
  crmRefs: CrmRefRecord[];
  readiness: CallReadiness;
  /** Provider's last-modified time when it has one; used only for diagnostics. */
  providerUpdatedAt: number | null;
  /**
   * The provider marks the call private (Gong `metaData.isPrivate`, Clari Copilot private calls).
   * Absent means not private; Salesloft's API has no such flag.
   */
  isPrivate?: true;
}

/**
 * Calls created or changed upstream after `modifiedAfterMs` (the provider's modification time),
 * that started before `untilMs` (the run's start, fixed across resumes).
 */
export interface ChangeWindow {
  modifiedAfterMs: number;
  /** Only calls that started (Salesloft: were created) at or after this (the backfill start). */
  fromMs: number;
  untilMs: number;
}

/** A time window [fromMs, toMs) of call start times. */
export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

/**
 * A record the client listed but could not map (or the store chose not to keep): never stored,
 * counted with its provider id and reason. `reasonCode` is one of SKIP_REASON_CODES.
 */
export interface SkippedRecord {
  /**
   * CALL and USER: the record was not stored. TRANSCRIPT: the call was stored, without the
   * transcript (or without its unreadable part); `providerRecordId` is the call's id.
   */
  kind: "CALL" | "USER" | "TRANSCRIPT";
  providerRecordId: string;
  reasonCode: import("../sync/skipped.js").SkipReasonCode;
  /** Human words: which field, what was wrong. */
  reason: string;
}

export interface UserListing {
  users: ProviderUser[];
  /** Users the provider listed that could not be mapped, each with its provider id and reason. */
  skipped: SkippedRecord[];
}

export interface CallPage {
  calls: CallRecord[];
  /** Records on this page that could not be mapped; the rest of the page is stored. */
  skipped?: SkippedRecord[];
  /** Pass back to get the next page; null when this was the last page. */
  nextCursor: string | null;
  /** Total calls in the window when the provider tells it (Gong totalRecords, Clari matched). */
  total: number | null;
}

/**
 * One listing request for the calls of several users in a window, for the Backfill step's
 * estimate (src/integrations/backfill-estimate.ts): what the provider counts, or what the page shows.
 */
export interface CallSample {
  /** The provider's count of the matching calls (Gong totalRecords, Salesloft total_count, Clari matched); null when it gave none. */
  total: number | null;
  /** Start (Salesloft: creation) times of the calls on the page, in ms, in the provider's ascending order. */
  startedAt: number[];
  /** The provider has more matching calls than the page holds. */
  more: boolean;
}

export interface ConnectedAccount {
  /** Stable id of the provider tenant (Gong company/workspace, Salesloft team, Copilot workspace). */
  accountId: string;
  name: string | null;
  /** Email of the person who authorised, when the provider tells it. */
  authorizedBy: string | null;
}

/** What the sync engine calls. One instance per integration; it owns auth, pacing and retries. */
export interface CallProviderClient {
  readonly provider: Provider;
  /** Cheap authenticated probe; used on connect and to name the connected account. */
  verify(): Promise<ConnectedAccount>;
  /** Every provider user, and those listed that could not be mapped (recorded as skipped, like calls). */
  listUsers(): Promise<UserListing>;
  /**
   * One page of the calls owned/hosted by `user` that started in `window`, fully enriched
   * (participants, transcript, summary, action items, CRM ids) with as few requests as the
   * provider permits. `cursor` null starts the window.
   */
  listCallsPage(user: ProviderUser, window: TimeWindow, cursor: string | null): Promise<CallPage>;
  /**
   * Where the provider lists by modification time (Salesloft `updated_at[gt]`, Clari
   * `filterModifiedGt`): one page of `user`'s calls changed in `window`, oldest change first, so
   * an incremental sync sees edits of any age without re-reading history. Absent for Gong.
   */
  listChangedCallsPage?(user: ProviderUser, window: ChangeWindow, cursor: string | null): Promise<CallPage>;
  /**
   * One listing request for the calls `users` own in `window` (at most `SAMPLE_MAX_USERS` users):
   * the provider's total where it tells one, the page otherwise. Nothing is enriched.
   */
  sampleCalls(users: ProviderUser[], window: TimeWindow): Promise<CallSample>;
  /** Re-fetch specific calls (transcript follow-ups). Unknown ids are left out of the result. */
  fetchCalls(providerCallIds: string[]): Promise<CallRecord[]>;
  /**
   * Of the ids the latest `fetchCalls()` asked for, those the provider says do not exist (a 404 on
   * the detail, or an `ids[]` lookup that does not return them): deleted upstream.
   */
  readonly goneCallIds?: readonly string[];
}

/** Credentials as stored (encrypted) by callsync and handed to a client. */
export type ProviderCredentials =
  | {
      kind: "oauth";
      accessToken: string;
      refreshToken: string | null;
      /** ms epoch */
      expiresAt: number | null;
      /** Gong: api_base_url_for_customer. */
      apiBaseUrl: string | null;
      scope: string | null;
    }
  | { kind: "apiKey"; apiKey: string; apiSecret: string };

export type OAuthCredentials = Extract<ProviderCredentials, { kind: "oauth" }>;

/**
 * The integrations layer gives each client a session. The client asks for credentials before
 * each request and calls `refresh` when the provider says the access token is no longer good;
 * the session serialises refreshes per integration across processes and persists the rotated
 * pair before returning it.
 */
export interface CredentialSession {
  current(): Promise<ProviderCredentials>;
  /** `stale` is the access token that was rejected, so a refresh done meanwhile by another process is reused. */
  refresh(stale: ProviderCredentials): Promise<ProviderCredentials>;
}

/**
 * OAuth authorization-code flow of one provider (Gong, Salesloft). Callers always pass a PKCE
 * pair (S256); a flow whose provider does not take PKCE (`pkce: false`) leaves it out of the
 * provider requests.
 */
export interface OAuthFlow {
  readonly pkce: boolean;
  authorizeUrl(params: { state: string; redirectUri: string; codeChallenge?: string }): URL;
  exchangeCode(params: { code: string; redirectUri: string; codeVerifier?: string }): Promise<OAuthCredentials>;
  refresh(refreshToken: string): Promise<OAuthCredentials>;
}

export type { ProviderError };
