/**
 * What an import may store: the privacy policy of one integration, read from the database at
 * every write so a changed setting or rule applies from the next page on, on every write path
 * (sync pages, transcript follow-ups, webhooks).
 *
 * A record is skipped, with the first reason that applies:
 * 1. it started before the workspace's retention window;
 * 2. the provider marks it private and the integration does not import private calls;
 * 3. an exclusion rule of the integration matches it.
 */
import type { Prisma } from "../generated/prisma/client.js";
import type { ExclusionRuleKind, PrivateCallPolicy, PurgeScope } from "../generated/prisma/enums.js";
import type { CallRecord, Provider } from "../providers/types.js";
import type { SkipReasonCode } from "../sync/skipped.js";

export const PROVIDER_LABEL: Record<Provider, string> = {
  GONG: "Gong",
  SALESLOFT: "Salesloft",
  CLARI_COPILOT: "Clari Copilot",
};

const DAY_MS = 86_400_000;

export interface ExclusionRuleSpec {
  kind: ExclusionRuleKind;
  value: string;
}

export interface ImportPolicy {
  provider: Provider;
  privateCalls: PrivateCallPolicy;
  rules: ExclusionRuleSpec[];
  retentionDays: number | null;
  /** Calls that started before this instant (ms) are outside the retention window. */
  retentionCutoff: number | null;
  /** Emails of provider users by provider user id, for owner rules (the owner's email may be absent). */
  ownerEmails: ReadonlyMap<string, string>;
}

export interface SkipDecision {
  reasonCode: Extract<SkipReasonCode, "RETENTION" | "PRIVATE" | "EXCLUDED">;
  reason: string;
  /** How a stored call matching the same rule is purged. */
  scope: Extract<PurgeScope, "EXCLUSION_RULE" | "PRIVATE_CALLS" | "RETENTION">;
}

export const privateReason = (provider: Provider) => `Private in ${PROVIDER_LABEL[provider]}`;
export const retentionReason = (days: number) => `Older than the workspace's retention window (${days} days)`;

export function describeRule(rule: ExclusionRuleSpec): string {
  switch (rule.kind) {
    case "PARTICIPANT_DOMAIN":
      return `Excluded by rule: a participant at ${rule.value}`;
    case "TITLE_KEYWORD":
      return `Excluded by rule: title contains "${rule.value}"`;
    case "OWNER_EMAIL":
      return `Excluded by rule: owned by ${rule.value}`;
  }
}

const lower = (s: string | null | undefined) => s?.trim().toLowerCase() ?? "";

function domainMatches(email: string | null, domain: string): boolean {
  const at = lower(email).lastIndexOf("@");
  if (at < 0) return false;
  const host = lower(email).slice(at + 1);
  return host === domain || host.endsWith(`.${domain}`);
}

export function ruleMatches(rule: ExclusionRuleSpec, record: CallRecord, policy: Pick<ImportPolicy, "ownerEmails">) {
  switch (rule.kind) {
    case "PARTICIPANT_DOMAIN":
      return record.participants.some((p) => domainMatches(p.email, rule.value));
    case "TITLE_KEYWORD":
      return lower(record.title).includes(rule.value.toLowerCase());
    case "OWNER_EMAIL": {
      const fromId = record.ownerProviderUserId ? policy.ownerEmails.get(record.ownerProviderUserId) : undefined;
      const owner = record.participants.find(
        (p) => p.providerUserId !== null && p.providerUserId === record.ownerProviderUserId,
      );
      return [record.ownerEmail, fromId, owner?.email].some((e) => lower(e) === rule.value);
    }
  }
}

export function skipDecision(policy: ImportPolicy, record: CallRecord): SkipDecision | null {
  if (policy.retentionCutoff !== null && record.startedAt < policy.retentionCutoff)
    return { reasonCode: "RETENTION", reason: retentionReason(policy.retentionDays!), scope: "RETENTION" };
  if (record.isPrivate && policy.privateCalls === "SKIP")
    return { reasonCode: "PRIVATE", reason: privateReason(policy.provider), scope: "PRIVATE_CALLS" };
  const rule = policy.rules.find((r) => ruleMatches(r, record, policy));
  return rule ? { reasonCode: "EXCLUDED", reason: describeRule(rule), scope: "EXCLUSION_RULE" } : null;
}

type Reader = Pick<Prisma.TransactionClient, "integration" | "providerUser">;

export async function loadImportPolicy(db: Reader, integrationId: string, now = Date.now()): Promise<ImportPolicy> {
  const integration = await db.integration.findUniqueOrThrow({
    where: { id: integrationId },
    select: {
      provider: true,
      privateCalls: true,
      workspace: { select: { retentionDays: true } },
      exclusionRules: { select: { kind: true, value: true }, orderBy: { createdAt: "asc" } },
    },
  });
  const ownerRules = integration.exclusionRules.filter((r) => r.kind === "OWNER_EMAIL").map((r) => r.value);
  const owners =
    ownerRules.length === 0
      ? []
      : await db.providerUser.findMany({
          where: { integrationId, email: { in: ownerRules } },
          select: { providerUserId: true, email: true },
        });
  const retentionDays = integration.workspace.retentionDays;
  return {
    provider: integration.provider,
    privateCalls: integration.privateCalls,
    rules: integration.exclusionRules,
    retentionDays,
    retentionCutoff: retentionDays === null ? null : now - retentionDays * DAY_MS,
    ownerEmails: new Map(owners.map((o) => [o.providerUserId, o.email!])),
  };
}

export const retentionCutoff = (retentionDays: number | null, now = Date.now()) =>
  retentionDays === null ? null : new Date(now - retentionDays * DAY_MS);

/** Stored calls of an integration an exclusion rule matches (for applying it retroactively). */
export function storedCallsMatching(
  integrationId: string,
  rule: ExclusionRuleSpec,
  /** Provider user ids whose email is an owner rule's value. */
  ownerProviderIds: string[] = [],
): Prisma.CallWhereInput {
  switch (rule.kind) {
    case "PARTICIPANT_DOMAIN":
      return {
        integrationId,
        participants: {
          some: { OR: [{ email: { endsWith: `@${rule.value}` } }, { email: { endsWith: `.${rule.value}` } }] },
        },
      };
    case "TITLE_KEYWORD":
      return { integrationId, title: { contains: rule.value, mode: "insensitive" } };
    case "OWNER_EMAIL":
      return {
        integrationId,
        OR: [{ owner: { email: rule.value } }, { ownerProviderUserId: { in: ownerProviderIds } }],
      };
  }
}
