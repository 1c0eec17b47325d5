/**
 * Privacy settings in the management view (admins only; members see the private-call setting
 * and the retention window as facts): private-call handling and exclusion rules per integration,
 * the workspace's retention window. Each change applies to stored calls at once (the API purges
 * with audit), so every save says how many stored calls it purged; the API's validation errors
 * are shown next to the field with their message.
 */
import { ApiError, gql } from "../api.js";
import { alertBox, h } from "../dom.js";
import {
  AppPrivacyDocument,
  AppRetentionDocument,
  AppSetExclusionRulesDocument,
  AppSetPrivateCallsDocument,
  AppSetRetentionDocument,
  type CallProvider,
  type ExclusionRuleKind,
  type ExclusionRuleRowFragment,
  type PrivateCallHandling,
} from "../generated/graphql.js";
import { PRIVATE_CALLS, PROVIDERS, RULE_KINDS, ruleKindLabel } from "../vocabulary.js";

const purged = (n: number) =>
  n === 0 ? "Saved." : `Saved. ${n} stored call${n === 1 ? "" : "s"} purged (recorded in the purge audit).`;

function savedNotice(n: number): HTMLElement {
  return h("p", { class: "success", role: "status" }, purged(n));
}

/** The Privacy part of an integration's card; loads its settings itself. */
export function privacySection(provider: CallProvider): HTMLElement {
  const section = h("section", { class: "privacy", "aria-label": `${PROVIDERS[provider].name} privacy` });
  const load = async (status?: HTMLElement) => {
    const { integration } = await gql(AppPrivacyDocument, { provider });
    if (!integration) return;
    section.replaceChildren(
      h("h3", {}, "Privacy"),
      privateCallsForm(provider, integration.id, integration.privateCalls, load),
      rulesEditor(integration.id, integration.exclusionRules, load),
      ...(status ? [status] : []),
    );
  };
  load().catch((e) => section.replaceChildren(alertBox(e)));
  return section;
}

type Reload = (status?: HTMLElement) => Promise<void>;

function privateCallsForm(
  provider: CallProvider,
  integrationId: string,
  current: PrivateCallHandling,
  reload: Reload,
): HTMLElement {
  const errors = h("div");
  const save = h("button", { type: "submit" }, "Save private-call handling");
  const form = h(
    "form",
    { class: "private-calls" },
    h(
      "fieldset",
      {},
      h("legend", {}, `Calls marked private in ${PROVIDERS[provider].name}`),
      PRIVATE_CALLS.map((p) =>
        h(
          "label",
          {},
          h("input", { type: "radio", name: "privateCalls", value: p.handling, checked: p.handling === current }),
          ` ${p.label}`,
        ),
      ),
    ),
    h(
      "p",
      { class: "hint" },
      "Switching to not importing them purges and hides the private calls already stored; importing them takes effect from the next sync.",
    ),
    errors,
    h("div", { class: "actions" }, save),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const handling = new FormData(form).get("privateCalls") as PrivateCallHandling;
    save.disabled = true;
    errors.replaceChildren();
    try {
      const { setPrivateCallHandling } = await gql(AppSetPrivateCallsDocument, { integrationId, handling });
      await reload(savedNotice(setPrivateCallHandling.callsPurged));
    } catch (error) {
      errors.replaceChildren(alertBox(error));
      save.disabled = false;
    }
  });
  return form;
}

