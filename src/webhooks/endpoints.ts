/**
 * Per-integration webhook endpoints: an unguessable URL (`/webhooks/<token>`, 32 random bytes)
 * and a signing secret, both sealed at rest with the credentials cipher (bound to
 * "webhook:<integration id>", so neither opens as credentials nor on another integration). The
 * row is found by the token's SHA-256, never by the token itself.
 *
 * How each provider authenticates a delivery:
 * - Gong: the URL is the secret; when the admin pastes the public key Gong shows for the
 *   automation rule, every delivery must also carry Gong's signed JWT (verified in gong.ts).
 * - Salesloft: the secret is the subscription's `callback_token`; every delivery carries
 *   `x-salesloft-signature`, the hex HMAC-SHA1 of the raw body keyed by it.
 */
import { createHash, createPublicKey, randomBytes } from "node:crypto";
import type { Db } from "../db/client.js";
import type { CallProvider } from "../generated/prisma/enums.js";
import type { CredentialCipher } from "../integrations/crypto.js";

export const WEBHOOK_PATH_PREFIX = "/webhooks/";
/** 32 random bytes, base64url. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface WebhookSecrets {
  token: string;
  secret: string;
}

export interface WebhookView {
  url: string;
  /** Salesloft's callback_token; null for Gong (its URL is the secret). */
  secret: string | null;
  publicKeyConfigured: boolean;
  rotatedAt: Date;
  setupInstructions: string;
}

export const tokenHash = (token: string) => createHash("sha256").update(token).digest("base64url");
const boundTo = (integrationId: string) => `webhook:${integrationId}`;

export class WebhookError extends Error {
  constructor(
    readonly code: "WEBHOOK_PUBLIC_KEY_INVALID" | "WEBHOOK_NOT_SUPPORTED",
    message: string,
  ) {
    super(message);
  }
}

/** Checks a PEM public key (SPKI) the way the verifier will read it; returns it normalised. */
export function normalisePublicKey(pem: string): string {
  try {
    const key = createPublicKey(pem.trim());
    if (key.asymmetricKeyType !== "rsa")
      throw new WebhookError("WEBHOOK_PUBLIC_KEY_INVALID", "Gong signs webhooks with an RSA key.");
    return key.export({ type: "spki", format: "pem" }).toString();
  } catch (e) {
    if (e instanceof WebhookError) throw e;
    throw new WebhookError(
      "WEBHOOK_PUBLIC_KEY_INVALID",
      "Paste the public key from Gong's webhook rule (PEM, '-----BEGIN PUBLIC KEY-----').",
    );
  }
}

export class WebhookEndpoints {
  constructor(
    private readonly prisma: Db,
    private readonly cipher: CredentialCipher,
    private readonly publicUrl: string,
  ) {}

  /** Creates the endpoint, or replaces its URL and secret (the old ones stop working at once). */
  async rotate(integrationId: string, provider: CallProvider): Promise<void> {
    if (provider === "CLARI_COPILOT")
      throw new WebhookError("WEBHOOK_NOT_SUPPORTED", "Clari Copilot does not send call webhooks.");
    const secrets: WebhookSecrets = {
      token: randomBytes(32).toString("base64url"),
      secret: randomBytes(32).toString("base64url"),
    };
    const data = {
      tokenHash: tokenHash(secrets.token),
      sealed: this.cipher.sealValue(secrets, boundTo(integrationId)),
      sealedKeyId: this.cipher.currentKeyId,
      rotatedAt: new Date(),
    };
    await this.prisma.webhookEndpoint.upsert({
      where: { integrationId },
      create: { integrationId, ...data },
      update: data,
    });
  }

  async setPublicKey(integrationId: string, pem: string | null): Promise<void> {
    const publicKey = pem === null || pem.trim() === "" ? null : normalisePublicKey(pem);
    await this.prisma.webhookEndpoint.update({ where: { integrationId }, data: { publicKey } });
  }

  open(integrationId: string, sealed: Uint8Array): WebhookSecrets {
    return this.cipher.openValue<WebhookSecrets>(sealed, boundTo(integrationId));
  }

  urlFor(token: string): string {
    return new URL(`${WEBHOOK_PATH_PREFIX}${token}`, this.publicUrl).toString();
  }

  /** What an admin needs to set the webhook up at the provider; null when none was created. */
  async view(integrationId: string, provider: CallProvider): Promise<WebhookView | null> {
    const row = await this.prisma.webhookEndpoint.findUnique({ where: { integrationId } });
    if (!row) return null;
    const { token, secret } = this.open(integrationId, row.sealed);
    const url = this.urlFor(token);
    return {
      url,
      secret: provider === "SALESLOFT" ? secret : null,
      publicKeyConfigured: row.publicKey !== null,
      rotatedAt: row.rotatedAt,
      setupInstructions: instructions(provider, url),
    };
  }
}

function instructions(provider: CallProvider, url: string): string {
  if (provider === "GONG")
    return [
      "In Gong: Company settings → Automation rules → Create rule, with the conditions you want (e.g. all calls).",
      `Action "Fire webhook", URL ${url}.`,
      "Authentication: choose the signed JWT header, then paste the public key Gong shows into callsync",
      "(setWebhookPublicKey); from then on unsigned deliveries are refused. Without a key the URL alone authenticates: keep it secret.",
      "Use Gong's 'Test' button: test deliveries are acknowledged and not stored.",
    ].join(" ");
  return [
    `In Salesloft: create a webhook subscription (POST /v2/webhook_subscriptions) with callback_url ${url},`,
    "callback_token set to the secret shown here, for each event type conversation_created, conversation_updated,",
    "transcription_created and transcription_updated. Every delivery must carry x-salesloft-signature.",
  ].join(" ");
}
