/** A finished run in numbers: calls imported, updated, unchanged; users completed, failed, skipped and why. */
import { facts, h } from "../dom.js";
import type { RunSummaryFragment } from "../generated/graphql.js";

export function summaryView(run: RunSummaryFragment): HTMLElement {
  const s = run.summary;
  return h(
    "div",
    { class: "summary" },
    h(
      "p",
      { class: run.status === "COMPLETED" ? "success" : "notice", "data-status": run.status },
      `Imported ${s.callsImported} new call${s.callsImported === 1 ? "" : "s"} from ${s.usersCompleted} user${s.usersCompleted === 1 ? "" : "s"}.`,
      s.usersFailed > 0 ? ` ${s.usersFailed} failed — retry them below.` : "",
    ),
    facts([
      ["Calls imported", String(s.callsImported)],
      ["Calls updated", String(s.callsUpdated)],
      ["Calls unchanged", String(s.callsUnchanged)],
      ["Users completed", String(s.usersCompleted)],
      ["Users failed", String(s.usersFailed)],
      ["Users skipped", String(s.usersSkipped)],
    ]),
    s.skipped.length
      ? [
          h("h3", {}, "Skipped users"),
          h(
            "ul",
            { class: "skipped" },
            s.skipped.map((u) => h("li", {}, h("strong", {}, u.name ?? u.email ?? "Unknown"), ` — ${u.reason}`)),
          ),
        ]
      : null,
  );
}
