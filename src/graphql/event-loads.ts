/**
 * One database read per published event, shared by every subscriber that receives it.
 *
 * The pubsub hands the same event object to every subscription of its topic in this process,
 * so a read keyed by (event, field, Prisma query) is made once, whatever the number of
 * subscribers: 500 subscribers of one integration's progress cost one read per event, not 500.
 * Subscribers whose documents select differently, or whose rights shape the query (a role
 * filter in a nested relation), build a different query and get their own read. Entries go with
 * the event (a WeakMap), so nothing outlives its delivery.
 *
 * Sharing is safe because the rows are read-only to the resolvers, and Pothos records what a
 * row was loaded with per request context, not on the row.
 */
const loads = new WeakMap<object, Map<string, Promise<unknown>>>();

export function loadOncePerEvent<T>(event: object, field: string, query: unknown, load: () => Promise<T>): Promise<T> {
  let byQuery = loads.get(event);
  if (!byQuery) {
    byQuery = new Map();
    loads.set(event, byQuery);
  }
  const key = `${field} ${JSON.stringify(query)}`;
  let loaded = byQuery.get(key) as Promise<T> | undefined;
  if (!loaded) {
    loaded = load();
    byQuery.set(key, loaded);
  }
  return loaded;
}
