import { ConfigError } from "./config.js";
/**
 * Is a configured secret fit for production? A secret that anyone can read in this repository,
 * or that a person typed instead of generating (`aaaa…`, all-zero bytes, a repeated pattern),
 * protects nothing: every token it signs or every credential it seals can be forged or opened.
 *
 * The strength check is an estimate, not a proof: the Shannon entropy of the secret's own byte
 * frequencies times its length. Generated material (`openssl rand -base64 32`) scores 140+ bits;
 * typed or patterned values score far below the threshold.
 */

/** Bits the frequency estimate must reach (32 random bytes score about 150). */
export const MIN_ESTIMATED_BITS = 120;
export const MIN_SECRET_BYTES = 32;

function estimatedBits(bytes: Uint8Array): number {
  const counts = new Map<number, number>();
  for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
  let perSymbol = 0;
  for (const n of counts.values()) {
    const p = n / bytes.length;
    perSymbol -= p * Math.log2(p);
  }
  return perSymbol * bytes.length;
}

/** The shortest unit the whole value repeats (`abcabcabc` → 3), or null when it repeats none. */
function repeatedUnit(bytes: Uint8Array): number | null {
  for (let unit = 1; unit <= bytes.length / 2; unit++) {
    let repeats = true;
    for (let i = unit; i < bytes.length && repeats; i++) repeats = bytes[i] === bytes[i - unit];
    if (repeats) return unit;
  }
  return null;
}

/** Why `secret` is too weak for production, or null when it is fit. */
export function secretWeakness(secret: Uint8Array | string): string | null {
  const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (bytes.length < MIN_SECRET_BYTES) return `it is shorter than ${MIN_SECRET_BYTES} bytes`;
  const unit = repeatedUnit(bytes);
  if (unit !== null) return `it repeats a ${unit}-byte pattern`;
  const bits = estimatedBits(bytes);
  if (bits < MIN_ESTIMATED_BITS) return `it has low entropy (about ${Math.round(bits)} bits)`;
  return null;
}

/**
 * Throws, naming the variable, when a production secret is one of the repository's own
 * development values or too weak. `known` are the values published in this repository.
 */
export function assertProductionSecret(
  variable: string,
  secret: Uint8Array | string,
  known: readonly (Uint8Array | string)[],
): void {
  const asBytes = (v: Uint8Array | string) => Buffer.from(typeof v === "string" ? new TextEncoder().encode(v) : v);
  const value = asBytes(secret);
  if (known.some((k) => asBytes(k).equals(value)))
    throw new ConfigError(
      `Invalid configuration:\n  ${variable} is the repository's development value; generate a production secret (openssl rand -base64 32)`,
    );
  const weakness = secretWeakness(value);
  if (weakness)
    throw new ConfigError(
      `Invalid configuration:\n  ${variable} is too weak for production: ${weakness}; generate one (openssl rand -base64 32)`,
    );
}
