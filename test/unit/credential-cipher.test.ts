import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CredentialCipher } from "../../src/integrations/crypto.js";
import type { ProviderCredentials } from "../../src/providers/types.js";

const key = (id: string) => ({ id, key: randomBytes(32) });
const secret: ProviderCredentials = { kind: "apiKey", apiKey: "key-123", apiSecret: "s3cret-value" };

describe("provider credentials at rest (AES-256-GCM)", () => {
  it("round-trips and never contains the secret in clear", () => {
    const cipher = new CredentialCipher([key("k1")]);
    const sealed = cipher.seal(secret, "integration-a");
    expect(Buffer.from(sealed).toString("latin1")).not.toContain("s3cret-value");
    expect(cipher.open(sealed, "integration-a")).toEqual(secret);
  });

  it("records the key id, so a rotated configuration still opens old blobs and seals with the new key", () => {
    const old = key("2025");
    const sealedWithOld = new CredentialCipher([old]).seal(secret, "i");
    const rotated = new CredentialCipher([key("2026"), old]);
    expect(CredentialCipher.keyIdOf(sealedWithOld)).toBe("2025");
    expect(rotated.open(sealedWithOld, "i")).toEqual(secret);
    expect(CredentialCipher.keyIdOf(rotated.seal(secret, "i"))).toBe("2026");
  });

  it("refuses a blob moved to another integration, a tampered blob, and an unknown key", () => {
    const k = key("k1");
    const cipher = new CredentialCipher([k]);
    const sealed = cipher.seal(secret, "integration-a");
    expect(() => cipher.open(sealed, "integration-b")).toThrow();
    const tampered = Uint8Array.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => cipher.open(tampered, "integration-a")).toThrow();
    expect(() => new CredentialCipher([key("other")]).open(sealed, "integration-a")).toThrow(/unknown key "k1"/);
  });
});
