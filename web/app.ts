/**
 * The callsync example client: how a web or mobile client uses the GraphQL API. Each concern
 * has its own file:
 *
 * - session.ts — the bearer token; api.ts — queries and mutations over HTTP (typed documents
 *   generated from web/operations/*.graphql); live.ts — subscriptions over graphql-ws.
 * - view.ts — the current view; dom.ts, format.ts, vocabulary.ts — shared helpers and words.
 * - views/ — one file per view; views/wizard/ — one file per wizard step.
 *
 * Routes (hash): #/integrations (manage), #/connect[/PROVIDER] (the wizard: Connect → Authorize
 * → Backfill → Sync → Complete), #/deals, #/deals/<id>, #/calls/<id>. The OAuth callback sends
 * the browser back to /app/?provider=…&outcome=…&integrationId=….
 */
import { gql } from "./api.js";
import { alertBox, h, humanize } from "./dom.js";
import { TIME_ZONE } from "./format.js";
import { AppViewerDocument } from "./generated/graphql.js";
import { currentToken, restoreToken, setToken, signOut } from "./session.js";
import { leaveView, setRenderer, show } from "./view.js";
import { isAdmin, setViewer } from "./viewer.js";
import { callView } from "./views/call.js";
import { dealView } from "./views/deal.js";
import { dealsView } from "./views/deals.js";
import { integrationsView } from "./views/integrations.js";
import { signInView } from "./views/sign-in.js";
import { rememberOAuthOutcome } from "./views/wizard/authorize.js";
import { wizardView } from "./views/wizard/index.js";
import { isProvider } from "./vocabulary.js";

let renderCount = 0;

async function render(): Promise<void> {
  leaveView();
  const mine = ++renderCount;
  const [, section = "integrations", id] = location.hash.split("/");
  for (const link of document.querySelectorAll<HTMLAnchorElement>("header nav a")) {
    if (link.getAttribute("href") === `#/${section}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!currentToken()) return signInView(() => void boot());
  try {
    const stale = () => mine !== renderCount;
    if (section === "connect") await wizardView(isProvider(id) ? id : null, stale);
    else if (section === "deals" && id) await dealView(decodeURIComponent(id), stale);
    else if (section === "deals") await dealsView(stale);
    else if (section === "calls" && id) await callView(decodeURIComponent(id), stale);
    else await integrationsView(stale);
  } catch (e) {
    if (mine !== renderCount) return;
    if (!currentToken()) return signInView(() => void boot());
    show("Something went wrong", alertBox(e));
  }
}

async function boot(): Promise<void> {
  const url = new URL(location.href);
  const q = url.searchParams;
  // `npm start` prints /app/?token=…; keep it in localStorage and out of the address bar.
  if (q.get("token")) setToken(q.get("token") ?? "");
  else restoreToken();
  // Back from the provider's consent page through callsync's OAuth callback.
  const provider = q.get("provider");
  if (isProvider(provider) && q.get("outcome")) {
    rememberOAuthOutcome(provider, q.get("outcome") ?? "");
    url.hash = `#/connect/${provider}`;
  }
  for (const key of ["token", "provider", "outcome", "integrationId"]) url.searchParams.delete(key);
  history.replaceState(null, "", url);

  const viewer = document.getElementById("viewer") as HTMLElement;
  const workspace = document.getElementById("workspace") as HTMLElement;
  if (currentToken()) {
    try {
      const data = await gql(AppViewerDocument, {});
      setViewer(data.viewer);
      workspace.textContent = data.viewer.workspace.name;
      const out = h("button", { type: "button", class: "secondary" }, "Sign out");
      out.addEventListener("click", () => {
        signOut();
        setViewer(null);
        viewer.replaceChildren();
        workspace.replaceChildren();
        void render();
      });
      viewer.replaceChildren(
        `${data.viewer.user.name} (${humanize(data.viewer.user.role)}) `,
        h("span", { class: "muted", id: "time-zone" }, `Times in ${TIME_ZONE} `),
        out,
      );
      // Members read deals and calls; connecting is for admins, so the link is not offered.
      document
        .querySelector<HTMLElement>('header nav a[href="#/connect"]')
        ?.parentElement?.toggleAttribute("hidden", !isAdmin());
    } catch {
      // render() shows the sign-in form when the token is refused.
    }
  }
  await render();
}

setRenderer(render);
window.addEventListener("hashchange", () => void render());
void boot();
