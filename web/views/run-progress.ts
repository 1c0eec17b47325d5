/**
 * A table of a run's users that follows the syncProgress subscription (the wizard's Sync step
 * and the management view). Rows carry data-user and data-state; failed, retryable users get a
 * Retry button.
 */
import { gql } from "../api.js";
import { action, badge, type Child, h, humanize } from "../dom.js";
import { timeOfDay } from "../format.js";
import {
  AppRetryUserDocument,
  AppSyncProgressDocument,
  type AppSyncProgressSubscription,
  type RunSummaryFragment,
  type SyncUserRowFragment,
} from "../generated/graphql.js";
import { live } from "../live.js";

type RunEvent = AppSyncProgressSubscription["syncProgress"];

const STATE_LABEL: Record<string, string> = {
  PENDING: "Pending",
  IN_PROGRESS: "Importing",
  COMPLETED: "Completed",
  FAILED: "Failed",
  SKIPPED: "Skipped",
};

/**
 * A table of a run's users that follows the syncProgress subscription. Rows carry
 * data-user and data-state; failed, retryable users get a Retry button.
 */
export class RunProgress {
  readonly el = h("div", { class: "run-progress" });
  private readonly status = h("p", { class: "run-status", role: "status", "aria-live": "polite" });
  private readonly body = h("tbody");
  private readonly users = new Map<string, SyncUserRowFragment>();
  private run: { id: string; status: string; kind: string } | null = null;
  /** Retrying needs a live connection; a disconnected integration shows its last results only. */
  private canRetry = true;

  constructor(
    integrationId: string,
    run: RunSummaryFragment | null,
    private readonly onFinished: (runId: string) => void,
  ) {
    this.el.append(
      this.status,
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "User"),
            h("th", { scope: "col" }, "State"),
            h("th", { scope: "col" }, "Calls"),
            h("th", { scope: "col" }, "Details"),
            h("th", { scope: "col" }, h("span", { class: "muted" }, "Action")),
          ),
        ),
        this.body,
      ),
    );
    if (run) this.setRun(run);
    else this.renderStatus();
    live(AppSyncProgressDocument, { integrationId }, (data) => this.apply(data.syncProgress));
  }

  allowRetry(allowed: boolean): void {
    this.canRetry = allowed;
    this.renderAll();
  }

  /** A run as read by a query or returned by a mutation. */
  setRun(run: RunSummaryFragment): void {
    if (this.run?.id !== run.id) this.users.clear();
    this.run = { id: run.id, status: run.status, kind: run.kind };
    for (const user of run.users) this.merge(user);
    this.renderAll();
  }

  private apply(event: RunEvent): void {
    const wasRunning = this.run?.status === "RUNNING";
    if (this.run?.id !== event.run.id) {
      this.users.clear();
      this.run = { ...event.run };
    }
    this.run.status = event.run.status;
    if (event.user) this.merge(event.user);
    this.renderAll();
    if (wasRunning && event.run.status !== "RUNNING") this.onFinished(event.run.id);
  }

  /** Events may cross a query's answer: the newest write of a user wins. */
  private merge(user: SyncUserRowFragment): void {
    const known = this.users.get(user.id);
    if (!known || Date.parse(user.updatedAt) >= Date.parse(known.updatedAt)) this.users.set(user.id, user);
  }

  private renderStatus(): void {
    if (!this.run) {
      this.status.textContent = "No sync has run yet.";
      return;
    }
    const users = [...this.users.values()];
    const finished = users.filter((u) => u.state !== "PENDING" && u.state !== "IN_PROGRESS").length;
    const what = this.run.kind === "BACKFILL" ? "Initial import" : `${humanize(this.run.kind)} sync`;
    this.status.replaceChildren(`${what}: `, badge(this.run.status), ` — ${finished} of ${users.length} users done`);
    this.status.dataset.status = this.run.status;
  }

  private renderAll(): void {
    this.renderStatus();
    const users = [...this.users.values()].sort((a, b) => (a.email ?? a.id).localeCompare(b.email ?? b.id));
    this.body.replaceChildren(...users.map((u) => this.row(u)));
  }

  private row(u: SyncUserRowFragment): HTMLElement {
    const details: Child[] = [];
    if (u.waitingForRateLimitUntil)
      details.push(h("div", {}, "Waiting for the provider's rate limit until ", timeOfDay(u.waitingForRateLimitUntil)));
    if (u.state === "IN_PROGRESS" && u.estimatedSecondsLeft !== null)
      details.push(h("div", {}, `About ${u.estimatedSecondsLeft} s left`));
    if (u.error) details.push(h("div", { class: "error-text" }, u.error.message));
    if (u.retryAdvice) details.push(h("div", { class: "hint" }, u.retryAdvice));
    if (u.skipReason) details.push(h("div", {}, u.skipReason));

    const total = u.callsTotal;
    const calls =
      u.state === "SKIPPED"
        ? "—"
        : [
            total ? h("progress", { max: total, value: Math.min(u.callsDone, total), "aria-hidden": "true" }) : null,
            total !== null
              ? ` ${u.callsDone} / ${total}`
              : ` ${u.callsDone}${u.state === "IN_PROGRESS" ? " so far" : ""}`,
            u.callsImported > 0 ? h("span", { class: "muted" }, ` (${u.callsImported} new)`) : null,
          ];

    let actionCell: Child = null;
    if (u.state === "FAILED" && u.retryable !== false && this.canRetry) {
      const retry = h("button", { type: "button", class: "secondary" }, "Retry");
      retry.setAttribute("aria-label", `Retry ${u.name ?? u.email ?? "user"}`);
      const slot = h("div");
      action(
        retry,
        async () => {
          const data = await gql(AppRetryUserDocument, { id: u.id });
          if (this.run) this.run.status = "RUNNING";
          this.merge(data.retrySyncUser);
          this.renderAll();
        },
        slot,
      );
      actionCell = h("div", {}, retry, slot);
    }

    return h(
      "tr",
      { "data-user": u.email ?? u.id, "data-state": u.state },
      h(
        "td",
        {},
        h("div", {}, u.name ?? u.email ?? "Unknown user"),
        u.name ? h("div", { class: "muted" }, u.email) : null,
      ),
      h("td", {}, badge(u.state, STATE_LABEL[u.state] ?? u.state)),
      h("td", { class: "nowrap" }, ...[calls].flat()),
      h("td", {}, ...details),
      h("td", {}, actionCell),
    );
  }
}
