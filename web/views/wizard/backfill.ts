/** Backfill: how far back to import, and whether private calls are imported, saved with the integration. */
import { gql } from "../../api.js";
import { alertBox, h } from "../../dom.js";
import {
  AppChooseBackfillDocument,
  type BackfillPeriod,
  type IntegrationCardFragment,
  type PrivateCallHandling,
} from "../../generated/graphql.js";
import { BACKFILL, PRIVATE_CALLS, PROVIDERS } from "../../vocabulary.js";

export function backfillStep(integration: IntegrationCardFragment, rerender: () => void): HTMLElement {
  const chosen = integration.backfillPeriod ?? "MONTHS_6";
  const provider = PROVIDERS[integration.provider].name;
  const errors = h("div");
  const submit = h("button", { type: "submit" }, "Continue");
  const form = h(
    "form",
    { class: "card" },
    h(
      "p",
      { class: "success" },
      `Connected to ${provider}`,
      integration.connectedAccount?.name ? ` (${integration.connectedAccount.name})` : "",
      ".",
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "How far back should callsync import calls?"),
      BACKFILL.map((b) =>
        h(
          "label",
          {},
          h("input", { type: "radio", name: "period", value: b.period, checked: b.period === chosen }),
          ` ${b.label}`,
        ),
      ),
    ),
    h("p", { class: "hint" }, "Saved with the integration. To change it later, disconnect and reconnect."),
    h(
      "fieldset",
      {},
      h("legend", {}, `Calls marked private in ${provider}`),
      PRIVATE_CALLS.map((p) =>
        h(
          "label",
          {},
          h("input", {
            type: "radio",
            name: "privateCalls",
            value: p.handling,
            checked: p.handling === integration.privateCalls,
          }),
          ` ${p.label}`,
        ),
      ),
    ),
    h(
      "p",
      { class: "hint" },
      "Skipped calls are counted with the reason. You can change this later under Manage Integration.",
    ),
    errors,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const period = data.get("period") as BackfillPeriod;
    const privateCalls = data.get("privateCalls") as PrivateCallHandling;
    submit.disabled = true;
    try {
      await gql(AppChooseBackfillDocument, { integrationId: integration.id, period, privateCalls });
      rerender();
    } catch (error) {
      errors.replaceChildren(alertBox(error));
      submit.disabled = false;
    }
  });
  return form;
}
