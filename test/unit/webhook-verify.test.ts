/** Salesloft delivery signatures (hex HMAC-SHA1 of the raw body keyed by callback_token) and event parsing. */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifySalesloft } from "../../src/webhooks/verify.js";

const secret = "callback-token-of-the-subscription";
const sign = (body: string, key = secret) => createHmac("sha1", key).update(body).digest("hex");
/** `null`: no signature header. */
const deliver = (event: string | undefined, body: string, signature: string | null = sign(body)) =>
  verifySalesloft({ body: Buffer.from(body), event, signature: signature ?? undefined, secret });

describe("Salesloft webhook verification", () => {
  it("a signed conversation event names that conversation; a transcription event names its conversation", () => {
    const conv = JSON.stringify({ id: "c-1", title: "Discovery" });
    expect(deliver("conversation_updated", conv)).toEqual({
      ok: true,
      value: { kind: "CALLS", providerCallIds: ["c-1"] },
    });
    const tr = JSON.stringify({ id: "t-9", conversation: { id: "c-2" } });
    expect(deliver("transcription_created", tr)).toEqual({
      ok: true,
      value: { kind: "CALLS", providerCallIds: ["c-2"] },
    });
  });

  it("unsigned, mis-signed and tampered deliveries are refused", () => {
    const body = JSON.stringify({ id: "c-1" });
    expect(deliver("conversation_created", body, null)).toMatchObject({
      ok: false,
      failure: { status: 401, code: "WEBHOOK_UNSIGNED" },
    });
    expect(deliver("conversation_created", body, sign(body, "another token"))).toMatchObject({
      ok: false,
      failure: { code: "WEBHOOK_BAD_SIGNATURE" },
    });
    expect(deliver("conversation_created", JSON.stringify({ id: "c-2" }), sign(body))).toMatchObject({
      ok: false,
      failure: { code: "WEBHOOK_BAD_SIGNATURE" },
    });
    expect(deliver("conversation_created", body, "zz")).toMatchObject({ ok: false, failure: { status: 401 } });
  });

  it("malformed bodies are 400; authentic events of other kinds are acknowledged and import nothing", () => {
    expect(deliver("conversation_created", "{oops")).toMatchObject({ ok: false, failure: { status: 400 } });
    expect(deliver("transcription_updated", JSON.stringify({ id: "t-1" }))).toMatchObject({
      ok: false,
      failure: { code: "WEBHOOK_MALFORMED" },
    });
    expect(deliver("user_updated", JSON.stringify({ id: 5 }))).toMatchObject({ ok: true, value: { kind: "IGNORED" } });
  });
});
