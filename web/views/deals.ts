/** #/deals: the workspace's deals, searchable by deal or account name. */
import { gql } from "../api.js";
import { h } from "../dom.js";
import { day, money } from "../format.js";
import { AppDealsDocument } from "../generated/graphql.js";
import { show } from "../view.js";

export async function dealsView(stale: () => boolean): Promise<void> {
  const params = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const text = params.get("q") ?? "";
  const { deals } = await gql(AppDealsDocument, { first: 100, filter: text ? { text } : null });
  if (stale()) return;
  const search = h("input", { type: "search", id: "deal-search", name: "q", value: text });
  const form = h("form", { role: "search" }, h("label", { for: "deal-search" }, "Find a deal or account"), search);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `#/deals?q=${encodeURIComponent(search.value)}`;
  });
  show(
    "Deals",
    form,
    h("p", { class: "muted" }, `${deals.totalCount} deal${deals.totalCount === 1 ? "" : "s"}`),
    h(
      "table",
      { class: "stack" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Deal", "Account", "Stage", "Amount", "Close date", "Calls"].map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h(
        "tbody",
        {},
        deals.edges.map(({ node: d }) =>
          h(
            "tr",
            {},
            h("td", {}, h("a", { href: `#/deals/${encodeURIComponent(d.id)}` }, d.name)),
            h("td", { "data-label": "Account" }, d.account?.name ?? "—"),
            h("td", { "data-label": "Stage" }, d.stage ?? "—"),
            h("td", { "data-label": "Amount" }, money(d.amount, d.currency)),
            h("td", { "data-label": "Close date" }, day(d.closeDate)),
            h("td", { "data-label": "Calls" }, String(d.calls.totalCount)),
          ),
        ),
      ),
    ),
  );
}
