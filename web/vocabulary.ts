/** The words the page uses for providers, wizard steps, backfill periods, privacy settings and OAuth outcomes. */
import type {
  BackfillPeriod,
  CallProvider,
  ExclusionRuleKind,
  PrivateCallHandling,
  WizardStep,
} from "./generated/graphql.js";

export const PROVIDERS: Record<CallProvider, { name: string; oauth: boolean; blurb: string }> = {
  GONG: { name: "Gong", oauth: true, blurb: "Sign in with Gong (OAuth) and approve read access." },
  SALESLOFT: { name: "Salesloft", oauth: true, blurb: "Sign in with Salesloft (OAuth) and approve access." },
  CLARI_COPILOT: {
    name: "Clari Copilot",
    oauth: false,
    blurb: "Paste the API key and API secret from Clari Copilot's settings.",
  },
};
export const PROVIDER_ORDER: CallProvider[] = ["GONG", "SALESLOFT", "CLARI_COPILOT"];
export const isProvider = (p: string | null | undefined): p is CallProvider => !!p && p in PROVIDERS;

export const STEPS: { step: WizardStep; label: string }[] = [
  { step: "CONNECT", label: "Connect" },
  { step: "AUTHORIZE", label: "Authorize" },
  { step: "BACKFILL", label: "Backfill" },
  { step: "SYNC", label: "Sync" },
  { step: "COMPLETE", label: "Complete" },
];

export const BACKFILL: { period: BackfillPeriod; label: string }[] = [
  { period: "DAYS_30", label: "Last 30 days" },
  { period: "DAYS_60", label: "Last 60 days" },
  { period: "DAYS_90", label: "Last 90 days" },
  { period: "MONTHS_6", label: "Last 6 months (recommended)" },
  { period: "YEAR_1", label: "Last year" },
  { period: "ALL_TIME", label: "All time" },
  { period: "NONE", label: "Skip backfill — only new calls from now on" },
];
export const backfillLabel = (p: BackfillPeriod | null) => BACKFILL.find((b) => b.period === p)?.label ?? "—";

export const PRIVATE_CALLS: { handling: PrivateCallHandling; label: string }[] = [
  { handling: "SKIP", label: "Don't import them (recommended)" },
  { handling: "PARTICIPANTS_AND_ADMINS", label: "Import them, visible only to their internal participants and admins" },
];
export const privateCallsLabel = (h: PrivateCallHandling) =>
  h === "SKIP" ? "Not imported" : "Imported, visible to participants and admins only";

export const RULE_KINDS: { kind: ExclusionRuleKind; label: string; placeholder: string }[] = [
  { kind: "PARTICIPANT_DOMAIN", label: "Participant domain", placeholder: "acme.com" },
  { kind: "TITLE_KEYWORD", label: "Title keyword", placeholder: "1:1" },
  { kind: "OWNER_EMAIL", label: "Owner email", placeholder: "rep@yourcompany.com" },
];
export const ruleKindLabel = (k: ExclusionRuleKind) => RULE_KINDS.find((r) => r.kind === k)?.label ?? k;

/** Messages for the outcome codes the OAuth callback puts in the URL (the API has the same words). */
export const OUTCOMES: Record<string, string> = {
  AUTHORIZATION_CANCELLED: "Authorization was cancelled. Start again and approve access to continue.",
  AUTHORIZATION_ACCESS_DENIED:
    "Your account is not allowed to authorize third-party apps. Ask a provider admin to connect, or to grant you that permission.",
  AUTHORIZATION_SESSION_EXPIRED: "The authorization session expired or was already used. Start again.",
  PROVIDER_UNAVAILABLE: "The provider did not answer in time. Try again in a few minutes.",
};
