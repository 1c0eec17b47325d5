/**
 * Zod shapes of the Gong API v2 JSON that callsync reads. Field names follow Gong's OpenAPI
 * document (components CallData, CallBasicData, Party, CallContextDto, ContentDto,
 * CallTranscript, UserMetadata, WorkspaceMetadata, Records, ErrorResponse); a test checks every
 * key here against that document. Objects are loose (Gong adds fields without notice) and
 * values Gong may omit or null are `nullish`; only what a record cannot do without is required.
 */
import { z } from "zod";
import { anyItems } from "../records.js";

const id = z.string();
const text = z.string().nullish();

export const gongRecords = z.looseObject({
  totalRecords: z.number().int().nullish(),
  currentPageSize: z.number().int().nullish(),
  currentPageNumber: z.number().int().nullish(),
  /** Present only when more records remain. */
  cursor: z.string().nullish(),
});

export const gongErrorBody = z.looseObject({
  requestId: z.string().nullish(),
  errors: z.array(z.string()).nullish(),
});

export const gongWorkspace = z.looseObject({ id, name: text, description: text });
export const gongWorkspacesResponse = z.looseObject({
  requestId: z.string().nullish(),
  workspaces: z.array(gongWorkspace),
});

export const gongUser = z.looseObject({
  id,
  emailAddress: text,
  /** The address Gong verified for the user; real accounts can have it without `emailAddress`. */
  trustedEmailAddress: text,
  emailAliases: z.array(z.string()).nullish(),
  firstName: text,
  lastName: text,
  active: z.boolean().nullish(),
  created: text,
  title: text,
});
export const gongUsersResponse = z.looseObject({
  requestId: z.string().nullish(),
  records: gongRecords.nullish(),
  users: z.array(gongUser),
});
/** What the client parses: the envelope strictly, each user on its own (src/providers/records.ts). */
export const gongUsersEnvelope = gongUsersResponse.extend({ users: anyItems });

export const gongCallBasicData = z.looseObject({
  id,
  url: text,
  title: text,
  /** ISO-8601; the next-best start time when `started` is missing or unreadable. */
  scheduled: text,
  /**
   * ISO-8601 with Z or an offset. Real payloads can lack it; the mapper falls back to
   * `scheduled` and skips the call (MISSING_FIELD) only when neither is readable.
   */
  started: text,
  /** seconds */
  duration: z.number().nullish(),
  primaryUserId: text,
  /** Inbound | Outbound | Conference | Unknown (kept a string so a new value does not fail a page). */
  direction: text,
  system: text,
  scope: text,
  media: text,
  language: text,
  workspaceId: text,
  isPrivate: z.boolean().nullish(),
});

const contextField = z.looseObject({ name: z.string(), value: z.unknown() });

export const gongCallContextObject = z.looseObject({
  /** Spec enum: Opportunity | Account. HubSpot spellings (Deal/Company) are accepted too. */
  objectType: z.string(),
  objectId: z.string(),
  fields: z.array(contextField).nullish(),
  timing: text,
});
export const gongCallContext = z.looseObject({
  /** Salesforce | HubSpot | MicrosoftDynamic | Generic */
  system: z.string(),
  objects: z.array(gongCallContextObject).nullish(),
});

export const gongPartyContextObject = z.looseObject({
  /** Spec enum: Contact | User | Lead */
  objectType: z.string(),
  objectId: z.string(),
  fields: z.array(contextField).nullish(),
  timing: text,
});
export const gongPartyContext = z.looseObject({
  system: z.string(),
  objects: z.array(gongPartyContextObject).nullish(),
});

export const gongParty = z.looseObject({
  id: text,
  emailAddress: text,
  name: text,
  title: text,
  /** Set when the party is a Gong user. */
  userId: text,
  /** null when the person never spoke. */
  speakerId: text,
  context: z.array(gongPartyContext).nullish(),
  /** Internal | External | Unknown */
  affiliation: text,
  phoneNumber: text,
  methods: z.array(z.string()).nullish(),
});

