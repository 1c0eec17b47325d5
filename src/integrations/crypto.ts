/**
 * Provider credentials at rest: AES-256-GCM with a random 12-byte IV, the auth tag beside the
 * ciphertext, and the id of the key that sealed it, so keys can be rotated (the first configured
 * key seals, every configured key opens). The integration id is bound as associated data, so a
 * sealed blob copied onto another integration does not open.
 *
 * Envelope: version(1) | keyIdLength(1) | keyId | iv(12) | tag(16) | ciphertext
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { CredentialKey } from "../config.js";
import type { ProviderCredentials } from "../providers/types.js";

const VERSION = 1;

export class CredentialCipher {
  constructor(private readonly keys: readonly CredentialKey[]) {
    if (keys.length === 0) throw new Error("at least one credentials key is required");
  }

  get currentKeyId(): string {
    return this.keys[0]!.id;
  }

  seal(credentials: ProviderCredentials, integrationId: string): Uint8Array<ArrayBuffer> {
    return this.sealValue(credentials, integrationId);
  }

  open(sealed: Uint8Array, integrationId: string): ProviderCredentials {
    return this.openValue<ProviderCredentials>(sealed, integrationId);
  }

  /**
   * Any JSON value sealed the same way; `boundTo` is the associated data (callers that seal
   * something other than credentials prefix it, e.g. "webhook:<integration id>", so one kind of
   * blob never opens as another).
   */
  sealValue(value: unknown, boundTo: string): Uint8Array<ArrayBuffer> {
    const key = this.keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key.key, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    const keyId = Buffer.from(key.id, "utf8");
    return new Uint8Array(Buffer.concat([Buffer.from([VERSION, keyId.length]), keyId, iv, cipher.getAuthTag(), body]));
  }

  openValue<T>(sealed: Uint8Array, boundTo: string): T {
    const buf = Buffer.from(sealed);
    if (buf[0] !== VERSION) throw new Error("unknown credentials envelope version");
    const idLength = buf[1]!;
    const keyId = buf.subarray(2, 2 + idLength).toString("utf8");
    const key = this.keys.find((k) => k.id === keyId);
    if (!key) throw new Error(`credentials sealed with unknown key "${keyId}"`);
    const ivAt = 2 + idLength;
    const tagAt = ivAt + 12;
    const bodyAt = tagAt + 16;
    const decipher = createDecipheriv("aes-256-gcm", key.key, buf.subarray(ivAt, tagAt));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(buf.subarray(tagAt, bodyAt));
    const plain = Buffer.concat([decipher.update(buf.subarray(bodyAt)), decipher.final()]);
    return JSON.parse(plain.toString("utf8")) as T;
  }

  /** Key id of a sealed blob, to find credentials that still need re-sealing after a rotation. */
  static keyIdOf(sealed: Uint8Array): string {
    const buf = Buffer.from(sealed);
    return buf.subarray(2, 2 + buf[1]!).toString("utf8");
  }
}