function rulesEditor(integrationId: string, rules: ExclusionRuleRowFragment[], reload: Reload): HTMLElement {
  const errors = h("div", { id: `rule-error-${integrationId}` });
  const saveRules = async (next: { kind: ExclusionRuleKind; value: string }[], trigger: HTMLButtonElement) => {
    trigger.disabled = true;
    errors.replaceChildren();
    try {
      const { setExclusionRules } = await gql(AppSetExclusionRulesDocument, { integrationId, rules: next });
      await reload(savedNotice(setExclusionRules.callsPurged));
      return true;
    } catch (error) {
      errors.replaceChildren(alertBox(error));
      trigger.disabled = false;
      return false;
    }
  };
  const current = rules.map((r) => ({ kind: r.kind, value: r.value }));

  const list =
    rules.length === 0
      ? h("p", { class: "muted" }, "No exclusion rules: every call is imported.")
      : h(
          "ul",
          { class: "rules", "aria-label": "Exclusion rules" },
          rules.map((rule, i) => {
            const remove = h(
              "button",
              {
                type: "button",
                class: "secondary",
                "aria-label": `Remove rule ${ruleKindLabel(rule.kind)} ${rule.value}`,
              },
              "Remove",
            );
            remove.addEventListener(
              "click",
              () =>
                void saveRules(
                  current.filter((_, j) => j !== i),
                  remove,
                ),
            );
            return h(
              "li",
              { "data-kind": rule.kind },
              h(
                "span",
                {},
                h("span", { class: "muted" }, `${ruleKindLabel(rule.kind)}: `),
                h("strong", {}, rule.value),
              ),
              remove,
            );
          }),
        );

  const kind = h(
    "select",
    { id: `rule-kind-${integrationId}`, name: "kind" },
    RULE_KINDS.map((k) => h("option", { value: k.kind }, k.label)),
  );
  const value = h("input", {
    type: "text",
    id: `rule-value-${integrationId}`,
    name: "value",
    placeholder: RULE_KINDS[0]!.placeholder,
    autocomplete: "off",
    "aria-describedby": errors.id,
  });
  kind.addEventListener("change", () => {
    value.placeholder = RULE_KINDS.find((k) => k.kind === kind.value)?.placeholder ?? "";
  });
  const add = h("button", { type: "submit" }, "Add rule");
  const form = h(
    "form",
    { class: "rule-add" },
    h("label", { for: kind.id }, "Rule type"),
    kind,
    h("label", { for: value.id }, "Value"),
    value,
    h("div", { class: "actions" }, add),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    value.removeAttribute("aria-invalid");
    const ok = await saveRules([...current, { kind: kind.value as ExclusionRuleKind, value: value.value }], add);
    if (!ok) {
      value.setAttribute("aria-invalid", "true");
      value.focus();
    }
  });

  return h(
    "div",
    { class: "exclusions" },
    h("h4", {}, "Exclusion rules"),
    h(
      "p",
      { class: "hint" },
      "Matching calls are not imported, and stored ones are purged and hidden from members. Removing a rule does not restore purged content.",
    ),
    list,
    form,
    errors,
  );
}

/** The workspace's retention window: a card of its own below the integrations. */
export function retentionCard(admin: boolean): HTMLElement {
  const card = h("section", { class: "card", "aria-labelledby": "retention-title", "data-card": "retention" });
  const load = async (status?: HTMLElement) => {
    const { viewer } = await gql(AppRetentionDocument, {});
    const days = viewer.workspace.retentionDays ?? null;
    const title = h("h2", { id: "retention-title" }, "Retention window");
    const now =
      days === null ? "Calls are kept until they are purged." : `Calls older than ${days} days lose their content.`;
    if (!admin) return void card.replaceChildren(title, h("p", {}, now));
    const errors = h("div", { id: "retention-error" });
    const input = h("input", {
      type: "number",
      id: "retention-days",
      name: "days",
      min: 1,
      max: 3650,
      step: 1,
      inputmode: "numeric",
      value: days === null ? "" : String(days),
      "aria-describedby": "retention-hint retention-error",
    });
    const save = h("button", { type: "submit" }, "Save retention window");
    // novalidate: the API's message explains a refused value (and it is the rule that counts).
    const form = h(
      "form",
      { novalidate: true },
      h("label", { for: input.id }, "Keep call content for (days)"),
      input,
      h(
        "p",
        { class: "hint", id: "retention-hint" },
        "Empty keeps calls forever. Older calls lose transcripts, summaries, action items and participants, now and daily; later syncs do not import them again.",
      ),
      errors,
      h("div", { class: "actions" }, save),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      input.removeAttribute("aria-invalid");
      errors.replaceChildren();
      const raw = input.value.trim();
      save.disabled = true;
      try {
        const { setRetentionWindow } = await gql(AppSetRetentionDocument, { days: raw === "" ? null : Number(raw) });
        await load(savedNotice(setRetentionWindow.callsPurged));
      } catch (error) {
        if (error instanceof ApiError && error.code === "BAD_USER_INPUT") input.setAttribute("aria-invalid", "true");
        errors.replaceChildren(alertBox(error));
        save.disabled = false;
      }
    });
    card.replaceChildren(title, h("p", { class: "muted" }, now), form, ...(status ? [status] : []));
  };
  load().catch((e) => card.replaceChildren(alertBox(e)));
  return card;
}
