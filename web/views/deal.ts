/** #/deals/<id>: a deal's CRM facts and its calls. */
import { gql } from "../api.js";
import { badge, facts, h, humanize } from "../dom.js";
import { day, duration, money, when } from "../format.js";
import { AppDealDocument, type AppDealQuery } from "../generated/graphql.js";
import { show } from "../view.js";
import { PROVIDERS } from "../vocabulary.js";

export async function dealView(id: string, stale: () => boolean): Promise<void> {
  const { deal } = await gql(AppDealDocument, { id });
  if (stale()) return;
  if (!deal) return show("Deal not found", h("p", {}, h("a", { href: "#/deals" }, "Back to deals")));
  show(
    deal.name,
    h("nav", { "aria-label": "Breadcrumb" }, h("a", { href: "#/deals" }, "← All deals")),
    h(
      "div",
      { class: "card" },
      facts([
        ["Account", [deal.account?.name ?? "—", deal.account?.domain ? ` (${deal.account.domain})` : ""]],
        ["Stage", deal.stage ?? "—"],
        ["Amount", money(deal.amount, deal.currency)],
        ["Close date", day(deal.closeDate)],
        ["Owner", deal.ownerName ?? deal.ownerEmail ?? "—"],
        ["CRM", `${humanize(deal.crmProvider)} ${deal.crmId}`],
      ]),
    ),
    h("h2", {}, `Calls (${deal.calls.totalCount})`),
    deal.calls.edges.length
      ? h(
          "ul",
          { class: "calls" },
          deal.calls.edges.map(({ node }) => callItem(node)),
        )
      : h("p", { class: "muted" }, "No calls on this deal yet."),
  );
}

type DealCall = NonNullable<AppDealQuery["deal"]>["calls"]["edges"][number]["node"];

function callItem(c: DealCall): HTMLElement {
  const external = c.participants.filter((p) => !p.isInternal).map((p) => p.name ?? "Unknown");
  return h(
    "li",
    {},
    h("a", { href: `#/calls/${encodeURIComponent(c.id)}` }, c.title ?? "Untitled call"),
    " ",
    c.readiness !== "READY" ? badge(c.readiness) : null,
    h(
      "div",
      { class: "muted" },
      when(c.startedAt),
      ` · ${duration(c.durationMs)} · ${PROVIDERS[c.provider].name}`,
      external.length ? ` · with ${external.join(", ")}` : "",
    ),
  );
}
