/** Strong, freshly generated secrets: what a production deployment configures. */
import { randomBytes } from "node:crypto";

export function productionSecrets(): Record<string, string> {
  return {
    JWT_SECRET: randomBytes(48).toString("base64"),
    CREDENTIALS_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    PURGE_AUDIT_KEY: randomBytes(32).toString("base64"),
  };
}

/** The raw `Set-Cookie` headers of a response. */
export const setCookies = (res: Response) => res.headers.getSetCookie();
