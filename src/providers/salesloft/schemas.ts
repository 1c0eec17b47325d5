/**
 * Zod shapes of the Salesloft REST API v2 JSON that callsync reads. Lenient to fields we don't
 * use (looseObject), strict on the ones we do. Ids: users, accounts, opportunities, people and
 * call data records are integers; conversations, transcriptions and attendees are UUID strings.
 * References (`{id, _href}`) are normalised to string ids, because the same reference is
 * sometimes serialised with a numeric and sometimes with a string id.
 */
import { z } from "zod";
import { anyItems } from "../records.js";

const idString = z.union([z.string(), z.number()]).transform(String);

export const refSchema = z.looseObject({ id: idString, _href: z.string().nullish() });
export type SalesloftRef = z.infer<typeof refSchema>;
const ref = refSchema.nullish();

export const pagingSchema = z.looseObject({
  per_page: z.number().nullish(),
  current_page: z.number().nullish(),
  /** null on the last page; absent in some real answers (then pages are read while full). */
  next_page: z.number().nullish(),
  prev_page: z.number().nullish(),
  /** Only with `include_paging_counts=true`. */
  total_count: z.number().int().nonnegative().nullish(),
  total_pages: z.number().int().nonnegative().nullish(),
});

/** `{data: [...], metadata: {filtering, paging, sorting}}` */
export const listEnvelope = <T extends z.ZodType>(item: T) =>
  z.looseObject({
    data: z.array(item),
    metadata: z.looseObject({ paging: pagingSchema.nullish() }).nullish(),
  });

/**
 * What the client parses: the envelope strictly, each item on its own (src/providers/records.ts),
 * so one record of an unexpected shape never fails its page. `metadata.paging` may be absent.
 */
export const listEnvelopeOfAny = z.looseObject({
  data: anyItems,
  metadata: z.looseObject({ paging: pagingSchema.nullish() }).nullish(),
});
export type SalesloftListEnvelope = z.infer<typeof listEnvelopeOfAny>;

/** `{data: {...}}` */
export const singleEnvelope = <T extends z.ZodType>(item: T) => z.looseObject({ data: item });

export const userSchema = z.looseObject({
  id: z.number(),
  guid: z.string(),
  email: z.string().nullish(),
  name: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  active: z.boolean().nullish(),
  team: ref,
});
export type SalesloftUser = z.infer<typeof userSchema>;

export const teamSchema = z.looseObject({ id: z.number(), name: z.string().nullish() });
export type SalesloftTeam = z.infer<typeof teamSchema>;

/** A conversation as `GET /v2/conversations` lists it. */
export const conversationSchema = z.looseObject({
  id: z.string(),
  title: z.string().nullish(),
  /** milliseconds */
  duration: z.number().nullish(),
  platform: z.string().nullish(),
  media_type: z.string().nullish(),
  is_api: z.boolean().nullish(),
  owner_id: z.string().nullish(),
  user_guid: z.string().nullish(),
  /** epoch seconds or milliseconds, inconsistently */
  started_recording_at: z.number().nullish(),
  event_start_date: z.string().nullish(),
  event_end_date: z.string().nullish(),
  created_at: z.string(),
  updated_at: z.string().nullish(),
  /** id of the dialer call data record when the conversation came from the dialer */
  call_id: idString.nullish(),
  account: ref,
  person: ref,
  recording: ref,
  transcription: ref,
  transcription_sentences: ref,
  transcription_artifact: ref,
});
export type SalesloftConversation = z.infer<typeof conversationSchema>;

export const attendeeSchema = z.looseObject({
  id: z.string(),
  email: z.string().nullish(),
  full_name: z.string().nullish(),
  is_internal: z.boolean().nullish(),
});
export type SalesloftAttendee = z.infer<typeof attendeeSchema>;

export const inviteeSchema = z.looseObject({ email: z.string().nullish(), full_name: z.string().nullish() });

export const summaryBlockSchema = z.looseObject({
  id: z.string().nullish(),
  text: z.string().nullish(),
  status: z.string().nullish(),
  created_at: z.string().nullish(),
});

export const actionItemSchema = z.looseObject({
  id: z.string().nullish(),
  original_text: z.string().nullish(),
  edited_text: z.string().nullish(),
});

export const actionItemsBlockSchema = z.looseObject({
  status: z.string().nullish(),
  items: z.array(actionItemSchema).nullish(),
});

export const keyMomentsBlockSchema = z.looseObject({
  status: z.string().nullish(),
  items: z.array(z.looseObject({ name: z.string().nullish(), categories: z.array(z.string()).nullish() })).nullish(),
});

/** A conversation as `GET /v2/conversations/{id}/extensive` returns it. */
export const extensiveConversationSchema = conversationSchema.extend({
  owner_email: z.string().nullish(),
  opportunity: ref,
  summary: summaryBlockSchema.nullish(),
  action_items: actionItemsBlockSchema.nullish(),
  key_moments: keyMomentsBlockSchema.nullish(),
  attendees: z.array(attendeeSchema).nullish(),
  invitees: z.array(inviteeSchema).nullish(),
});
export type SalesloftExtensiveConversation = z.infer<typeof extensiveConversationSchema>;

/** One line of `GET /v2/transcriptions/{id}/sentences`. `id` is the transcription id, not a sentence id. */
export const sentenceSchema = z.looseObject({
  id: z.string().nullish(),
  /** float seconds from the start of the recording */
  start_time: z.number(),
  end_time: z.number(),
  order_number: z.number().nullish(),
  recording_attendee_id: z.string().nullish(),
  text: z.string(),
});
export type SalesloftSentence = z.infer<typeof sentenceSchema>;

export const opportunitySchema = z.looseObject({
  id: z.number(),
  crm_id: z.string().nullish(),
  crm_type: z.string().nullish(),
  account_crm_id: z.string().nullish(),
  name: z.string().nullish(),
});
export type SalesloftOpportunity = z.infer<typeof opportunitySchema>;

export const accountSchema = z.looseObject({
  id: z.number(),
  crm_id: z.string().nullish(),
  crm_object_type: z.string().nullish(),
  name: z.string().nullish(),
});
export type SalesloftAccount = z.infer<typeof accountSchema>;

export const personSchema = z.looseObject({
  id: z.number(),
  crm_id: z.string().nullish(),
  crm_object_type: z.string().nullish(),
});
export type SalesloftPerson = z.infer<typeof personSchema>;

export const callDataRecordSchema = z.looseObject({
  id: z.number(),
  direction: z.string().nullish(),
  call_type: z.string().nullish(),
  status: z.string().nullish(),
});
export type SalesloftCallDataRecord = z.infer<typeof callDataRecordSchema>;

/** `{"status": 404, "error": "Not Found"}` or 422 `{"errors": {"field": ["message"]}}` */
export const errorBodySchema = z.union([
  z.looseObject({ status: z.number().optional(), error: z.string() }),
  z.looseObject({ errors: z.record(z.string(), z.array(z.string())) }),
]);

/** Doorkeeper token response. */
export const tokenResponseSchema = z.looseObject({
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.number().nullish(),
  refresh_token: z.string().nullish(),
  scope: z.string().nullish(),
  created_at: z.number().nullish(),
});
export type SalesloftTokenResponse = z.infer<typeof tokenResponseSchema>;
