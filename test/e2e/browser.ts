/**
 * Browser tests of the example client (web/): Debian's Chromium driven by playwright-core, an
 * in-process API with the page mounted, and a screenshot per step under test-output/screenshots.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import type { TestApi } from "../support/api.js";

export const SCREENSHOTS = fileURLToPath(new URL("../../test-output/screenshots/", import.meta.url));

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page that fails the test on uncaught errors in the browser. */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.setDefaultTimeout(20_000);
  return { page, errors };
}

export async function screenshot(page: Page, step: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${step}.png`, fullPage: true });
}

/** The page's origin: the API's URL without /graphql. */
export const appOrigin = (api: TestApi) => api.url.replace(/\/graphql$/, "");

/**
 * Records every (user, state, run status) the progress tables show, from now on: what a
 * person watching the page would have seen, change by change.
 */
export async function recordRowStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: { user: string; state: string; run: string }[] = [];
    (window as unknown as { __rowStates: typeof seen }).__rowStates = seen;
    const snapshot = () => {
      for (const progress of document.querySelectorAll(".run-progress")) {
        const run = progress.querySelector<HTMLElement>(".run-status")?.dataset.status ?? "";
        for (const row of progress.querySelectorAll<HTMLElement>("tr[data-state]")) {
          const last = seen.findLast((s) => s.user === row.dataset.user);
          if (!last || last.state !== row.dataset.state || last.run !== run)
            seen.push({ user: row.dataset.user ?? "", state: row.dataset.state ?? "", run });
        }
      }
    };
    new MutationObserver(snapshot).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
}

export function rowStates(page: Page): Promise<{ user: string; state: string; run: string }[]> {
  return page.evaluate(
    () => (window as unknown as { __rowStates: { user: string; state: string; run: string }[] }).__rowStates,
  );
}

/** Lets queued jobs (transcript follow-ups after a run) finish before the database goes away. */
export async function settleJobs(api: TestApi, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const { rows } = await api.runtime.db.pool.query(
      `SELECT count(*)::int AS n FROM agenda_jobs
        WHERE locked_at IS NOT NULL OR (next_run_at <= now() AND repeat_interval IS NULL)`,
    );
    if (rows[0].n === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
