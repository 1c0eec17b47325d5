/**
 * A table of a run's users that follows the syncProgress subscription (the wizard's Sync step
 * and the management view). Rows carry data-user and data-state. When the run has finished
 * with failures and the viewer may act, it offers "Retry failed users" (all at once) and a
 * Retry per failed user; a run that failed before it listed users says why and offers a retry.
 */
import { gql } from "../api.js";
import { action, badge, type Child, compact, h, humanize } from "../dom.js";
import { secondsLeft, timeOfDay } from "../format.js";
import {
  AppRetryFailedUsersDocument,
  AppRetryUserDocument,
  AppSyncProgressDocument,
  type AppSyncProgressSubscription,
  type RunSummaryFragment,
  type SyncUserRowFragment,
} from "../generated/graphql.js";
import { live } from "../live.js";

type RunEvent = AppSyncProgressSubscription["syncProgress"];
type RunState = Pick<RunSummaryFragment, "id" | "status" | "kind" | "failure">;

const STATE_LABEL: Record<string, string> = {
  PENDING: "Pending",
  IN_PROGRESS: "Importing",
  COMPLETED: "Completed",
  FAILED: "Failed",
  SKIPPED: "Skipped",
};

const COLUMNS = ["User", "State", "Calls", "Details"] as const;

export class RunProgress {
  readonly el = h("div", { class: "run-progress" });
  private readonly status = h("div", { class: "run-status", role: "status", "aria-live": "polite" });
  private readonly controls = h("div", { class: "actions run-actions" });
  private readonly errors = h("div");
  private readonly body = h("tbody");
  private readonly users = new Map<string, SyncUserRowFragment>();
  private run: RunState | null = null;
  /** Retrying needs an admin and a live connection; otherwise the last results are shown only. */
  private canRetry = false;

  constructor(
    private readonly integrationId: string,
    run: RunSummaryFragment | null,
    private readonly onFinished: (runId: string) => void,
  ) {
    this.el.append(
      this.status,
      this.controls,
      this.errors,
      h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { class: "stack" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              COLUMNS.map((c) => h("th", { scope: "col" }, c)),
              h("th", { scope: "col" }, h("span", { class: "muted" }, "Action")),
            ),
          ),
          this.body,
        ),
      ),
    );
    if (run) this.setRun(run);
    else this.renderAll();
    live(AppSyncProgressDocument, { integrationId }, (data) => this.apply(data.syncProgress));
  }

  allowRetry(allowed: boolean): void {
    this.canRetry = allowed;
    this.renderAll();
  }

  /** A run as read by a query or returned by a mutation. */
  setRun(run: RunSummaryFragment): void {
    if (this.run?.id !== run.id) this.users.clear();
    this.run = { id: run.id, status: run.status, kind: run.kind, failure: run.failure };
    for (const user of run.users) this.merge(user);
    this.renderAll();
  }

  private apply(event: RunEvent): void {
    const wasRunning = this.run?.status === "RUNNING";
    if (this.run?.id !== event.run.id) this.users.clear();
    this.run = { ...event.run };
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
      delete this.status.dataset.status;
      return;
    }
    const users = [...this.users.values()];
    const finished = users.filter((u) => u.state !== "PENDING" && u.state !== "IN_PROGRESS").length;
    const failed = users.filter((u) => u.state === "FAILED").length;
    const what = this.run.kind === "BACKFILL" ? "Initial import" : `${humanize(this.run.kind)} sync`;
    const line: Child[] = [`${what}: `, badge(this.run.status)];
    if (users.length > 0) line.push(` — ${finished} of ${users.length} users done`);
    else if (this.run.status === "RUNNING") line.push(" — listing the provider's users…");
    if (failed > 0 && this.run.status !== "RUNNING") line.push(`, ${failed} failed`);
    const eta = this.run.status === "RUNNING" ? overallSecondsLeft(users) : null;
    const parts: Child[] = [h("p", {}, ...line)];
    if (eta !== null) parts.push(h("p", { class: "eta" }, `About ${secondsLeft(eta)} left.`));
    // A run that failed as a whole (before it could list users) says why, in words.
    if (this.run.failure && this.run.status !== "RUNNING")
      parts.push(
        h(
          "div",
          { class: "alert", role: "alert", "data-code": this.run.failure.code },
          users.length === 0 ? "The sync could not list the provider's users. " : "",
          this.run.failure.message,
        ),
      );
    else if (this.run.status === "FAILED" && failed > 0)
      parts.push(
        h(
          "div",
          { class: "alert", role: "alert", "data-code": "ALL_USERS_FAILED" },
          "Every user failed, so nothing was imported. The reasons are below; retry when the problem is fixed.",
        ),
      );
    this.status.replaceChildren(...compact(parts));
    this.status.dataset.status = this.run.status;
  }

  private renderControls(): void {
    const run = this.run;
    const failed = [...this.users.values()].filter((u) => u.state === "FAILED").length;
    const retryable =
      run && run.status !== "RUNNING" && (failed > 0 || (run.status === "FAILED" && this.users.size === 0));
    if (!this.canRetry || !retryable) {
      this.controls.replaceChildren();
      return;
    }
    const retryAll = h("button", { type: "button" }, failed > 0 ? `Retry failed users (${failed})` : "Retry the sync");
    action(
      retryAll,
      async () => {
        const { retryFailedUsers } = await gql(AppRetryFailedUsersDocument, { integrationId: this.integrationId });
        this.setRun(retryFailedUsers);
      },
      this.errors,
    );
    this.controls.replaceChildren(retryAll);
  }

  private renderAll(): void {
    this.renderStatus();
    this.renderControls();
    const users = [...this.users.values()].sort((a, b) => (a.email ?? a.id).localeCompare(b.email ?? b.id));
    this.body.replaceChildren(...users.map((u) => this.row(u)));
  }

  private row(u: SyncUserRowFragment): HTMLElement {
    const details: Child[] = [];
    if (u.waitingForRateLimitUntil)
      details.push(h("div", {}, "Waiting for the provider's rate limit until ", timeOfDay(u.waitingForRateLimitUntil)));
    if (u.state === "IN_PROGRESS" && u.estimatedSecondsLeft !== null)
      details.push(h("div", {}, `About ${secondsLeft(u.estimatedSecondsLeft)} left`));
    if (u.error) details.push(h("div", { class: "error-text", "data-code": u.error.code }, u.error.message));
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
    if (u.state === "FAILED" && u.retryable !== false && this.canRetry && this.run?.status !== "RUNNING") {
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
      h("td", { "data-label": "State" }, badge(u.state, STATE_LABEL[u.state] ?? u.state)),
      h("td", { class: "nowrap", "data-label": "Calls" }, ...[calls].flat()),
      h("td", {}, ...details),
      h("td", {}, actionCell),
    );
  }
}

/** The run ends when its slowest user does: the largest estimate among users importing now. */
function overallSecondsLeft(users: SyncUserRowFragment[]): number | null {
  const known = users.filter((u) => u.state === "IN_PROGRESS" && u.estimatedSecondsLeft !== null);
  if (known.length === 0) return null;
  return Math.max(...known.map((u) => u.estimatedSecondsLeft ?? 0));
}
