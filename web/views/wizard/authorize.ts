/** Authorize: the OAuth redirect for Gong and Salesloft, API key and secret for Clari Copilot. */
import { ApiError, gql, startAuthorization } from "../../api.js";
import { action, alertBox, h } from "../../dom.js";
import {
  AppConnectDocument,
  AppIntegrationEventsDocument,
  type CallProvider,
  type IntegrationCardFragment,
} from "../../generated/graphql.js";
import { live } from "../../live.js";
import { OUTCOMES, PROVIDERS } from "../../vocabulary.js";

/** Set once from the OAuth callback's redirect; the Authorize step shows it. */
let oauthOutcome: { provider: CallProvider; outcome: string } | null = null;

export function rememberOAuthOutcome(provider: CallProvider, outcome: string): void {
  oauthOutcome = { provider, outcome };
}

export function authorizeStep(
  provider: CallProvider,
  integration: IntegrationCardFragment | null,
  rerender: () => void,
): HTMLElement {
  const info = PROVIDERS[provider];
  const errors = h("div");
  const box = h("section", { class: "card", "aria-labelledby": "authorize-title" });
  box.append(h("h2", { id: "authorize-title" }, `Authorize callsync in ${info.name}`));

  // Back from the OAuth redirect with a failure, or a problem the API recorded.
  const outcome = oauthOutcome?.provider === provider ? oauthOutcome.outcome : null;
  oauthOutcome = null;
  if (outcome && outcome !== "connected")
    errors.append(
      h(
        "div",
        { class: "alert", role: "alert", "data-code": outcome },
        integration?.error?.code === outcome ? integration.error.message : (OUTCOMES[outcome] ?? outcome),
      ),
    );
  else if (integration?.error)
    errors.append(
      h("div", { class: "alert", role: "alert", "data-code": integration.error.code }, integration.error.message),
    );
  if (integration?.status === "DISCONNECTED")
    box.append(
      h(
        "p",
        { class: "notice" },
        "This provider was disconnected. Reconnecting picks up the calls from the gap; nothing is imported twice.",
      ),
    );
  box.append(errors);

  if (info.oauth) {
    const go = h("button", { type: "button" }, `Continue to ${info.name}`);
    box.append(
      h("p", {}, `You will be sent to ${info.name} to approve read access to users and calls, then brought back here.`),
      h("div", { class: "actions" }, go),
    );
    action(
      go,
      async () => {
        const { connectIntegration } = await gql(AppConnectDocument, { provider });
        if (!connectIntegration.authorizationUrl) return rerender();
        location.assign(await startAuthorization(connectIntegration.authorizationUrl));
      },
      errors,
    );
    // Authorized in another tab or window: the subscription says so at once.
    if (integration?.status === "PENDING_AUTHORIZATION")
      live(AppIntegrationEventsDocument, { integrationId: integration.id }, (data) => {
        if (data.integrationEvents.type === "AUTHORIZED") rerender();
      });
    return box;
  }

  // API key providers: two distinct fields, verified by the API before they are saved.
  const apiKey = h("input", { type: "text", id: "apiKey", name: "apiKey", autocomplete: "off", required: true });
  const apiSecret = h("input", {
    type: "password",
    id: "apiSecret",
    name: "apiSecret",
    autocomplete: "off",
    required: true,
  });
  const submit = h("button", { type: "submit" }, "Verify and connect");
  const form = h(
    "form",
    { novalidate: true },
    h(
      "p",
      { class: "hint", id: "keys-hint" },
      `In ${info.name}, open Settings → Integrations → Copilot API. Copy the API Key and the API Secret: two different values.`,
    ),
    h("label", { for: "apiKey" }, "API key"),
    apiKey,
    h("label", { for: "apiSecret" }, "API secret"),
    apiSecret,
    h("div", { class: "actions" }, submit),
  );
  apiKey.setAttribute("aria-describedby", "keys-hint");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    errors.replaceChildren();
    apiKey.removeAttribute("aria-invalid");
    apiSecret.removeAttribute("aria-invalid");
    try {
      await gql(AppConnectDocument, { provider, apiKey: apiKey.value, apiSecret: apiSecret.value });
      rerender();
    } catch (error) {
      errors.replaceChildren(alertBox(error));
      const field = error instanceof ApiError ? error.field : undefined;
      const invalid = field === "apiKey" ? [apiKey] : field === "apiSecret" ? [apiSecret] : [apiKey, apiSecret];
      for (const input of invalid) input.setAttribute("aria-invalid", "true");
      invalid[0]?.focus();
    } finally {
      submit.disabled = false;
    }
  });
  box.append(form);
  return box;
}
