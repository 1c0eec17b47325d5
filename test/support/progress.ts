/** Reading the wizard's live events in tests. */
import type { WizardSyncProgressSubscription } from "../generated/graphql.js";

/** The database id behind a Relay global id ("Type:uuid" in base64). */
export const localId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

/** Each user's states in the order subscribers saw them (repeats folded), for one run. */
export function stateHistory(events: WizardSyncProgressSubscription[], runId: string): Map<string, string[]> {
  const byUser = new Map<string, string[]>();
  for (const e of events) {
    const u = e.syncProgress.user;
    if (!u || e.syncProgress.run.id !== runId) continue;
    const seen = byUser.get(u.email ?? u.id) ?? [];
    if (seen.at(-1) !== u.state) seen.push(u.state);
    byUser.set(u.email ?? u.id, seen);
  }
  return byUser;
}
