/** #/calls/<id>: one call — facts, summary, action items, participants and the transcript. */
import { gql } from "../api.js";
import { facts, h, humanize } from "../dom.js";
import { clock, duration, when } from "../format.js";
import { AppCallDocument, type AppCallQuery } from "../generated/graphql.js";
import { show } from "../view.js";
import { PROVIDERS } from "../vocabulary.js";

export async function callView(id: string, stale: () => boolean): Promise<void> {
  const { call } = await gql(AppCallDocument, { id });
  if (stale()) return;
  if (!call) return show("Call not found", h("p", {}, h("a", { href: "#/deals" }, "Back to deals")));
  show(
    call.title ?? "Untitled call",
    h(
      "nav",
      { "aria-label": "Breadcrumb" },
      call.deal
        ? h("a", { href: `#/deals/${encodeURIComponent(call.deal.id)}` }, `← ${call.deal.name}`)
        : h("a", { href: "#/deals" }, "← All deals"),
    ),
    h(
      "div",
      { class: "card" },
      facts([
        ["When", when(call.startedAt)],
        ["Duration", duration(call.durationMs)],
        ["Provider", PROVIDERS[call.provider].name],
        ["Direction", humanize(call.direction)],
        ["Deal", call.deal ? call.deal.name : (call.dealLink.reason ?? humanize(call.dealLink.status))],
      ]),
      call.providerUrl
        ? h(
            "a",
            { href: call.providerUrl, target: "_blank", rel: "noopener noreferrer" },
            `Open the recording in ${PROVIDERS[call.provider].name}`,
          )
        : null,
    ),
    h(
      "div",
      { class: "two-col" },
      h(
        "section",
        { class: "card", "aria-labelledby": "summary-title" },
        h("h2", { id: "summary-title" }, "Summary"),
        call.summary?.brief ? h("p", {}, call.summary.brief) : h("p", { class: "muted" }, "No summary."),
        call.summary?.keyPoints.length
          ? h(
              "ul",
              {},
              call.summary.keyPoints.map((k) => h("li", {}, k)),
            )
          : null,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "actions-title" },
        h("h2", { id: "actions-title" }, "Action items"),
        call.actionItems.length
          ? h(
              "ul",
              { class: "action-items" },
              call.actionItems.map((a) =>
                h(
                  "li",
                  {},
                  a.text,
                  a.owner?.name || a.ownerName
                    ? h("span", { class: "muted" }, ` — ${a.owner?.name ?? a.ownerName}`)
                    : null,
                ),
              ),
            )
          : h("p", { class: "muted" }, "No action items."),
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "people-title" },
        h("h2", { id: "people-title" }, "Participants"),
        h(
          "ul",
          {},
          call.participants.map((p) =>
            h(
              "li",
              {},
              p.name ?? p.email ?? "Unknown",
              h("span", { class: "muted" }, p.isInternal ? " (internal)" : " (external)"),
            ),
          ),
        ),
      ),
    ),
    transcriptView(call),
  );
}

function transcriptView(call: NonNullable<AppCallQuery["call"]>): HTMLElement {
  const t = call.transcript;
  const section = h(
    "section",
    { "aria-labelledby": "transcript-title" },
    h("h2", { id: "transcript-title" }, `Transcript (${t.segmentCount} segments)`),
  );
  if (t.readiness !== "READY" && t.segmentCount === 0) {
    const why: Record<string, string> = {
      PROCESSING: "The provider is still processing this call.",
      TRANSCRIPT_PENDING: "The provider has not published the transcript yet; callsync checks again on every sync.",
      TRANSCRIPT_GAVE_UP: "The transcript did not arrive in time.",
      FAILED: "The provider could not process this call.",
    };
    section.append(h("p", { class: "notice" }, why[t.readiness] ?? "No transcript."));
    return section;
  }
  section.append(
    h(
      "ol",
      { class: "transcript" },
      t.segments.edges.map(({ node: s }) =>
        h(
          "li",
          { "data-position": s.position },
          h("time", {}, clock(s.startMs)),
          h(
            "span",
            { class: `speaker${s.speaker?.isInternal === false ? " external" : ""}` },
            s.speaker?.name ?? "Unknown speaker",
          ),
          h("span", { class: "text" }, s.text),
        ),
      ),
    ),
  );
  return section;
}
