/**
 * #/integrations: one card per provider — status, facts, Sync now / Reconnect / Disconnect, the
 * latest run, its privacy settings — and the workspace's retention window.
 */
import { gql } from "../api.js";
import { action, alertBox, badge, type Child, compact, facts, h } from "../dom.js";
import { when } from "../format.js";
import {
  AppDisconnectDocument,
  AppIntegrationDocument,
  AppIntegrationsDocument,
  AppSyncNowDocument,
  type CallProvider,
  type IntegrationCardFragment,
} from "../generated/graphql.js";
import { show } from "../view.js";
import { isAdmin } from "../viewer.js";
import { backfillLabel, PROVIDER_ORDER, PROVIDERS, privateCallsLabel } from "../vocabulary.js";
import { privacySection, retentionCard } from "./privacy.js";
import { RunProgress } from "./run-progress.js";

export async function integrationsView(stale: () => boolean): Promise<void> {
  const { integrations } = await gql(AppIntegrationsDocument, {});
  if (stale()) return;
  const byProvider = new Map(integrations.map((i) => [i.provider, i]));
  const cards = PROVIDER_ORDER.map((p) => {
    const integration = byProvider.get(p);
    return integration ? integrationCard(integration) : notConnectedCard(p);
  });
  show("Call integrations", ...cards, retentionCard(isAdmin()));
}

function notConnectedCard(provider: CallProvider): HTMLElement {
  const info = PROVIDERS[provider];
  return h(
    "section",
    { class: "card", "aria-labelledby": `card-${provider}`, "data-provider": provider },
    h("h2", { id: `card-${provider}` }, info.name, " ", badge("NOT_CONNECTED", "Not connected")),
    h("p", {}, info.blurb),
    isAdmin()
      ? h("a", { class: "button", href: `#/connect/${provider}` }, `Connect ${info.name}`)
      : h("p", { class: "muted" }, "A workspace admin can connect it."),
  );
}

function integrationCard(initial: IntegrationCardFragment): HTMLElement {
  const card = h("section", {
    class: "card",
    "aria-labelledby": `card-${initial.provider}`,
    "data-provider": initial.provider,
  });
  const name = PROVIDERS[initial.provider].name;
  const errors = h("div");
  let progress: RunProgress | null = null;
  // Loaded once per card (its own query): a sync's progress redraws the card, not the settings.
  const privacy = isAdmin() ? privacySection(initial.provider) : null;

  const refresh = async () => {
    const { integration } = await gql(AppIntegrationDocument, { provider: initial.provider });
    if (integration) fill(integration);
  };

  const fill = (i: IntegrationCardFragment) => {
    const active = i.status === "CONNECTED";
    // Members read; admins act, and only with what the integration's state allows (nextActions).
    const admin = isAdmin();
    const may = (a: IntegrationCardFragment["nextActions"][number]) => admin && i.nextActions.includes(a);
    const buttons: HTMLElement[] = [];
    if (may("SYNC_NOW") && i.wizardStep === "COMPLETE") {
      const syncNow = h("button", { type: "button" }, "Sync now");
      action(
        syncNow,
        async () => {
          const { syncNow: run } = await gql(AppSyncNowDocument, { integrationId: i.id });
          progress?.setRun(run);
          syncNow.remove();
        },
        errors,
      );
      buttons.push(syncNow);
    }
    if (admin && i.wizardStep !== "COMPLETE")
      buttons.push(
        h(
          "a",
          { class: "button", href: `#/connect/${i.provider}` },
          may("CONNECT") && i.status !== "PENDING_AUTHORIZATION" ? `Reconnect ${name}` : "Continue setup",
        ),
      );
    if (may("DISCONNECT")) {
      const disconnect = h("button", { type: "button", class: "danger" }, "Disconnect");
      disconnect.addEventListener("click", () => {
        const confirmButton = h("button", { type: "button", class: "danger" }, `Yes, disconnect ${name}`);
        const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
        const box = h(
          "div",
          { class: "notice", role: "group", "aria-label": "Confirm disconnect" },
          h("p", {}, `Stop syncing ${name} and delete its credentials? Imported calls and their deal links stay.`),
          h("div", { class: "actions" }, confirmButton, cancel),
        );
        cancel.addEventListener("click", () => {
          box.remove();
          disconnect.focus();
        });
        action(
          confirmButton,
          async () => {
            const { disconnectIntegration } = await gql(AppDisconnectDocument, { integrationId: i.id });
            fill(disconnectIntegration);
          },
          errors,
        );
        disconnect.parentElement?.after(box);
        confirmButton.focus();
      });
      buttons.push(disconnect);
    }

    const run = i.latestRun;
    if (!progress && i.status !== "DISCONNECTED")
      progress = new RunProgress(i.id, run, () => void refresh().catch((e) => errors.replaceChildren(alertBox(e))));
    else if (progress && run) progress.setRun(run);
    progress?.allowRetry(admin && active);
    if (progress && run) progress.setRun(run);

    card.replaceChildren(
      ...compact([
        h("h2", { id: `card-${i.provider}` }, name, " ", badge(i.status)),
        i.error ? h("div", { class: "alert", role: "alert", "data-code": i.error.code }, i.error.message) : null,
        ...i.warnings
          .filter((w) => w.code !== "RECONNECT_NEEDED" || !i.error)
          .map((w) => h("p", { class: "notice", "data-code": w.code }, w.message)),
        facts([
          ["Account", i.connectedAccount?.name ?? i.connectedAccount?.id ?? "—"],
          ["Connected", i.connectedAt ? [when(i.connectedAt), i.connectedBy ? ` by ${i.connectedBy.name}` : ""] : "—"],
          ...(i.disconnectedAt ? [["Disconnected", when(i.disconnectedAt)] as [string, Child]] : []),
          ["Backfill", backfillLabel(i.backfillPeriod)],
          ["Private calls", privateCallsLabel(i.privateCalls)],
          ["Calls imported", String(i.callCount)],
          [
            "Last sync",
            i.lastSyncAt
              ? [
                  when(i.lastSyncAt),
                  " ",
                  i.lastSyncStatus ? badge(i.lastSyncStatus) : null,
                  i.lastSyncError ? ` ${i.lastSyncError}` : "",
                ]
              : "Never",
          ],
          [
            "Next sync",
            i.nextSyncAt
              ? [when(i.nextSyncAt), h("span", { class: "muted" }, ` (every ${i.syncIntervalMinutes / 60} h)`)]
              : "Not scheduled",
          ],
        ]),
        h("div", { class: "actions" }, ...buttons),
        errors,
        progress && run ? [h("h3", {}, "Latest sync"), progress.el] : null,
        privacy,
      ]),
    );
  };
  fill(initial);
  return card;
}
