/**
 * Tenant-proof connection cursors.
 *
 * A cursor names a row id (Pothos's `GPC:` cursors), and Prisma positions a page by reading the
 * cursor row's sort values by id alone — without the list's filter. An id of another workspace's
 * row would place the caller's page by that row's hidden values, and bisection recovers them (a
 * deal's name, a call's start time). So every connection accepts only a cursor that is a row of
 * the caller's own list, and any other cursor — malformed, unknown, another workspace's, another
 * list's — is answered exactly alike:
 * - top-level lists look the cursor up within their own filter first (one indexed statement, only
 *   when a cursor is given) and refuse it with one code and one message;
 * - nested connections (loaded inside their parent's statement) add a condition that the cursor is
 *   a row of the same parent, so a foreign cursor reads an empty page like an unknown one.
 * Every connection in the schema uses one of the two (SECURITY.md, rule 4).
 */
import { badInput } from "./errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const FOREIGN_CURSOR_MESSAGE = "This cursor is not one of this list's. Start the list again without it.";

interface CursorArgs {
  after?: string | null;
  before?: string | null;
}

const refused = (args: CursorArgs) => badInput(FOREIGN_CURSOR_MESSAGE, args.after != null ? "after" : "before");

/** The row id a raw `after`/`before` names, or null without a cursor; anything unreadable is refused. */
function cursorRowId(args: CursorArgs): string | null {
  const raw = args.after ?? args.before;
  if (raw == null) return null;
  const decoded = Buffer.from(raw, "base64").toString("utf8");
  const id = decoded.startsWith("GPC:S:") ? decoded.slice(6) : "";
  if (!UUID.test(id)) throw refused(args);
  return id;
}

/**
 * For a top-level connection: the cursor Pothos parsed into the query must be a row that `inList`
 * finds within the caller's own list (workspace and filter), or the request is refused.
 */
export async function checkCursor(
  query: { cursor?: { id?: unknown } },
  args: CursorArgs,
  inList: (id: string) => Promise<unknown>,
): Promise<void> {
  if (query.cursor === undefined) return;
  const id = query.cursor.id;
  if (!(typeof id === "string" && UUID.test(id)) || !(await inList(id))) throw refused(args);
}

/**
 * For a nested connection's `query`: a condition that holds only when the cursor is a row of the
 * same parent (`sameParent(id)` names the parent's relation back to the cursor row), or `{}`
 * without a cursor. A foreign or unknown cursor then reads an empty page, alike.
 */
export function cursorOfSameParent<W>(args: CursorArgs, sameParent: (id: string) => W): W | Record<string, never> {
  const id = cursorRowId(args);
  return id === null ? {} : sameParent(id);
}