export const gongActionItem = z.looseObject({
  /** seconds from call start */
  snippetStartTime: z.number().nullish(),
  snippetEndTime: z.number().nullish(),
  /** Capital ID, as Gong spells it. */
  speakerID: text,
  snippet: z.string(),
});

export const gongContent = z.looseObject({
  brief: text,
  keyPoints: z.array(z.looseObject({ text: z.string() })).nullish(),
  pointsOfInterest: z.looseObject({ actionItems: z.array(gongActionItem).nullish() }).nullish(),
  topics: z.array(z.looseObject({ name: z.string(), duration: z.number().nullish() })).nullish(),
});

export const gongSpeaker = z.looseObject({
  id: z.string(),
  userId: text,
  /** seconds */
  talkTime: z.number().nullish(),
});

export const gongInteraction = z.looseObject({ speakers: z.array(gongSpeaker).nullish() });

export const gongCallData = z.looseObject({
  metaData: gongCallBasicData,
  context: z.array(gongCallContext).nullish(),
  parties: z.array(gongParty).nullish(),
  content: gongContent.nullish(),
  interaction: gongInteraction.nullish(),
});
export const gongCallsResponse = z.looseObject({
  requestId: z.string().nullish(),
  records: gongRecords.nullish(),
  calls: z.array(gongCallData),
});
/** What the client parses: one call Gong sends in a shape callsync cannot take never fails its page. */
export const gongCallsEnvelope = gongCallsResponse.extend({ calls: anyItems });

export const gongSentence = z.looseObject({
  /** ms from call start */
  start: z.number(),
  end: z.number(),
  text: z.string(),
});
export const gongMonologue = z.looseObject({
  speakerId: text,
  topic: text,
  sentences: z.array(gongSentence),
});
export const gongCallTranscript = z.looseObject({
  callId: text,
  /** One recorded response spells it `callid` (amp-labs fixture); accepted as an alias. */
  callid: text,
  transcript: z.array(gongMonologue),
});
export const gongTranscriptsResponse = z.looseObject({
  requestId: z.string().nullish(),
  records: gongRecords.nullish(),
  callTranscripts: z.array(gongCallTranscript),
});
/** What the client parses: each transcript, and each of its monologues, is read on its own. */
export const gongTranscriptsEnvelope = gongTranscriptsResponse.extend({ callTranscripts: anyItems });
/** One transcript as the client first reads it: its call id and a list of monologues still unread. */
export const gongCallTranscriptEnvelope = gongCallTranscript.extend({ transcript: anyItems });

/** /oauth2/generate-customer-token answer (code exchange and refresh). */
export const gongTokenResponse = z.looseObject({
  access_token: z.string(),
  refresh_token: z.string().nullish(),
  scope: z.string().nullish(),
  token_type: z.string().nullish(),
  /** seconds */
  expires_in: z.number().nullish(),
  api_base_url_for_customer: z.string().nullish(),
});
export const gongOAuthErrorBody = z.looseObject({
  error: z.string(),
  error_description: z.string().nullish(),
});

export type GongRecords = z.infer<typeof gongRecords>;
export type GongWorkspace = z.infer<typeof gongWorkspace>;
export type GongUser = z.infer<typeof gongUser>;
export type GongCallBasicData = z.infer<typeof gongCallBasicData>;
export type GongCallContext = z.infer<typeof gongCallContext>;
export type GongParty = z.infer<typeof gongParty>;
export type GongContent = z.infer<typeof gongContent>;
export type GongCallData = z.infer<typeof gongCallData>;
export type GongCallTranscript = z.infer<typeof gongCallTranscript>;
export type GongMonologue = z.infer<typeof gongMonologue>;
export type GongTokenResponse = z.infer<typeof gongTokenResponse>;
