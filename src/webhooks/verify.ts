/**
 * Authenticity and shape of one provider delivery. Each check answers a stable code; the route
 * turns a failure into a 4xx and stores nothing.
 *
 * Gong (providers/gong.md §8): an automation rule's "Fire webhook" posts
 * `{callData: <the /v2/calls/extensive shape>, isPrivate, isTest}`. With the signed-JWT option
 * the `Authorization` header carries an RS256 JWT verified with the rule's public key; its
 * claims bind it to this URL (`webhook_url`) and to this body (`body_sha256`, hex or base64 of
 * the SHA-256 of the raw body) [I: claim names as Gong's rule page describes them], and `exp`
 * bounds a replay in time (the delivery table bounds it for good).
 *
 * Salesloft (providers/salesloft.md §9): `x-salesloft-event` names the event,
 * `x-salesloft-signature` is the hex HMAC-SHA1 of the raw body keyed by the callback_token.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { importSPKI, jwtVerify } from "jose";
import { z } from "zod";
import { gongCallData } from "../providers/gong/schemas.js";

export type VerifyFailure =
  | { status: 401; code: "WEBHOOK_UNSIGNED" | "WEBHOOK_BAD_SIGNATURE"; message: string }
  | { status: 400; code: "WEBHOOK_MALFORMED"; message: string };

export type Verified =
  | { kind: "CALLS"; providerCallIds: string[] }
  | { kind: "TEST" }
  /** An authentic event of a kind callsync does not import (acknowledged, nothing stored). */
  | { kind: "IGNORED"; reason: string };

export type VerifyResult = { ok: true; value: Verified } | { ok: false; failure: VerifyFailure };

const fail = (status: 400 | 401, code: VerifyFailure["code"], message: string): VerifyResult =>
  ({ ok: false, failure: { status, code, message } }) as VerifyResult;

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

const gongPayload = z.looseObject({
  callData: gongCallData,
  isTest: z.boolean().optional(),
  isPrivate: z.boolean().optional(),
});

const gongClaims = z.looseObject({ webhook_url: z.string().optional(), body_sha256: z.string() });

export interface GongDelivery {
  body: Buffer;
  authorization: string | undefined;
  /** The PEM key configured for the rule, or null (the URL alone authenticates). */
  publicKey: string | null;
  /** The path this delivery was posted to, compared with the JWT's webhook_url. */
  path: string;
}

export async function verifyGong(d: GongDelivery): Promise<VerifyResult> {
  if (d.publicKey !== null) {
    const jwt = d.authorization?.replace(/^Bearer\s+/i, "").trim();
    if (!jwt) return fail(401, "WEBHOOK_UNSIGNED", "This endpoint expects Gong's signed JWT in Authorization.");
    let claims: unknown;
    try {
      const key = await importSPKI(d.publicKey, "RS256");
      claims = (await jwtVerify(jwt, key, { algorithms: ["RS256"], requiredClaims: ["exp"] })).payload;
    } catch {
      return fail(401, "WEBHOOK_BAD_SIGNATURE", "The JWT does not verify with the configured public key, or expired.");
    }
    const parsed = gongClaims.safeParse(claims);
    if (!parsed.success) return fail(401, "WEBHOOK_BAD_SIGNATURE", "The JWT does not name the body it signs.");
    const digest = createHash("sha256").update(d.body).digest();
    const claimed = parsed.data.body_sha256;
    const matches =
      claimed === digest.toString("hex") ||
      claimed.replace(/=+$/, "") === digest.toString("base64url") ||
      claimed === digest.toString("base64");
    if (!matches) return fail(401, "WEBHOOK_BAD_SIGNATURE", "The body is not the one the JWT signs.");
    if (parsed.data.webhook_url !== undefined && urlPath(parsed.data.webhook_url) !== d.path)
      return fail(401, "WEBHOOK_BAD_SIGNATURE", "The JWT was issued for another webhook URL.");
  }
  const json = parseJson(d.body);
  if (json === undefined) return fail(400, "WEBHOOK_MALFORMED", "The body is not JSON.");
  const payload = gongPayload.safeParse(json);
  if (!payload.success) return fail(400, "WEBHOOK_MALFORMED", "The body is not Gong's call webhook payload.");
  if (payload.data.isTest) return { ok: true, value: { kind: "TEST" } };
  const id = payload.data.callData.metaData?.id;
  if (id === undefined || id === null || String(id) === "")
    return fail(400, "WEBHOOK_MALFORMED", "The payload names no call (callData.metaData.id).");
  return { ok: true, value: { kind: "CALLS", providerCallIds: [String(id)] } };
}

function urlPath(url: string): string | null {
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

export const SALESLOFT_EVENTS = [
  "conversation_created",
  "conversation_updated",
  // Imported like the others: the call is read again, and a conversation Salesloft no longer
  // returns is marked deleted upstream (engine.importAnnouncedCalls), so a forged or replayed
  // delete cannot hide a call that still exists.
  "conversation_deleted",
  "transcription_created",
  "transcription_updated",
] as const;

const salesloftBody = z.looseObject({
  id: z.union([z.string(), z.number()]).optional(),
  conversation: z.looseObject({ id: z.union([z.string(), z.number()]) }).nullish(),
  conversation_id: z.union([z.string(), z.number()]).nullish(),
});

export interface SalesloftDelivery {
  body: Buffer;
  event: string | undefined;
  signature: string | undefined;
  secret: string;
}

export function verifySalesloft(d: SalesloftDelivery): VerifyResult {
  if (!d.signature) return fail(401, "WEBHOOK_UNSIGNED", "Salesloft deliveries carry x-salesloft-signature.");
  const expected = createHmac("sha1", d.secret).update(d.body).digest();
  const given = Buffer.from(d.signature.trim(), "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return fail(401, "WEBHOOK_BAD_SIGNATURE", "x-salesloft-signature does not match the body.");
  const json = parseJson(d.body);
  if (json === undefined) return fail(400, "WEBHOOK_MALFORMED", "The body is not JSON.");
  const event = d.event ?? "";
  if (!(SALESLOFT_EVENTS as readonly string[]).includes(event))
    return { ok: true, value: { kind: "IGNORED", reason: `event ${event || "(none)"} is not imported` } };
  const body = salesloftBody.safeParse(json);
  if (!body.success) return fail(400, "WEBHOOK_MALFORMED", "The body is not a Salesloft conversation event.");
  // A conversation event is the conversation; a transcription event names its conversation.
  const id = event.startsWith("conversation_")
    ? body.data.id
    : (body.data.conversation?.id ?? body.data.conversation_id ?? undefined);
  if (id === undefined || String(id) === "") return fail(400, "WEBHOOK_MALFORMED", "The event names no conversation.");
  return { ok: true, value: { kind: "CALLS", providerCallIds: [String(id)] } };
}
