/**
 * Every path of the demo as a newcomer walks it: a real `npm start` (embedded PostgreSQL in a
 * fresh data directory, the three simulators with their consent pages and /_sim controls), driven
 * in headless Chromium, screenshots in test-output/screenshots/demo-*.png:
 *
 * GraphiQL offline and / → app; the Salesloft wizard through the consent page; Gong denied, then
 * without permission, then allowed; Clari Copilot with every user failing (FAILED, Retry failed
 * users); a second `npm start` on the same data directory refused while the first keeps its data;
 * a member's read-only view; a restart followed by Sync now completing for all three; reconnect
 * after disconnect ending in a completed import with nothing imported twice; the wizard, a deal
 * and a call at 390 px. First-boot and warm-start times go to test-output/boot-times.json.
 *
 * The tests share one server and run in order: each starts where the previous one left off.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, demoGql, freePortBlock, startDemo, tokenFor } from "../support/npm-start.js";
import { killAll, spawnCallsync } from "../support/processes.js";
import { launchBrowser, screenshot } from "./browser.js";

const OUTPUT = fileURLToPath(new URL("../../test-output/", import.meta.url));
const LONG = 90_000;

let dataDir: string;
let port: number;
let demo: DemoServer;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const boot: { firstBootMs?: number; warmStartMs?: number } = {};

async function newPage(context: BrowserContext): Promise<Page> {
  const p = await context.newPage();
  p.on("pageerror", (e) => pageErrors.push(e.message));
  p.setDefaultTimeout(30_000);
  return p;
}

const card = (provider: string) => page.locator(`section[data-provider="${provider}"]`);

type IntegrationFacts = {
  provider: string;
  state: string;
  status: string;
  callCount: number;
  nextActions: string[];
  latestRun: { id: string; kind: string; status: string } | null;
};

async function integrations(): Promise<Map<string, IntegrationFacts>> {
  const data = await demoGql<{ integrations: IntegrationFacts[] }>(
    demo,
    "{ integrations { provider state status callCount nextActions latestRun { id kind status } } }",
  );
  return new Map(data.integrations.map((i) => [i.provider, i]));
}

async function callTotal(): Promise<number> {
  const data = await demoGql<{ calls: { totalCount: number } }>(demo, "{ calls(first: 1) { totalCount } }");
  return data.calls.totalCount;
}

/** Polls until `check` holds (the server works in the background), with a generous deadline. */
async function until<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, ms = LONG): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The OAuth round trip through the simulator's consent page, choosing as a person would. */
async function consent(provider: "Gong" | "Salesloft", choice: "allow" | "deny" | "no-permission", shot?: string) {
  await page.getByRole("button", { name: `Continue to ${provider}` }).click();
  await page.getByRole("heading", { name: "Authorize callsync", exact: true }).waitFor();
  if (shot) await screenshot(page, shot);
  if (choice === "no-permission") await page.getByLabel(/no permission to authorize apps/).check();
  await page.getByRole("button", { name: choice === "deny" ? "Deny" : "Allow" }).click();
  await page.waitForURL(/\/app\/#\/connect\//);
}

/** Backfill (default: 6 months) → Start import → Complete. */
async function backfillAndImport(shotPrefix?: string) {
  await page.getByRole("group", { name: "How far back should callsync import calls?" }).waitFor();
  if (shotPrefix) await screenshot(page, `${shotPrefix}-backfill`);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Start import" }).click();
  await page.getByRole("heading", { name: "Import finished" }).waitFor({ timeout: LONG });
  expect(await page.locator('.steps [aria-current="step"]').textContent()).toBe("Complete");
  if (shotPrefix) await screenshot(page, `${shotPrefix}-complete`);
}

async function noHorizontalOverflow(p: Page): Promise<void> {
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
}

const visibleCount = (l: Locator) => l.evaluateAll((els) => els.filter((e) => (e as HTMLElement).offsetParent).length);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "callsync-demo-"));
  port = await freePortBlock(4);
  demo = await startDemo({ dataDir, port, name: "npm-start-1" });
  boot.firstBootMs = Math.round(demo.bootMs);
  browser = await launchBrowser();
  admin = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
  page = await newPage(admin);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await demo?.proc.kill("SIGTERM");
  await killAll();
  mkdirSync(OUTPUT, { recursive: true });
  writeFileSync(join(OUTPUT, "boot-times.json"), `${JSON.stringify(boot, null, 2)}\n`);
  console.log(`npm start: first boot ${boot.firstBootMs} ms, warm start ${boot.warmStartMs} ms`);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("the demo (npm start) in a browser", () => {
  it(
    "serves GraphiQL without the internet, signed in as the demo admin, and / leads to the app",
    async () => {
      const offline = await admin.newPage();
      const outside: string[] = [];
      // Nothing may leave the machine: every request to another host fails, as when offline.
      await offline.route("**/*", (route) => {
        const url = new URL(route.request().url());
        if (["http:", "https:", "ws:", "wss:"].includes(url.protocol) && url.hostname !== "127.0.0.1") {
          outside.push(url.href);
          return route.abort("internetdisconnected");
        }
        return route.continue();
      });
      await offline.goto(demo.graphqlUrl);
      await offline.locator(".graphiql-container").first().waitFor({ timeout: LONG });
      await offline.getByText(`Bearer ${demo.adminToken}`).first().waitFor();
      await screenshot(offline, "demo-01-graphiql-offline");
      expect(outside).toEqual([]);

      await offline.goto(`${demo.origin}/`);
      expect(new URL(offline.url()).pathname).toBe("/app/");
      await offline.close();
    },
    LONG,
  );

  it(
    "runs the Salesloft wizard through the consent page: Allow → Backfill → Sync → Complete",
    async () => {
      await page.goto(`${demo.origin}/app/?token=${demo.adminToken}#/connect`);
      await page.getByRole("heading", { name: "Connect a call recorder" }).waitFor();
      await page.getByRole("link", { name: "Connect Salesloft" }).click();
      await page.getByRole("heading", { name: "Authorize callsync in Salesloft" }).waitFor();
      await screenshot(page, "demo-02-salesloft-authorize");
      await consent("Salesloft", "allow", "demo-03-salesloft-consent");
      await backfillAndImport("demo-04-salesloft");
      const salesloft = (await integrations()).get("SALESLOFT")!;
      expect(salesloft.state).toBe("COMPLETE");
      expect(salesloft.callCount).toBeGreaterThan(0);
    },
    2 * LONG,
  );

  it(
    "Gong: Deny and an account without permission each say what happened and what to do; then Allow connects",
    async () => {
      await page.goto(`${demo.origin}/app/#/connect/GONG`);
      await page.getByRole("heading", { name: "Authorize callsync in Gong" }).waitFor();
      await consent("Gong", "deny");
      const alert = page.getByRole("alert");
      await alert.waitFor();
      expect(await alert.getAttribute("data-code")).toBe("AUTHORIZATION_CANCELLED");
      expect(await alert.textContent()).toMatch(/cancelled or denied.*Start the connection again/);
      // The way forward: connecting again is allowed in this state, and the button is there.
      expect((await integrations()).get("GONG")?.nextActions).toContain("CONNECT");
      await page.getByRole("button", { name: "Continue to Gong" }).waitFor();
      await screenshot(page, "demo-05-gong-denied");

      await consent("Gong", "no-permission");
      await alert.waitFor();
      expect(await alert.getAttribute("data-code")).toBe("AUTHORIZATION_ACCESS_DENIED");
      expect(await alert.textContent()).toMatch(/may not authorize third-party apps.*Ask a provider admin/);
      await screenshot(page, "demo-06-gong-no-permission");

      await consent("Gong", "allow");
      await backfillAndImport();
      expect((await integrations()).get("GONG")?.state).toBe("COMPLETE");
    },
    2 * LONG,
  );

  it(
    "Clari Copilot with every user failing: FAILED on the Sync step, then Retry failed users completes",
    async () => {
      const control = `${demo.sims.clari}/_sim/failing-users`;
      const { users } = (await (await fetch(control)).json()) as { users: string[] };
      const set = await fetch(control, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ emails: users }),
      });
      expect(((await set.json()) as { failing: string[] }).failing).toEqual([...users].sort());

      await page.goto(`${demo.origin}/app/#/connect/CLARI_COPILOT`);
      await page.getByLabel("API key").fill(demo.clariKey.apiKey);
      await page.getByLabel("API secret").fill(demo.clariKey.apiSecret);
      await page.getByRole("button", { name: "Verify and connect" }).click();
      await page.getByRole("group", { name: "How far back should callsync import calls?" }).waitFor();
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("button", { name: "Start import" }).click();

      await page.getByRole("heading", { name: "The import failed" }).waitFor({ timeout: LONG });
      await page.locator('.run-status[data-status="FAILED"]').waitFor();
      expect(await page.locator('.steps [aria-current="step"]').textContent()).toBe("Sync");
      expect(await page.getByRole("heading", { name: "Import finished" }).count()).toBe(0);
      const failedRows = await page.locator('tr[data-state="FAILED"]').count();
      expect(failedRows).toBeGreaterThan(0);
      const retryAll = page.getByRole("button", { name: `Retry failed users (${failedRows})` });
      await retryAll.waitFor();
      const clari = (await integrations()).get("CLARI_COPILOT")!;
      expect(clari.state).toBe("FAILED");
      expect(clari.nextActions).toContain("RETRY_FAILED_USERS");
      await screenshot(page, "demo-07-clari-all-users-failed");

      // The outage ends (the /_sim page's "Stop all failures"), and the admin retries them all.
      await fetch(control, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ emails: [] }),
      });
      await retryAll.click();
      await page.getByRole("heading", { name: "Import finished" }).waitFor({ timeout: LONG });
      expect(await page.locator('tr[data-state="FAILED"]').count()).toBe(0);
      await screenshot(page, "demo-08-clari-retried");
      expect((await integrations()).get("CLARI_COPILOT")?.state).toBe("COMPLETE");
    },
    2 * LONG,
  );

  it(
    "a second npm start on the same data directory refuses in one line; the first keeps serving all its data",
    async () => {
      const before = { calls: await callTotal(), integrations: await integrations() };
      const other = await freePortBlock(4);
      const second = spawnCallsync(
        "start",
        { CALLSYNC_DATA_DIR: dataDir, PORT: String(other), LOG_LEVEL: "warn" },
        "npm-start-second",
      );
      const exit = await second.exited;
      expect(exit.code).toBe(1);
      const output = second.output().trim();
      expect(output).toMatch(
        new RegExp(
          `^callsync: another callsync \\(pid ${demo.proc.pid}, .*\\) is using the data directory .*Stop it first`,
        ),
      );
      expect(output.split("\n")).toHaveLength(1);
      // It never got as far as the port or the simulators.
      expect(await fetch(`http://127.0.0.1:${other}/ready`).catch(() => null)).toBeNull();

      expect((await fetch(`${demo.origin}/ready`)).status).toBe(200);
      expect(await callTotal()).toBe(before.calls);
      const after = await integrations();
      for (const [provider, i] of before.integrations) {
        expect(after.get(provider)?.callCount).toBe(i.callCount);
        expect(after.get(provider)?.state).toBe(i.state);
      }
    },
    LONG,
  );

  it(
    "a member sees a read-only view: no Connect, Sync now, Retry or Disconnect",
    async () => {
      const memberToken = await tokenFor(dataDir, "max@acme.test");
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
      const member = await newPage(context);
      await member.goto(`${demo.origin}/app/?token=${memberToken}#/integrations`);
      await member.locator('section[data-provider="GONG"] dl.facts').waitFor();
      await member.locator('section[data-provider="CLARI_COPILOT"] dl.facts').waitFor();
      for (const name of ["Sync now", "Disconnect", /^Retry/])
        expect(await visibleCount(member.getByRole("button", { name }))).toBe(0);
      expect(await member.getByRole("link", { name: /^(Connect|Reconnect|Continue setup)/ }).count()).toBe(0);
      await screenshot(member, "demo-09-member-read-only");

      await member.goto(`${demo.origin}/app/#/connect`);
      await member.locator('[data-code="FORBIDDEN"]').waitFor();
      expect(await member.getByRole("link", { name: /^Connect / }).count()).toBe(0);
      await context.close();
    },
    LONG,
  );

  it(
    "after a restart of npm start, Sync now completes for Gong, Salesloft and Clari Copilot without a reconnect",
    async () => {
      await demo.stop();
      demo = await startDemo({ dataDir, port, name: "npm-start-2" });
      boot.warmStartMs = Math.round(demo.bootMs);

      const before = await integrations();
      await page.goto(`${demo.origin}/app/?token=${demo.adminToken}#/integrations`);
      for (const provider of ["GONG", "SALESLOFT", "CLARI_COPILOT"]) {
        await card(provider).getByRole("button", { name: "Sync now" }).click();
        const previous = before.get(provider)?.latestRun?.id;
        const done = await until(
          `${provider} sync after restart`,
          async () => (await integrations()).get(provider)!,
          (i) => i.latestRun?.id !== previous && i.latestRun?.status !== "RUNNING",
        );
        expect(done.latestRun).toMatchObject({ kind: "MANUAL", status: "COMPLETED" });
        expect(done.status).toBe("CONNECTED");
        await card(provider).locator('.run-status[data-status="COMPLETED"]').waitFor();
      }
      await page.reload();
      for (const provider of ["GONG", "SALESLOFT", "CLARI_COPILOT"])
        expect(await card(provider).locator("h2").textContent()).toMatch(/Connected$/);
      await screenshot(page, "demo-10-after-restart-synced");
    },
    3 * LONG,
  );

  it(
    "reconnects Salesloft after a disconnect: the same wizard, a completed import, nothing imported twice",
    async () => {
      const calls = await callTotal();
      const salesloftCalls = (await integrations()).get("SALESLOFT")!.callCount;
      await page.goto(`${demo.origin}/app/#/integrations`);
      await card("SALESLOFT").getByRole("button", { name: "Disconnect" }).click();
      await page.getByRole("button", { name: "Yes, disconnect Salesloft" }).click();
      await card("SALESLOFT").getByRole("link", { name: "Reconnect Salesloft" }).click();
      await page.getByRole("heading", { name: "Authorize callsync in Salesloft" }).waitFor();
      await screenshot(page, "demo-11-salesloft-reconnect");
      await consent("Salesloft", "allow");
      await backfillAndImport("demo-12-salesloft-reconnected");
      const salesloft = (await integrations()).get("SALESLOFT")!;
      expect(salesloft).toMatchObject({ state: "COMPLETE", status: "CONNECTED", callCount: salesloftCalls });
      expect(salesloft.latestRun).toMatchObject({ kind: "BACKFILL", status: "COMPLETED" });
      expect(await callTotal()).toBe(calls);
    },
    2 * LONG,
  );

  it(
    "the wizard, a deal and a call fit a 390 px wide phone screen",
    async () => {
      const context = await browser.newContext({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        locale: "en-US",
      });
      const phone = await newPage(context);
      await phone.goto(`${demo.origin}/app/?token=${demo.adminToken}#/connect`);
      await phone.getByRole("heading", { name: "Connect a call recorder" }).waitFor();
      await noHorizontalOverflow(phone);
      await screenshot(phone, "demo-13-390px-wizard-connect");

      await phone.goto(`${demo.origin}/app/#/connect/GONG`);
      await phone.getByRole("heading", { name: "Import finished" }).waitFor();
      await phone.locator("tr[data-state]").first().waitFor();
      await noHorizontalOverflow(phone);
      await screenshot(phone, "demo-14-390px-wizard-complete");

      await phone.goto(`${demo.origin}/app/#/deals`);
      await phone.getByRole("heading", { name: "Deals" }).waitFor();
      await noHorizontalOverflow(phone);
      // The deal with the most calls.
      const { deals } = await demoGql<{
        deals: { edges: { node: { id: string; name: string; calls: { totalCount: number } } }[] };
      }>(demo, "{ deals(first: 50) { edges { node { id name calls(first: 1) { totalCount } } } } }");
      const deal = deals.edges.map((e) => e.node).sort((a, b) => b.calls.totalCount - a.calls.totalCount)[0]!;
      expect(deal.calls.totalCount).toBeGreaterThan(0);
      await phone.getByRole("link", { name: deal.name, exact: true }).click();
      await phone.locator("ul.calls > li a").first().waitFor();
      await noHorizontalOverflow(phone);
      await screenshot(phone, "demo-15-390px-deal");

      await phone.locator("ul.calls > li a").first().click();
      await phone.getByRole("heading", { name: /^Transcript \(\d+ segments\)$/ }).waitFor();
      await noHorizontalOverflow(phone);
      await screenshot(phone, "demo-16-390px-call");
      await context.close();
      expect(pageErrors).toEqual([]);
    },
    LONG,
  );
});
