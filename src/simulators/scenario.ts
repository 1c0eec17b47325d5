/**
 * A provider-neutral description of a simulated tenant, from which each simulator's dataset
 * generator writes payloads in its own provider's response shapes. The same scenario fed to
 * the three generators gives three tenants with the same people, deals and conversations, so
 * demos and tests can line them up with a callsync workspace.
 */
export interface ScenarioUser {
  email: string;
  firstName: string;
  lastName: string;
}

export interface ScenarioDeal {
  crm: "SALESFORCE" | "HUBSPOT";
  dealId: string;
  accountId: string;
  accountName: string;
}

export interface Scenario {
  seed: number;
  companyName: string;
  /** Internal domain of the provider tenant, e.g. "acme.com". */
  domain: string;
  users: ScenarioUser[];
  callsPerUser: number;
  /** Calls start uniformly in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  deals: ScenarioDeal[];
  /** Share of calls with no CRM id at all (0..1). */
  noCrmRatio: number;
  /** Segments per transcript. */
  segmentsPerCall: number;
  /**
   * Share of calls the provider marks private (0..1, default 0): Gong `metaData.isPrivate`,
   * Clari Copilot private calls (left out of `GET /calls` unless `includePrivate=true`).
   */
  privateRatio?: number;
  /**
   * What real accounts contain and the plain generator does not, each switched on by name
   * (default all off, so a seed's dataset stays the same). Each generator reads the ones of its
   * provider; see each simulator's FORMAT.md for what a switch writes.
   */
  varieties?: Partial<ScenarioVarieties>;
}

export interface ScenarioVarieties {
  /** Gong: calls with direction Inbound and Unknown. */
  gongDirections: boolean;
  /** Gong: a phone caller of Unknown affiliation without email (phoneNumber only) and an Unknown party with email. */
  gongUnknownParties: boolean;
  /** Gong: parties' CRM context with Lead, Contact and the host's own User object. */
  gongPartyContexts: boolean;
  /** Gong: HubSpot deals' context written with HubSpot's words (Deal, Company), and a call naming two deals. */
  gongHubspotContexts: boolean;
  /** Gong: some calls without interaction.speakers. */
  gongNoSpeakers: boolean;
  /** Gong: transcript monologues with a non-null topic. */
  gongTranscriptTopics: boolean;
  /** Gong: some calls whose metaData lacks every optional field, some without `started` (scheduled instead). */
  gongSparseMetaData: boolean;
  /** Gong: one call per user the client cannot map (metaData.duration not a number). */
  gongUnmappableCall: boolean;
  /**
   * Gong: per user, one transcript with a monologue that cannot be read (`sentences` not a list)
   * and one whose `transcript` cannot be read at all (not a list).
   */
  gongUnreadableTranscripts: boolean;
  /** Salesloft: people without `crm_id` (every other deal's contact). */
  salesloftPeopleWithoutCrmId: boolean;
  /**
   * Salesloft: accounts without their CRM key (no `crm_id` at all, every other deal's), and every
   * 4th linked conversation naming only its account (no opportunity).
   */
  salesloftAccountsWithoutCrmKey: boolean;
  /** Salesloft: per user, one conversation whose `/extensive` detail cannot be read (`attendees` not a list). */
  salesloftUnmappableDetail: boolean;
  /** Salesloft: per user, one transcript with a sentence that cannot be read (`start_time` not a number). */
  salesloftUnreadableSentence: boolean;
  /** Clari Copilot: calls whose users carry no `isOrganizer` (the owner comes from the call's users list). */
  clariNoOrganizer: boolean;
  /** Clari Copilot: joined participants with a name only (no email, no personId). */
  clariNameOnlyParticipants: boolean;
  /** Clari Copilot: failed calls (terminal status) that still list their participants. */
  clariFailedWithParticipants: boolean;
  /** Clari Copilot: metrics with keys callsync does not read. */
  clariExtraMetrics: boolean;
  /** Clari Copilot: per user, one finished call whose `/call-details` cannot be read (`summary` not an object). */
  clariUnmappableDetail: boolean;
  /**
   * Clari Copilot: per user, one call whose transcript has a segment that cannot be read (`start`
   * not a number) and one whose `transcript` cannot be read at all (not a list).
   */
  clariUnreadableTranscripts: boolean;
}

/** Every variety on: the scenario an end-to-end test imports to cover them all. */
export const ALL_VARIETIES: ScenarioVarieties = {
  gongDirections: true,
  gongUnknownParties: true,
  gongPartyContexts: true,
  gongHubspotContexts: true,
  gongNoSpeakers: true,
  gongTranscriptTopics: true,
  gongSparseMetaData: true,
  gongUnmappableCall: true,
  gongUnreadableTranscripts: true,
  salesloftPeopleWithoutCrmId: true,
  salesloftAccountsWithoutCrmKey: true,
  salesloftUnmappableDetail: true,
  salesloftUnreadableSentence: true,
  clariNoOrganizer: true,
  clariNameOnlyParticipants: true,
  clariFailedWithParticipants: true,
  clariExtraMetrics: true,
  clariUnmappableDetail: true,
  clariUnreadableTranscripts: true,
};

export const variety = (scenario: Scenario, name: keyof ScenarioVarieties): boolean =>
  scenario.varieties?.[name] === true;

/**
 * Which generated calls are private: a stream of its own, so switching private calls on leaves
 * every other generated value of a seed unchanged.
 */
