/**
 * The privacy settings an admin changes, and how each change applies to calls already stored:
 *
 * - private calls SKIP: stored private calls are purged and hidden, as if never imported;
 *   PARTICIPANTS_AND_ADMINS: the next sync re-reads the backfill window, so private calls skipped
 *   before come in (restricted); unchanged calls are recognised by their hash and not rewritten.
 * - exclusion rules: a new rule purges and hides the stored calls it matches; removing a rule
 *   does not bring purged content back (purged calls are never refilled).
 * - retention window: calls that started before it lose their content (the daily job, and at
 *   once when the window is set); later imports skip them.
 * Every purge goes through src/privacy/purge.ts and leaves an audit row.
 */
import { z } from "zod";
import type { Db } from "../db/client.js";
import { DomainError } from "../errors.js";
import type { ExclusionRuleKind, PrivateCallPolicy } from "../generated/prisma/enums.js";
import {
  describeRule,
  type ExclusionRuleSpec,
  PROVIDER_LABEL,
  privateReason,
  retentionCutoff,
  retentionReason,
  storedCallsMatching,
} from "./policy.js";
import { purgeCalls } from "./purge.js";

export const MAX_EXCLUSION_RULES = 50;
export const MAX_RETENTION_DAYS = 3650;

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .transform((d) => d.replace(/^@/, ""))
  .pipe(
    z
      .string()
      .max(253, "a domain has at most 253 characters")
      .regex(
        /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        "must be a domain such as acme.com",
      ),
  );
const ruleValue: Record<ExclusionRuleKind, z.ZodType<string>> = {
  PARTICIPANT_DOMAIN: domain,
  TITLE_KEYWORD: z
    .string()
    .trim()
    .min(2, "a title keyword has at least 2 characters")
    .max(100, "a title keyword has at most 100 characters"),
  OWNER_EMAIL: z.string().trim().toLowerCase().max(254, "an email has at most 254 characters").pipe(z.email()),
};

