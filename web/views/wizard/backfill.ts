/**
 * Backfill: how far back to import, and whether private calls are imported, saved with the
 * integration. Beside each period, the estimate of its import (calls, provider requests, time),
 * loaded after the step is shown and asked again while the server computes it; without one the
 * step works the same.
 */
import { gql } from "../../api.js";
import { alertBox, h } from "../../dom.js";
import { secondsLeft } from "../../format.js";
import {
  AppBackfillChoicesDocument,
  type AppBackfillChoicesQuery,
  AppChooseBackfillDocument,
  type BackfillPeriod,
  type CallProvider,
  type IntegrationCardFragment,
  type PrivateCallHandling,
} from "../../generated/graphql.js";
import { BACKFILL, PRIVATE_CALLS, PROVIDERS } from "../../vocabulary.js";

type Estimate = NonNullable<AppBackfillChoicesQuery["integration"]>["backfillChoices"][number]["estimate"];

const count = new Intl.NumberFormat();

/** "1,240 calls · 2,480 requests · ≥ 4 min" ("≈" before an extrapolated count). */
export function estimateText(e: Estimate): string {
  if (e.status === "COMPUTING") return "Estimating…";
  if (e.status === "UNAVAILABLE" || e.calls === null) return "Estimate unavailable";
  const approx = e.accuracy === "APPROXIMATE" ? "≈ " : "";
  const calls = `${approx}${count.format(e.calls)} ${e.calls === 1 ? "call" : "calls"}`;
  if (e.calls === 0 && !e.providerRequests) return "No calls to import";
  return `${calls} · ${count.format(e.providerRequests ?? 0)} requests · ≥ ${secondsLeft(e.seconds ?? 0)}`;
}

const ESTIMATE_POLL_MS = 1500;
const ESTIMATE_POLLS = 40;

/** Fills the estimate slots; asks again while the server computes, and stops once the step is gone. */
async function loadEstimates(provider: CallProvider, slots: Map<BackfillPeriod, HTMLElement>, form: HTMLElement) {
  for (let i = 0; i < ESTIMATE_POLLS; i++) {
    let choices: NonNullable<AppBackfillChoicesQuery["integration"]>["backfillChoices"];
    try {
      choices = (await gql(AppBackfillChoicesDocument, { provider })).integration?.backfillChoices ?? [];
    } catch {
      choices = [];
    }
    if (!form.isConnected) return;
    for (const [period, slot] of slots) {
      const e = choices.find((c) => c.period === period)?.estimate;
      slot.dataset.status = e?.status ?? "UNAVAILABLE";
      slot.textContent = e ? estimateText(e) : "Estimate unavailable";
      slot.title =
        e?.unavailable?.message ?? (e?.computedAt ? `Estimated ${new Date(e.computedAt).toLocaleString()}` : "");
      if (e?.unavailable) slot.dataset.code = e.unavailable.code;
    }
    if (!choices.some((c) => c.estimate.status === "COMPUTING") || choices.length === 0) return;
    await new Promise((r) => setTimeout(r, ESTIMATE_POLL_MS));
  }
}

export function backfillStep(integration: IntegrationCardFragment, rerender: () => void): HTMLElement {
  const chosen = integration.backfillPeriod ?? "MONTHS_6";
  const provider = PROVIDERS[integration.provider].name;
  const errors = h("div");
  const submit = h("button", { type: "submit" }, "Continue");
  const estimates = new Map(
    BACKFILL.map((b) => [
      b.period,
      h(
        "span",
        { class: "estimate", id: `estimate-${b.period}`, "data-period": b.period, "data-status": "COMPUTING" },
        "Estimating…",
      ),
    ]),
  );
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
          "div",
          { class: "choice" },
          h(
            "label",
            {},
            h("input", {
              type: "radio",
              name: "period",
              value: b.period,
              checked: b.period === chosen,
              "aria-describedby": `estimate-${b.period}`,
            }),
            ` ${b.label}`,
          ),
          estimates.get(b.period),
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
  void loadEstimates(integration.provider, estimates, form);
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
