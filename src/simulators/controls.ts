/**
 * A development control panel on every simulator, so a demo can show failure paths without
 * writing code: `GET /_sim` is a page listing the provider users with a switch each ("fail
 * this user's imports": their call listings answer 503 until switched back), and the same as
 * JSON for scripts and tests:
 *
 *   GET  /_sim/failing-users                      → {"failing": [...], "users": [...]}
 *   POST /_sim/failing-users {"emails": [...]}    → replaces the set ([] clears it)
 *
 * Simulators only ever run in development (`npm start`, tests); callsync itself has no such route.
 */
import type { Hono } from "hono";
import { escapeHtml } from "./consent.js";
import type { Behaviours } from "./kit.js";

export interface ControlOptions {
  provider: string;
  behaviours: Behaviours;
  /** The provider's users, read on every request (tests change datasets at run time). */
  users: () => { email?: string | null; name?: string | null }[];
}

/** The users that have an email (datasets may hold odd records without one). */
const people = (o: ControlOptions) =>
  o.users().flatMap((u) => (u.email ? [{ email: u.email, name: u.name || u.email }] : []));

function page(o: ControlOptions): string {
  const failing = o.behaviours.failingUsers;
  const rows = people(o)
    .map((u) => {
      const on = failing.has(u.email.toLowerCase());
      return `<tr><td>${escapeHtml(u.name)}</td><td>${escapeHtml(u.email)}</td><td>${on ? "<strong>failing (503)</strong>" : "ok"}</td>
<td><form method="post" action="/_sim/failing-users"><input type="hidden" name="toggle" value="${escapeHtml(u.email)}">
<button type="submit">${on ? "Stop failing" : "Fail imports"}</button></form></td></tr>`;
    })
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.provider)} simulator controls</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body><h1>${escapeHtml(o.provider)} simulator controls</h1>
<p>A failing user's call listings answer 503 Service Unavailable: callsync retries, then marks the user FAILED
(retryable). Switch the user back, then use <em>Retry failed users</em> in callsync.</p>
<table><thead><tr><th>User</th><th>Email</th><th>Imports</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<form method="post" action="/_sim/failing-users"><input type="hidden" name="all" value="fail"><button type="submit">Fail every user</button></form>
<form method="post" action="/_sim/failing-users"><input type="hidden" name="all" value="clear"><button type="submit">Stop all failures</button></form>
</body></html>`;
}

/** Mounts the control routes; call before the behaviour middleware, so they never fail or log. */
export function mountControls(app: Hono, o: ControlOptions): void {
  const failing = o.behaviours.failingUsers;
  const state = () => ({ failing: [...failing].sort(), users: people(o).map((u) => u.email) });
  app.get("/_sim", (c) => c.html(page(o), 200, { "cache-control": "no-store" }));
  app.get("/_sim/failing-users", (c) => c.json(state()));
  app.post("/_sim/failing-users", async (c) => {
    const type = c.req.header("content-type") ?? "";
    if (type.includes("json")) {
      const body = (await c.req.json().catch(() => null)) as { emails?: unknown } | null;
      const emails = body?.emails;
      if (!Array.isArray(emails) || !emails.every((e) => typeof e === "string"))
        return c.json({ error: 'Send {"emails": ["person@example.com", ...]} ([] clears).' }, 400);
      failing.clear();
      for (const e of emails) failing.add(e.toLowerCase());
      return c.json(state());
    }
    const form = new URLSearchParams(await c.req.text());
    const toggle = form.get("toggle")?.toLowerCase();
    if (toggle) {
      if (failing.has(toggle)) failing.delete(toggle);
      else failing.add(toggle);
    } else if (form.get("all") === "fail") for (const u of people(o)) failing.add(u.email.toLowerCase());
    else if (form.get("all") === "clear") failing.clear();
    return c.redirect("/_sim", 303);
  });
}