/** Normalises and validates a rule set; BAD_USER_INPUT names the first bad rule. */
export function parseRules(rules: readonly { kind: ExclusionRuleKind; value: string }[]): ExclusionRuleSpec[] {
  if (rules.length > MAX_EXCLUSION_RULES)
    throw new DomainError("BAD_USER_INPUT", `At most ${MAX_EXCLUSION_RULES} exclusion rules per integration.`, {
      field: "rules",
    });
  const seen = new Map<string, ExclusionRuleSpec>();
  rules.forEach((rule, i) => {
    if (rule.value.length > 300)
      throw new DomainError("BAD_USER_INPUT", `rules[${i}].value: at most 300 characters`, { field: `rules.${i}` });
    const parsed = ruleValue[rule.kind].safeParse(rule.value);
    if (!parsed.success)
      throw new DomainError("BAD_USER_INPUT", `rules[${i}].value: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
        field: `rules.${i}.value`,
      });
    seen.set(`${rule.kind}|${parsed.data.toLowerCase()}`, { kind: rule.kind, value: parsed.data });
  });
  return [...seen.values()];
}

async function integrationOf(db: Db, workspaceId: string, integrationId: string) {
  const integration = await db.integration.findFirst({ where: { id: integrationId, workspaceId } });
  if (!integration) throw new DomainError("NOT_FOUND");
  return integration;
}

export async function setPrivateCalls(
  db: Db,
  target: { workspaceId: string; actorId: string; integrationId: string },
  policy: PrivateCallPolicy,
): Promise<{ callsPurged: number }> {
  const integration = await integrationOf(db, target.workspaceId, target.integrationId);
  if (integration.privateCalls === policy) return { callsPurged: 0 };
  return db.$transaction(async (tx) => {
    await tx.integration.update({ where: { id: integration.id }, data: { privateCalls: policy } });
    if (policy === "PARTICIPANTS_AND_ADMINS") {
      // Private calls skipped so far are older than any watermark: read the window again.
      await tx.providerUser.updateMany({ where: { integrationId: integration.id }, data: { syncedThrough: null } });
      return { callsPurged: 0 };
    }
    const { callsPurged } = await purgeCalls(
      tx,
      {
        workspaceId: target.workspaceId,
        actorId: target.actorId,
        scope: "PRIVATE_CALLS",
        integrationId: integration.id,
        reason: `${privateReason(integration.provider)}; ${PROVIDER_LABEL[integration.provider]} private calls are no longer imported`,
        hide: true,
      },
      { integrationId: integration.id, isPrivate: true, hiddenAt: null },
    );
    return { callsPurged };
  });
}

/** Replaces the rule set; every rule applies to the stored calls (new ones purge what they match). */
export async function setExclusionRules(
  db: Db,
  target: { workspaceId: string; actorId: string; integrationId: string },
  input: readonly { kind: ExclusionRuleKind; value: string }[],
): Promise<{ callsPurged: number }> {
  const integration = await integrationOf(db, target.workspaceId, target.integrationId);
  const rules = parseRules(input);
  return db.$transaction(async (tx) => {
    await tx.exclusionRule.deleteMany({ where: { integrationId: integration.id } });
    if (rules.length > 0)
      await tx.exclusionRule.createMany({
        data: rules.map((r) => ({ integrationId: integration.id, createdById: target.actorId, ...r })),
      });
    let callsPurged = 0;
    for (const rule of rules) {
      const owners =
        rule.kind === "OWNER_EMAIL"
          ? await tx.providerUser.findMany({
              where: { integrationId: integration.id, email: rule.value },
              select: { providerUserId: true },
            })
          : [];
      const where = storedCallsMatching(
        integration.id,
        rule,
        owners.map((o) => o.providerUserId),
      );
      // Only rules that match something leave an audit row (re-saving the same rules purges nothing).
      const matching = await tx.call.count({ where: { AND: [where, { hiddenAt: null }] } });
      if (matching === 0) continue;
      const purged = await purgeCalls(
        tx,
        {
          workspaceId: target.workspaceId,
          actorId: target.actorId,
          scope: "EXCLUSION_RULE",
          integrationId: integration.id,
          reason: describeRule(rule),
          hide: true,
        },
        { AND: [where, { hiddenAt: null }] },
      );
      callsPurged += purged.callsPurged;
    }
    return { callsPurged };
  });
}

export async function setRetention(
  db: Db,
  target: { workspaceId: string; actorId: string },
  days: number | null,
): Promise<{ callsPurged: number }> {
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS))
    throw new DomainError("BAD_USER_INPUT", `days must be a whole number from 1 to ${MAX_RETENTION_DAYS}, or null.`, {
      field: "days",
    });
  await db.workspace.update({ where: { id: target.workspaceId }, data: { retentionDays: days } });
  return applyRetention(db, target.workspaceId, target.actorId);
}

/** Purges the content of one workspace's calls older than its window (the daily job's work). */
export async function applyRetention(
  db: Db,
  workspaceId: string,
  actorId: string | null = null,
  now = Date.now(),
): Promise<{ callsPurged: number }> {
  const workspace = await db.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
  const cutoff = retentionCutoff(workspace.retentionDays, now);
  if (!cutoff || workspace.retentionDays === null) return { callsPurged: 0 };
  const where = { startedAt: { lt: cutoff }, purgedAt: null };
  if ((await db.call.count({ where: { workspaceId, ...where } })) === 0) return { callsPurged: 0 };
  const { callsPurged } = await db.$transaction((tx) =>
    purgeCalls(
      tx,
      { workspaceId, actorId, scope: "RETENTION", reason: retentionReason(workspace.retentionDays!) },
      where,
    ),
  );
  return { callsPurged };
}

/** The daily job: every workspace with a retention window. */
export async function applyRetentionEverywhere(db: Db, now = Date.now()): Promise<number> {
  const workspaces = await db.workspace.findMany({ where: { retentionDays: { not: null } }, select: { id: true } });
  let total = 0;
  for (const w of workspaces) total += (await applyRetention(db, w.id, null, now)).callsPurged;
  return total;
}
