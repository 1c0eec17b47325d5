/** Backfill: how far back to import, saved with the integration. */
import { gql } from "../../api.js";
import { alertBox, h } from "../../dom.js";
import {
  AppChooseBackfillDocument,
  type BackfillPeriod,
  type IntegrationCardFragment,
} from "../../generated/graphql.js";
import { BACKFILL, PROVIDERS } from "../../vocabulary.js";

export function backfillStep(integration: IntegrationCardFragment, rerender: () => void): HTMLElement {
  const chosen = integration.backfillPeriod ?? "MONTHS_6";
  const errors = h("div");
  const submit = h("button", { type: "submit" }, "Continue");
  const form = h(
    "form",
    { class: "card" },
    h(
      "p",
      { class: "success" },
      `Connected to ${PROVIDERS[integration.provider].name}`,
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
    errors,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const period = new FormData(form).get("period") as BackfillPeriod;
    submit.disabled = true;
    try {
      await gql(AppChooseBackfillDocument, { integrationId: integration.id, period });
      rerender();
    } catch (error) {
      errors.replaceChildren(alertBox(error));
      submit.disabled = false;
    }
  });
  return form;
}
