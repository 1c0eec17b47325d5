/**
 * Zod shapes of the Clari Copilot REST API JSON (https://rest-api.copilot.clari.com).
 * Lenient to fields we do not use (looseObject keeps them, so the simulator can serve recorded
 * payloads unchanged), strict on the ones the mappers read. No defaults or transforms: a parsed
 * payload is the payload as the provider sent it.
 */
import { z } from "zod";
import { anyItems } from "../records.js";

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "not an ISO date-time");
/** CRM ids are strings in every sample; HubSpot ids could plausibly arrive as numbers. */
const crmId = z.union([z.string(), z.number()]);

/** `GET /users` → `users[]`. */
export const ClariUserSchema = z.looseObject({
  id: z.string().min(1),
  email: z.string().nullish(),
  name: z.string().nullish(),
  role: z.string().nullish(),
  is_recording: z.boolean().nullish(),
});
export type ClariUser = z.infer<typeof ClariUserSchema>;

export const ClariPaginationSchema = z.looseObject({
  matched: z.number().int().nonnegative().nullish(),
  hasMore: z.boolean().nullish(),
  nextPageSkip: z.number().int().nonnegative().nullish(),
});
export type ClariPagination = z.infer<typeof ClariPaginationSchema>;

export const ClariUsersResponseSchema = z.looseObject({
  users: z.array(ClariUserSchema),
  /** Not seen in real answers; honoured when present ([I] whether /users pages). */
  pagination: ClariPaginationSchema.nullish(),
});

/** `calls[].users[]`: the Copilot users on the call — the internal participants. */
export const ClariCallUserSchema = z.looseObject({
  userId: z.string().min(1),
  userEmail: z.string().nullish(),
  isOrganizer: z.boolean().nullish(),
  /** Transcript speaker id; 0 is a valid id. */
  personId: z.number().int().nullish(),
});
export type ClariCallUser = z.infer<typeof ClariCallUserSchema>;

/** `externalParticipants[]` (invited) and `joinedParticipants[]` (who joined). */
export const ClariPersonSchema = z.looseObject({
  name: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  personId: z.number().int().nullish(),
});
export type ClariPerson = z.infer<typeof ClariPersonSchema>;

export const ClariCrmInfoSchema = z.looseObject({
  /** Spelling not confirmed ("salesforce" / "SALESFORCE" / "hubspot"): compared case-insensitively. */
  source_crm: z.string().nullish(),
  deal_id: crmId.nullish(),
  account_id: crmId.nullish(),
  contact_ids: z.array(crmId).nullish(),
});
export type ClariCrmInfo = z.infer<typeof ClariCrmInfoSchema>;

export const ClariMetricsSchema = z.looseObject({
  /** Seconds. */
  call_duration: z.number().nonnegative().nullish(),
});

/** One element of `GET /calls` → `calls[]`. */
export const ClariCallSchema = z.looseObject({
  id: z.string().min(1),
  title: z.string().nullish(),
  users: z.array(ClariCallUserSchema).nullish(),
  externalParticipants: z.array(ClariPersonSchema).nullish(),
  joinedParticipants: z.array(ClariPersonSchema).nullish(),
  /** Kept a string: an unknown new status must not fail a whole page (see mappers.readinessOf). */
  status: z.string(),
  type: z.string().nullish(),
  /** Start (or scheduled start) of the call. */
  time: isoDate,
  last_modified_time: isoDate.nullish(),
  crm_info: ClariCrmInfoSchema.nullish(),
  metrics: ClariMetricsSchema.nullish(),
  call_review_page_url: z.string().nullish(),
});
export type ClariCall = z.infer<typeof ClariCallSchema>;

export const ClariTranscriptSegmentSchema = z.looseObject({
  text: z.string(),
  /** Seconds (float) from the start of the call. */
  start: z.number(),
  end: z.number(),
  personId: z.number().int().nullish(),
  annotations: z.array(z.looseObject({})).nullish(),
});
export type ClariTranscriptSegment = z.infer<typeof ClariTranscriptSegmentSchema>;

/** Timestamps are strings in the tap schema, numbers in some answers; we do not use them. */
const looseTimestamp = z.union([z.string(), z.number()]).nullish();

export const ClariSummarySchema = z.looseObject({
  full_summary: z.string().nullish(),
  topics_discussed: z
    .array(
      z.looseObject({
        name: z.string().nullish(),
        summary: z.string().nullish(),
        start_timestamp: looseTimestamp,
        end_timestamp: looseTimestamp,
      }),
    )
    .nullish(),
  key_action_items: z
    .array(
      z.looseObject({
        action_item: z.string(),
        /** A display name, not an id. */
        speaker_name: z.string().nullish(),
        start_timestamp: looseTimestamp,
        end_timestamp: looseTimestamp,
      }),
    )
    .nullish(),
  /** Read by one unattributed client; shape unknown ([I]): strings are used, anything else ignored. */
  key_takeaways: z.unknown().optional(),
});
export type ClariSummary = z.infer<typeof ClariSummarySchema>;

/** `GET /call-details?id=` → `call`: the list fields plus transcript and AI content. */
export const ClariCallDetailsSchema = ClariCallSchema.extend({
  transcript: z.array(ClariTranscriptSegmentSchema).nullish(),
  summary: ClariSummarySchema.nullish(),
});
export type ClariCallDetails = z.infer<typeof ClariCallDetailsSchema>;

export const ClariCallsResponseSchema = z.looseObject({
  calls: z.array(ClariCallSchema),
  /** Absent with `includePagination=false`. */
  pagination: ClariPaginationSchema.nullish(),
});
export type ClariCallsResponse = z.infer<typeof ClariCallsResponseSchema>;

/**
 * What the client parses: the envelopes strictly, each call or user on its own
 * (src/providers/records.ts), so one record of an unexpected shape never fails its page.
 */
export const ClariCallsEnvelopeSchema = ClariCallsResponseSchema.extend({
  calls: anyItems,
  pagination: z.unknown().optional(),
});
export const ClariUsersEnvelopeSchema = ClariUsersResponseSchema.extend({
  users: anyItems,
  pagination: z.unknown().optional(),
});

/**
 * `pagination` as the client reads it: an unreadable one counts as absent (pages are then read
 * while full), so an odd paging field never fails the listing.
 */
export function readClariPagination(raw: unknown): ClariPagination | null {
  const parsed = ClariPaginationSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** `GET /call-details` as the client reads it: the call on its own, its transcript segment by segment. */
export const ClariCallDetailsEnvelopeSchema = z.looseObject({ call: z.unknown().optional() });
export const ClariCallDetailsRecordSchema = ClariCallSchema.extend({
  transcript: z.unknown().optional(),
  summary: ClariSummarySchema.nullish(),
});

export const ClariCallDetailsResponseSchema = z.looseObject({ call: ClariCallDetailsSchema });
export type ClariCallDetailsResponse = z.infer<typeof ClariCallDetailsResponseSchema>;

/** The error bodies we expect ([I], API Gateway style); only used to tell a weekly quota from a burst. */
export const ClariErrorBodySchema = z.looseObject({ message: z.string().optional(), error: z.string().optional() });
