/**
 * Bearer tokens: HS256 JWTs naming the user (`sub`) and the workspace (`wid`). Any identity
 * provider that can mint such a token (or a gateway that swaps its own token for one) plugs in
 * here; see README "Authentication".
 *
 * A token is accepted only when it expires (`exp` is required) within the configured maximum
 * lifetime, and when `sub` and `wid` have the shape of callsync ids, so nothing a forger
 * chooses reaches a database query.
 */
import { jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type { Config } from "../config.js";

export interface TokenClaims {
  userId: string;
  workspaceId: string;
}

/** A verified token's claims and when it stops being valid (ms epoch): subscriptions end then. */
export interface VerifiedToken extends TokenClaims {
  expiresAt: number;
}

/**
 * The HMAC key of a secret, imported once as a Web Crypto key: jose's verification runs on Web
 * Crypto, and handed raw bytes or a KeyObject it imports a key for every signature it checks
 * (~6% of serve's CPU per request on the hot reads).
 */
const keys = new Map<string, Promise<CryptoKey>>();
function key(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    k = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    if (keys.size > 16) keys.clear();
    keys.set(secret, k);
    // A key that could not be imported is not kept: the next call tries again.
    k.catch(() => keys.delete(secret));
  }
  return k;
}

const claims = z.object({ sub: z.uuid(), wid: z.uuid(), exp: z.number(), iat: z.number().optional() });

export async function mintToken(
  jwt: Pick<Config["jwt"], "secret" | "issuer" | "audience">,
  claims: TokenClaims,
  expiresIn: string | number = "12h",
): Promise<string> {
  return new SignJWT({ wid: claims.workspaceId })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.userId)
    .setIssuer(jwt.issuer)
    .setAudience(jwt.audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(await key(jwt.secret));
}

/** Returns the claims, or null for a missing, malformed, expired, too long-lived or foreign token. */
export async function verifyToken(jwt: Config["jwt"], token: string): Promise<VerifiedToken | null> {
  try {
    const { payload } = await jwtVerify(token, await key(jwt.secret), {
      issuer: jwt.issuer,
      audience: jwt.audience,
      algorithms: ["HS256"],
      requiredClaims: ["exp", "sub", "wid"],
    });
    const parsed = claims.safeParse(payload);
    if (!parsed.success) return null;
    const { sub, wid, exp, iat } = parsed.data;
    // Without iat the lifetime counts from now: a token may never reach further than the maximum.
    const issuedAt = Math.min(iat ?? Date.now() / 1000, Date.now() / 1000);
    if (exp - issuedAt > jwt.maxLifetimeSeconds) return null;
    return { userId: sub, workspaceId: wid, expiresAt: exp * 1000 };
  } catch {
    return null;
  }
}

export function bearer(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1] ?? null;
}
