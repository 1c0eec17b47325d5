/**
 * Sync: start the initial import and watch each provider user's progress live. What it offers
 * follows the integration's state: Start import (READY_TO_SYNC, also after a reconnect), live
 * rows (SYNCING), the reasons and "Retry failed users" (FAILED — the wizard stays here).
 */
import { gql } from "../../api.js";
import { action, h } from "../../dom.js";
import { AppStartSyncDocument, type IntegrationCardFragment } from "../../generated/graphql.js";
import { backfillLabel } from "../../vocabulary.js";
import { RunProgress } from "../run-progress.js";

export function syncStep(integration: IntegrationCardFragment, rerender: () => void): HTMLElement {
  const errors = h("div");
  const box = h("section", { class: "card", "aria-labelledby": "sync-title" });
  const canStart = integration.nextActions.includes("START_SYNC");
  // The previous connection's last run is history: a reconnected integration starts a new import.
  const run = canStart ? null : integration.latestRun;
  // Subscribed before the run starts, so no change is missed; the run's own state is merged in.
  const progress = new RunProgress(integration.id, run, () => rerender());
  progress.allowRetry(integration.nextActions.includes("RETRY_FAILED_USERS") || integration.state === "SYNCING");
  box.append(h("h2", { id: "sync-title" }, integration.state === "FAILED" ? "The import failed" : "Import calls"));
  if (canStart) {
    const start = h("button", { type: "button" }, "Start import");
    box.append(
      h(
        "p",
        {},
        `callsync imports ${backfillLabel(integration.backfillPeriod).toLowerCase()} of calls, one provider user at a time. `,
        integration.disconnectedAt
          ? "After a reconnect it also imports the calls made while disconnected; nothing is imported twice. "
          : "",
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
