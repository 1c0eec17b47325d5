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
