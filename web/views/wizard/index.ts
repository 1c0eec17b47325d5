/**
 * #/connect[/PROVIDER]: the wizard, Connect → Authorize → Backfill → Sync → Complete. The step
 * comes from the API (Integration.wizardStep); each step has its own file.
 */
import { gql } from "../../api.js";
import { h } from "../../dom.js";
import {
  AppIntegrationDocument,
  type CallProvider,
  type IntegrationCardFragment,
  type WizardStep,
} from "../../generated/graphql.js";
import { rerender, show } from "../../view.js";
import { isAdmin } from "../../viewer.js";
import { PROVIDER_ORDER, PROVIDERS, STEPS } from "../../vocabulary.js";
import { authorizeStep } from "./authorize.js";
import { backfillStep } from "./backfill.js";
import { completeStep } from "./complete.js";
import { syncStep } from "./sync.js";

function stepper(current: WizardStep): HTMLElement {
  const index = STEPS.findIndex((s) => s.step === current);
  return h(
    "ol",
    { class: "steps", "aria-label": "Setup steps" },
    STEPS.map((s, i) =>
      h(
        "li",
        { class: i < index ? "done" : null, "aria-current": i === index ? "step" : null, "data-step": s.step },
        s.label,
      ),
    ),
  );
}

/** Which step to show: the server's wizardStep, except that a new or lost connection authorizes again. */
function currentStep(i: IntegrationCardFragment | null): WizardStep {
  if (!i || i.status === "DISCONNECTED" || i.status === "RECONNECT_NEEDED" || i.status === "PENDING_AUTHORIZATION")
    return "AUTHORIZE";
  return i.wizardStep === "CONNECT" ? "AUTHORIZE" : i.wizardStep;
}

export async function wizardView(provider: CallProvider | null, stale: () => boolean): Promise<void> {
  if (!provider) {
    if (!isAdmin())
      return show(
        "Connect a call recorder",
        h("p", { class: "notice", "data-code": "FORBIDDEN" }, "Only workspace admins can connect call recorders."),
      );
    show(
      "Connect a call recorder",
      stepper("CONNECT"),
      h("p", {}, "Pick the provider your team records calls with. You can connect all three."),
      h(
        "div",
        { class: "cards" },
        PROVIDER_ORDER.map((p) =>
          h(
            "section",
            { class: "card", "aria-labelledby": `pick-${p}` },
            h("h2", { id: `pick-${p}` }, PROVIDERS[p].name),
            h("p", {}, PROVIDERS[p].blurb),
            h("a", { class: "button", href: `#/connect/${p}` }, `Connect ${PROVIDERS[p].name}`),
          ),
        ),
      ),
    );
    return;
  }
  const name = PROVIDERS[provider].name;
  const title = `Connect ${name}`;
  if (!isAdmin())
    return show(
      title,
      h(
        "p",
        { class: "notice", "data-code": "FORBIDDEN" },
        `Only workspace admins can connect ${name}. Ask an admin; you can browse deals and calls meanwhile.`,
      ),
      h("a", { class: "button", href: "#/deals" }, "Go to Deals"),
    );
  const { integration } = await gql(AppIntegrationDocument, { provider });
  if (stale()) return;
  const step = currentStep(integration);
  if (step === "AUTHORIZE") return show(title, stepper(step), authorizeStep(provider, integration, rerender));
  if (!integration) return;
  if (step === "BACKFILL") return show(title, stepper(step), backfillStep(integration, rerender));
  if (step === "SYNC") return show(title, stepper(step), syncStep(integration, rerender));
  show(title, stepper("COMPLETE"), completeStep(integration));
}
