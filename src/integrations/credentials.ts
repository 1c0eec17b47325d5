/**
 * The CredentialSession a provider client uses for one integration.
 *
 * OAuth access tokens are refreshed ahead of expiry and when the provider rejects them. Refresh
 * tokens are single use, so exactly one refresh may be in flight per integration across every
 * process: a refresh takes the integration row's lock (SELECT … FOR UPDATE), re-reads the
 * stored credentials, and reuses them if another process refreshed meanwhile; otherwise it
 * refreshes, stores the rotated pair, and only then releases the lock. A refresh the provider
 * refuses (invalid_grant) puts the integration in RECONNECT_NEEDED.
 */
import type { Db } from "../db/client.js";
import { ProviderError } from "../providers/errors.js";
import type { CredentialSession, OAuthFlow, ProviderCredentials } from "../providers/types.js";
import type { CredentialCipher } from "./crypto.js";

export interface SessionDeps {
  prisma: Db;
  cipher: CredentialCipher;
  integrationId: string;
  oauth: OAuthFlow | null;
  /** Refresh this long before the access token expires. */
  refreshAheadMs?: number;
  /** Called when the provider refused the credentials for good. */
  onRevoked?: (error: ProviderError) => Promise<void>;
}

const inFlight = new Map<string, Promise<ProviderCredentials>>();

export function createCredentialSession(deps: SessionDeps): CredentialSession {
  const { prisma, cipher, integrationId } = deps;
  const ahead = deps.refreshAheadMs ?? 5 * 60_000;

  async function load(): Promise<ProviderCredentials> {
    const row = await prisma.integration.findUnique({ where: { id: integrationId }, select: { credentials: true } });
    if (!row?.credentials)
      throw new ProviderError("AUTH_FAILED", "The integration has no stored credentials; reconnect it");
    return cipher.open(row.credentials, integrationId);
  }

  async function refreshLocked(stale: ProviderCredentials): Promise<ProviderCredentials> {
    const oauth = deps.oauth;
    if (stale.kind !== "oauth" || !oauth)
      throw new ProviderError("AUTH_FAILED", "The provider rejected the credentials");
    try {
      return await prisma.$transaction(
        async (tx) => {
          const rows = await tx.$queryRaw<{ credentials: Uint8Array | null }[]>`
            SELECT credentials FROM "Integration" WHERE id = ${integrationId}::uuid FOR UPDATE`;
          const sealed = rows[0]?.credentials;
          if (!sealed)
            throw new ProviderError("AUTH_FAILED", "The integration has no stored credentials; reconnect it");
          const stored = cipher.open(sealed, integrationId);
          if (stored.kind !== "oauth") return stored;
          // Another process refreshed while we waited for the lock: use its tokens.
          if (stored.accessToken !== stale.accessToken && !expiresSoon(stored, ahead)) return stored;
          if (!stored.refreshToken)
            throw new ProviderError("AUTH_FAILED", "No refresh token; reconnect the integration");
          const fresh = await oauth.refresh(stored.refreshToken);
          const next: ProviderCredentials = {
            ...fresh,
            refreshToken: fresh.refreshToken ?? stored.refreshToken,
            apiBaseUrl: fresh.apiBaseUrl ?? stored.apiBaseUrl,
          };
          await tx.integration.update({
            where: { id: integrationId },
            data: {
              credentials: cipher.seal(next, integrationId),
              credentialsKeyId: cipher.currentKeyId,
              credentialsVersion: { increment: 1 },
              tokenExpiresAt: next.expiresAt === null ? null : new Date(next.expiresAt),
            },
          });
          return next;
        },
        { timeout: 60_000, maxWait: 30_000 },
      );
    } catch (e) {
      if (e instanceof ProviderError && e.kind === "RECONNECT_NEEDED") await deps.onRevoked?.(e);
      throw e;
    }
  }

  function refresh(stale: ProviderCredentials): Promise<ProviderCredentials> {
    // One refresh per integration in this process; the row lock covers other processes.
    const running = inFlight.get(integrationId);
    if (running) return running;
    const p = refreshLocked(stale).finally(() => inFlight.delete(integrationId));
    inFlight.set(integrationId, p);
    return p;
  }

  return {
    async current() {
      const creds = await load();
      return expiresSoon(creds, ahead) ? refresh(creds) : creds;
    },
    refresh,
  };
}

function expiresSoon(creds: ProviderCredentials, aheadMs: number): boolean {
  return creds.kind === "oauth" && creds.expiresAt !== null && creds.expiresAt - Date.now() < aheadMs;
}
