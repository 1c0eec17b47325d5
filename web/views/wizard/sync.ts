/** Sync: start the initial import and watch each provider user's progress live. */
import { gql } from "../../api.js";
import { action, h } from "../../dom.js";
import { AppStartSyncDocument, type IntegrationCardFragment } from "../../generated/graphql.js";
import { backfillLabel } from "../../vocabulary.js";
import { RunProgress } from "../run-progress.js";

export function syncStep(integration: IntegrationCardFragment, rerender: () => void): HTMLElement {
  const errors = h("div");
  const box = h("section", { class: "card", "aria-labelledby": "sync-title" });
  // Subscribed before the run starts, so no change is missed; the run's own state is merged in.
  const progress = new RunProgress(integration.id, integration.latestRun, () => rerender());
  box.append(h("h2", { id: "sync-title" }, "Import calls"));
  if (!integration.latestRun) {
    const start = h("button", { type: "button" }, "Start import");
    box.append(
      h(
        "p",
        {},
        `callsync imports ${backfillLabel(integration.backfillPeriod).toLowerCase()} of calls, one provider user at a time. `,
        "You can watch each user's progress here, or leave: the import runs in the background.",
      ),
      h("div", { class: "actions" }, start),
    );
    action(
      start,
      async () => {
        const { startSync } = await gql(AppStartSyncDocument, { integrationId: integration.id });
        start.closest(".actions")?.remove();
        progress.setRun(startSync);
      },
      errors,
    );
  }
  box.append(errors, progress.el);
  return box;
}
