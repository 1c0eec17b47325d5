import { randomUUID } from "node:crypto";
import { afterEach } from "vitest";
import { type ClariClientOptions, createClariClient } from "../../../src/providers/clari/index.js";
import { Pacer } from "../../../src/providers/pacer.js";
import type { ProviderCredentials, ProviderUser, TimeWindow } from "../../../src/providers/types.js";
import type { ClariDataset, ClariDatasetCall } from "../../../src/simulators/clari/dataset.js";
import { type ClariSimulatorOptions, startClariSimulator } from "../../../src/simulators/clari/server.js";

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** A simulator closed after the test. */
export async function simulator(options: ClariSimulatorOptions = {}) {
  const sim = await startClariSimulator({ dataset: emptyDataset(), ...options });
  running.push(sim);
  return sim;
}

export const emptyDataset = (): ClariDataset => ({ users: [], calls: [] });

/** A pacer generous enough not to slow tests down; one per test so quotas never leak. */
export const fastPacer = () => new Pacer(`clari-test-${randomUUID()}`, [{ points: 10_000, duration: 1 }]);

export type Sim = Awaited<ReturnType<typeof simulator>>;

export function clientFor(sim: Sim, options: Partial<ClariClientOptions> & { credentials?: ProviderCredentials } = {}) {
  const credentials: ProviderCredentials = options.credentials ?? { kind: "apiKey", ...sim.apiKeys.default };
  return createClariClient({
    session: { current: async () => credentials, refresh: async () => credentials },
    pacer: fastPacer(),
    paceKey: "workspace-1",
    baseUrl: sim.url,
    timeoutMs: 2_000,
    rateLimitBackoffMs: 5,
    ...options,
  });
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export const ADA = { id: "0b9a4c1e-0000-4000-8000-00000000000a", email: "ada@acme.test", name: "Ada Admin" };
export const MAX = { id: "0b9a4c1e-0000-4000-8000-00000000000b", email: "max@acme.test", name: "Max Member" };

export const adaUser: ProviderUser = {
  providerUserId: ADA.id,
  email: ADA.email,
  emailAliases: [],
  name: ADA.name,
  active: true,
};
export const maxUser: ProviderUser = { ...adaUser, providerUserId: MAX.id, email: MAX.email, name: MAX.name };

let counter = 0;
/** A finished meeting organised by Ada, in the dataset's (= /call-details) shape. */
export function call(overrides: Partial<ClariDatasetCall> & { startMs: number }): ClariDatasetCall {
  const { startMs, ...rest } = overrides;
  counter++;
  const id = `00000000-0000-4000-8000-${String(counter).padStart(12, "0")}`;
  return {
    id,
    title: `Call ${counter}`,
    users: [{ userId: ADA.id, userEmail: ADA.email, isOrganizer: true, personId: 0 }],
    externalParticipants: [{ name: "Pat Buyer", email: "pat@globex.example", phone: null, personId: 1 }],
    joinedParticipants: [{ name: "Pat Buyer", email: "pat@globex.example", personId: 1 }],
    status: "POST_PROCESSING_DONE",
    type: "ZOOM",
    time: new Date(startMs).toISOString(),
    last_modified_time: new Date(startMs + HOUR).toISOString(),
    crm_info: { source_crm: "salesforce", deal_id: "0065g00000AbCdEAA1", account_id: "0015g00000XyZaBAA1" },
    metrics: { call_duration: 600 },
    call_review_page_url: `https://copilot.clari.com/call/${id}`,
    transcript: [
      { text: "Hello", start: 0.5, end: 1.25, personId: 0, annotations: [] },
      { text: "Hi", start: 1.5, end: 2, personId: 1, annotations: [] },
    ],
    summary: {
      full_summary: "A short call.",
      topics_discussed: [{ name: "Intro", summary: "Said hello." }],
      key_action_items: [{ action_item: "Send the deck", speaker_name: "Ada Admin" }],
    },
    ...rest,
  };
}

/** `n` calls one hour apart from `startMs`. */
export const calls = (n: number, startMs: number, overrides: Partial<ClariDatasetCall> = {}) =>
  Array.from({ length: n }, (_, i) => call({ startMs: startMs + i * HOUR, ...overrides }));

export const dataset = (list: ClariDatasetCall[]): ClariDataset => ({
  users: [
    { id: ADA.id, email: ADA.email, name: ADA.name, role: "MANAGER", is_recording: true },
    { id: MAX.id, email: MAX.email, name: MAX.name, role: "REP", is_recording: true },
  ],
  calls: list,
});

/** Pages through a whole window, returning every call and the cursors seen. */
export async function listAll(
  client: ReturnType<typeof clientFor>,
  user: ProviderUser,
  window: TimeWindow,
  cursor: string | null = null,
) {
  const pages = [];
  let next = cursor;
  do {
    const page = await client.listCallsPage(user, window, next);
    pages.push(page);
    next = page.nextCursor;
  } while (next !== null && pages.length < 1000);
  return { pages, calls: pages.flatMap((p) => p.calls) };
}

export const requestsTo = (sim: Sim, path: string) => sim.log.count((r) => r.path === path);
