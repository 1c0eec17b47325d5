/**
 * Who a verified token speaks for: the user's workspace, role and email, read from the database
 * and cached in this process, so a request costs no SQL statement for its viewer.
 *
 * The cache must never outlive a change: a user removed, or their role, email or workspace
 * changed, is served fresh by every process as soon as the change commits. The database says so
 * itself: a trigger on "User" (prisma/migrations/*_viewer_changed) NOTIFYs `callsync_viewer_changed`
 * with the user's id, PostgreSQL delivers it at commit to every process that LISTENs, whoever
 * made the change (an API, a worker, psql). So that no notification is ever missed:
 *   - entries are served only while the LISTEN connection is up; when it drops, the cache is
 *     emptied and bypassed until a new connection listens again;
 *   - a lookup that raced with any invalidation (or a reconnect) is used for its request but not
 *     stored, so a row read just before a change cannot be cached after it;
 *   - entries also expire after ENTRY_TTL_MS, a bound should anything else go wrong.
 * Without a listener (the embedded database is one session, where LISTEN reaches no one) every
 * request reads its viewer.
 */
import pg from "pg";
import type { Db } from "../db/client.js";
import type { Viewer } from "../graphql/context.js";
import type { Logger } from "../logger.js";
import type { TokenClaims } from "./tokens.js";

export interface ViewerDirectory {
  /** The viewer a token's claims name, or null when no such user is in that workspace. */
  lookup(claims: TokenClaims): Promise<Viewer | null>;
  close(): Promise<void>;
}

export const VIEWER_CHANNEL = "callsync_viewer_changed";
const ENTRY_TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 50_000;
const RECONNECT_MS = 1_000;

function readViewer(prisma: Db, claims: TokenClaims): Promise<Viewer | null> {
  return prisma.user
    .findFirst({
      where: { id: claims.userId, workspaceId: claims.workspaceId },
      select: { id: true, workspaceId: true, role: true, email: true },
    })
    .then((u) => (u ? { userId: u.id, workspaceId: u.workspaceId, role: u.role, email: u.email } : null));
}

/** Every request reads its viewer: for the embedded database, and as the reference behaviour. */
export function uncachedViewers(prisma: Db): ViewerDirectory {
  return { lookup: (claims) => readViewer(prisma, claims), close: async () => {} };
}

export function cachedViewers(prisma: Db, databaseUrl: string, log: Logger): ViewerDirectory {
  const entries = new Map<string, { viewer: Viewer; expires: number }>();
  /** Bumped by every invalidation and every loss of the listener: a lookup that saw it change is not stored. */
  let epoch = 0;
  let listening = false;
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;

  const forget = (userId: string) => {
    epoch++;
    if (userId === "*") entries.clear();
    // Keys are "userId:workspaceId"; a user has one workspace, but a token may name another.
    else for (const key of entries.keys()) if (key.startsWith(`${userId}:`)) entries.delete(key);
  };

  const lost = (error?: unknown) => {
    if (listening && error)
      log.warn({ err: error }, "viewer cache: LISTEN connection lost; reading viewers until it is back");
    listening = false;
    epoch++;
    entries.clear();
    const c = client;
    client = null;
    c?.removeAllListeners();
    c?.on("error", () => {});
    void c?.end().catch(() => {});
    if (!closed && !retry) retry = setTimeout(connect, RECONNECT_MS);
  };

  async function connect(): Promise<void> {
    retry = null;
    if (closed) return;
    const c = new pg.Client({ connectionString: databaseUrl, application_name: "callsync viewer cache" });
    client = c;
    c.on("error", lost);
    c.on("end", () => client === c && lost(new Error("connection ended")));
    c.on("notification", (n) => n.channel === VIEWER_CHANNEL && forget(n.payload ?? "*"));
    try {
      await c.connect();
      await c.query(`LISTEN ${VIEWER_CHANNEL}`);
      if (client !== c || closed) return;
      // Whatever changed while nobody listened is unknown: start empty.
      epoch++;
      entries.clear();
      listening = true;
    } catch (error) {
      if (client === c) lost(error);
    }
  }
  const ready = connect();

  return {
    async lookup(claims) {
      const key = `${claims.userId}:${claims.workspaceId}`;
      const hit = listening ? entries.get(key) : undefined;
      if (hit && hit.expires > Date.now()) return hit.viewer;
      const seen = epoch;
      const viewer = await readViewer(prisma, claims);
      if (viewer && listening && seen === epoch) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
        entries.set(key, { viewer, expires: Date.now() + ENTRY_TTL_MS });
      } else if (!viewer) entries.delete(key);
      return viewer;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await ready;
      listening = false;
      const c = client;
      client = null;
      c?.removeAllListeners();
      c?.on("error", () => {});
      await c?.end().catch(() => {});
    },
  };
}
