/** Complete: the run's summary, per-user results, and where to go next. */
import { h } from "../../dom.js";
import { when } from "../../format.js";
import type { IntegrationCardFragment } from "../../generated/graphql.js";
import { rerender } from "../../view.js";
import { PROVIDERS } from "../../vocabulary.js";
import { RunProgress } from "../run-progress.js";
import { summaryView } from "../run-summary.js";

export function completeStep(integration: IntegrationCardFragment): HTMLElement {
  const run = integration.latestRun;
  const box = h("section", { class: "card", "aria-labelledby": "complete-title" });
  box.append(h("h2", { id: "complete-title" }, "Import finished"));
  if (run) {
    box.append(summaryView(run), h("h3", {}, "Per-user results"));
    const progress = new RunProgress(integration.id, run, rerender);
    progress.allowRetry(integration.nextActions.includes("RETRY_FAILED_USERS"));
    box.append(progress.el);
  }
  box.append(
    h(
      "p",
      {},
      `From now on ${PROVIDERS[integration.provider].name} syncs automatically every ${integration.syncIntervalMinutes / 60} hours`,
      integration.nextSyncAt ? [" (next: ", when(integration.nextSyncAt), ")"] : "",
      ".",
    ),
    h(
      "div",
      { class: "actions" },
      h("a", { class: "button", href: "#/deals" }, "Go to Deals"),
      h("a", { class: "button secondary", href: "#/integrations" }, "Manage Integration"),
      h("a", { class: "button secondary", href: "#/connect" }, "Connect Another Integration"),
    ),
  );
  return box;
}