export function privateCalls(scenario: Scenario): () => boolean {
  const ratio = scenario.privateRatio ?? 0;
  const rand = prng(scenario.seed + 7919);
  return () => ratio > 0 && rand() < ratio;
}

/** Deterministic PRNG (mulberry32) so a seed always yields the same dataset. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

const FIRST = ["Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Iris", "Omar", "Lena", "Raj", "Sofia", "Tom"];
const LAST = ["Nguyen", "Patel", "Schmidt", "Garcia", "Okafor", "Kowalski", "Silva", "Brown", "Haddad", "Kim"];
const TOPICS = ["Discovery", "Demo", "Pricing review", "Security review", "Kickoff", "Renewal", "Negotiation"];

const SELLER_LINES = [
  "Thanks for making the time today, I wanted to walk through where we landed last week.",
  "Can you tell me a bit more about how your team handles call reviews today?",
  "Our pricing is per seat, and annual contracts include onboarding and support.",
  "I'll send over the security questionnaire and our SOC 2 report after this call.",
  "What would a successful rollout look like for you in the first ninety days?",
  "Let's plan a follow-up with your procurement team next Tuesday.",
  "We integrate with Salesforce and HubSpot, so every call lands on the right opportunity.",
];
const BUYER_LINES = [
  "Right now our managers listen to recordings manually, and it takes hours every week.",
  "Budget is approved for this quarter, but legal needs to review the data processing terms.",
  "We need single sign-on and a clear data retention policy before we can sign.",
  "The main concern from our VP is adoption across the mid-market team.",
  "Could you share a customer reference in the software industry?",
  "If the pilot goes well we would expand to about forty reps in January.",
  "Timing works; send the proposal and we will review it internally.",
];
const ACTIONS = [
  "Send the security questionnaire and SOC 2 report",
  "Schedule a follow-up with procurement",
  "Share a customer reference in the software industry",
  "Draft a proposal for forty seats",
  "Confirm data retention terms with legal",
];

export interface ConversationLine {
  /** 0 = the internal host, 1.. = external attendees */
  speaker: number;
  startMs: number;
  endMs: number;
  text: string;
}

export interface Conversation {
  title: string;
  durationMs: number;
  externalPeople: { name: string; email: string }[];
  lines: ConversationLine[];
  brief: string;
  keyPoints: string[];
  actionItems: { text: string; speaker: number }[];
}

/** One realistic-looking conversation between a user and one or two people of the deal's account. */
export function conversation(rand: () => number, accountName: string, segments: number): Conversation {
  const topic = pick(rand, TOPICS);
  const domain = `${accountName.toLowerCase().replace(/[^a-z0-9]+/g, "")}.example`;
  const externalCount = 1 + Math.floor(rand() * 2);
  const externalPeople = Array.from({ length: externalCount }, () => {
    const first = pick(rand, FIRST);
    const last = pick(rand, LAST);
    return { name: `${first} ${last}`, email: `${first}.${last}@${domain}`.toLowerCase() };
  });
  const lines: ConversationLine[] = [];
  let t = 0;
  for (let i = 0; i < segments; i++) {
    const speaker = i % 2 === 0 ? 0 : 1 + Math.floor(rand() * externalCount);
    const text = pick(rand, speaker === 0 ? SELLER_LINES : BUYER_LINES);
    const len = 4000 + Math.floor(rand() * 9000);
    lines.push({ speaker, startMs: t, endMs: t + len, text });
    t += len + Math.floor(rand() * 1500);
  }
  const actionItems = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => ({
    text: pick(rand, ACTIONS),
    speaker: rand() < 0.7 ? 0 : 1,
  }));
  return {
    title: `${accountName} — ${topic}`,
    durationMs: Math.max(t, 60_000),
    externalPeople,
    lines,
    brief: `${topic} call with ${accountName}. The team discussed current call-review workflows, rollout timing and the security review needed before signing.`,
    keyPoints: [
      "Buyer reviews recordings manually today",
      "Security and data retention must be cleared by legal",
      "Pilot could expand to about forty reps",
    ],
    actionItems,
  };
}

export function defaultScenario(overrides: Partial<Scenario> = {}): Scenario {
  const now = Date.now();
  return {
    seed: 42,
    companyName: "Acme Software",
    domain: "acme.test",
    users: [
      { email: "ada@acme.test", firstName: "Ada", lastName: "Admin" },
      { email: "max@acme.test", firstName: "Max", lastName: "Member" },
      { email: "sam@acme.test", firstName: "Sam", lastName: "Seller" },
      { email: "outsider@contractor.test", firstName: "Otto", lastName: "Outsider" },
    ],
    callsPerUser: 8,
    fromMs: now - 60 * 86_400_000,
    toMs: now - 2 * 3_600_000,
    deals: [
      { crm: "SALESFORCE", dealId: "0065g00000AbCdEAA1", accountId: "0015g00000XyZaBAA1", accountName: "Globex" },
      { crm: "SALESFORCE", dealId: "0065g00000AbCdFAA1", accountId: "0015g00000XyZaCAA1", accountName: "Initech" },
      { crm: "SALESFORCE", dealId: "0065g00000AbCdGAA1", accountId: "0015g00000XyZaDAA1", accountName: "Umbrella" },
      { crm: "SALESFORCE", dealId: "0065g00000NoMatch01", accountId: "0015g00000NoMatch01", accountName: "Hooli" },
    ],
    noCrmRatio: 0.15,
    segmentsPerCall: 12,
    ...overrides,
  };
}
