import { decodeGlobalID } from "@pothos/plugin-relay";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The database id behind a global id of the given type, or null when the id is malformed or
 * names another type. Callers then behave exactly as for an id that does not exist.
 */
export function localId(globalId: string, typename: string): string | null {
  try {
    const { typename: actual, id } = decodeGlobalID(globalId);
    return actual === typename && UUID.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** The types node(id)/nodes(ids) can load. */
const NODE_TYPES = new Set(["Account", "Call", "Deal", "User", "Workspace"]);
const NO_ROW = "00000000-0000-0000-0000-000000000000";

/**
 * Relay's global-id decoder for node(id) and nodes(ids): a malformed id, an id of no node type or
 * one whose local part is not a UUID decodes to an id no row has, so the lookup answers null
 * exactly as for an id that does not exist (instead of an error that tells the ids apart).
 */
export function decodeNodeGlobalId(globalId: string): { typename: string; id: string } {
  try {
    const { typename, id } = decodeGlobalID(globalId);
    if (NODE_TYPES.has(typename) && UUID.test(id)) return { typename, id };
  } catch {
    // fall through: answered like an unknown id
  }
  return { typename: "Workspace", id: NO_ROW };
}
