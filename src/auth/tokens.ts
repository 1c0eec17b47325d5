/**
 * Bearer tokens: HS256 JWTs naming the user (`sub`) and the workspace (`wid`). Any identity
 * provider that can mint such a token (or a gateway that swaps its own token for one) plugs in
 * here; see README "Authentication".
 */
import { jwtVerify, SignJWT } from "jose";
import type { Config } from "../config.js";

export interface TokenClaims {
  userId: string;
  workspaceId: string;
}

const key = (secret: string) => new TextEncoder().encode(secret);

export async function mintToken(
  jwt: Config["jwt"],
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
    .sign(key(jwt.secret));
}

/** Returns the claims, or null for a missing, malformed, expired or foreign token. */
export async function verifyToken(jwt: Config["jwt"], token: string): Promise<TokenClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key(jwt.secret), {
      issuer: jwt.issuer,
      audience: jwt.audience,
      algorithms: ["HS256"],
    });
    if (typeof payload.sub !== "string" || typeof payload.wid !== "string") return null;
    return { userId: payload.sub, workspaceId: payload.wid };
  } catch {
    return null;
  }
}

export function bearer(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1] ?? null;
}
