/**
 * The simulated OAuth consent page (Gong and Salesloft): who is signed in at the provider, what
 * callsync asks for, and Allow / Deny. Two accounts to sign in as: an admin who may authorize
 * apps, and a person without that permission, so a demo can show every SPEC §3 authorization
 * outcome — approved (code), denied (`error=access_denied`), no permission
 * (`error=unauthorized_client`) — without writing code.
 *
 * GET <authorize path> renders the page (when `OAuthTokenStore.consentPage` is on); its form
 * POSTs the same query back to the same path with `decision` and `account`.
 */
import type { Context } from "hono";
import type { ConsentOutcome } from "./kit.js";

export interface ConsentPageOptions {
  provider: string;
  /** The company the app would be installed for. */
  company: string;
  /** Requested scopes, as sent. */
  scope: string;
  /** The admin who may approve (the simulator's consenting user). */
  adminEmail: string;
  /** Every query parameter of the authorize request, sent back with the decision. */
  query: Record<string, string>;
}

export const NO_PERMISSION_ACCOUNT = "no-permission";

/** Text and attribute values inside the simulators' HTML pages. */
export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

export function consentPage(c: Context, o: ConsentPageOptions): Response {
  const hidden = Object.entries(o.query)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join("");
  const domain = o.adminEmail.split("@")[1] ?? "example.test";
  const scopes = o.scope
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => `<li><code>${escapeHtml(s)}</code></li>`)
    .join("");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.provider)} — Authorize callsync</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:32rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}
.sim{font-size:.85rem;color:#6b7280}fieldset{border:1px solid #d1d5db;border-radius:6px;margin:1rem 0}
label{display:block;margin:.4rem 0}.actions{display:flex;gap:.75rem;flex-wrap:wrap}
button{font:inherit;padding:.55rem 1.4rem;border-radius:6px;border:1px solid #1f6feb;background:#1f6feb;color:#fff;cursor:pointer}
button[value=deny]{background:#fff;color:#1d2330;border-color:#9ca3af}
</style></head>
<body><main>
<p class="sim">${escapeHtml(o.provider)} simulator (callsync demo) — the real consent page looks different.</p>
<h1>Authorize callsync</h1>
<p><strong>callsync</strong> asks for read access to users and calls of <strong>${escapeHtml(o.company)}</strong>:</p>
<ul>${scopes}</ul>
<form method="post">${hidden}
<fieldset><legend>Signed in to ${escapeHtml(o.provider)} as</legend>
<label><input type="radio" name="account" value="admin" checked> ${escapeHtml(o.adminEmail)} — admin, may authorize apps</label>
<label><input type="radio" name="account" value="${NO_PERMISSION_ACCOUNT}"> rep@${escapeHtml(domain)} — no permission to authorize apps</label>
</fieldset>
<div class="actions"><button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></div>
</form>
</main></body></html>`;
  return c.html(html, 200, { "cache-control": "no-store" });
}

/** Reads the consent form: the original authorize query and what the person chose. */
export async function consentDecision(c: Context): Promise<{ query: Record<string, string>; outcome: ConsentOutcome }> {
  const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
  const { decision, account, ...query } = form;
  const outcome: ConsentOutcome =
    decision !== "allow" ? "deny" : account === NO_PERMISSION_ACCOUNT ? "forbidden" : "approve";
  return { query: query as Record<string, string>, outcome };
}
