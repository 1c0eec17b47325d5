/**
 * The example client against the Gong simulator, in headless Chromium: the wizard with the
 * OAuth redirect round trip, live per-user progress, the Complete summary, then the
 * management view — sync now during an outage, retry one failed user, disconnect.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { webRoute } from "../../src/server/web.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, gongOAuthEnv, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { startApi, type TestApi } from "../support/api.js";
import { freePort } from "../support/net.js";
import { appOrigin, launchBrowser, openPage, recordRowStates, rowStates, screenshot, settleJobs } from "./browser.js";

const DAY = 86_400_000;
let gong: GongSimulator;
let api: TestApi;
let token: string;
let browser: Browser;
let page: Page;
let pageErrors: string[];

const scenario = defaultScenario({ callsPerUser: 8, fromMs: Date.now() - 120 * DAY, segmentsPerCall: 8 });

beforeAll(async () => {
  // Small pages and some latency: a user's import takes several requests, so the page shows it moving.
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario), switches: { pageSize: 2 } });
  const port = await freePort();
  api = await startApi(
    {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...gongOAuthEnv(gong),
      WORKER_IN_PROCESS: "true",
      JOB_PROCESS_EVERY_MS: "200",
    },
    { port, engine: { maxAttempts: 2, retryDelayMs: 100 }, routes: [await webRoute()] },
  );
  const demo = await seedDemo(api.prisma, { scenario });
  token = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  browser = await launchBrowser();
  ({ page, errors: pageErrors } = await openPage(browser));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (api) await settleJobs(api);
  await api?.close();
  await gong?.close();
});

describe("example client: Gong", () => {
  it("runs the wizard: Connect → Authorize (OAuth round trip) → Backfill → Sync (live) → Complete", async () => {
    await page.goto(`${appOrigin(api)}/app/?token=${token}`);
    await page.getByRole("heading", { name: "Call integrations" }).waitFor();
    expect(page.url()).not.toContain("token=");
    await expect(page.locator("#workspace").textContent()).resolves.toBe("Acme Software");

    await page.getByRole("link", { name: "Connect a provider" }).click();
    await page.getByRole("heading", { name: "Connect a call recorder" }).waitFor();
    await screenshot(page, "gong-1-connect");

    await page.getByRole("link", { name: "Connect Gong" }).click();
    await page.getByRole("heading", { name: "Authorize callsync in Gong" }).waitFor();
    expect(await page.locator('.steps [aria-current="step"]').textContent()).toBe("Authorize");
    await screenshot(page, "gong-2-authorize");

    // Gong's consent page (the simulator approves at once) → callsync's callback → back to /app/.
    await page.getByRole("button", { name: "Continue to Gong" }).click();
    await page.getByRole("group", { name: "How far back should callsync import calls?" }).waitFor();
    const back = new URL(page.url());
    expect(back.pathname).toBe("/app/");
    expect(back.search).toBe("");
    expect(back.hash).toBe("#/connect/GONG");
    expect(gong.log.count((r) => r.path === "/oauth2/generate-customer-token")).toBe(1);
    await expect(page.getByRole("radio", { name: "Last 6 months (recommended)" }).isChecked()).resolves.toBe(true);
    await screenshot(page, "gong-3-backfill");

    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Start import" }).waitFor();
    expect(await page.locator('.steps [aria-current="step"]').textContent()).toBe("Sync");
    await screenshot(page, "gong-4-sync");

    gong.behaviours.latencyMs = 60;
    await recordRowStates(page);
    await page.getByRole("button", { name: "Start import" }).click();
    await page.locator('.run-status[data-status="RUNNING"]').waitFor();
    await page.locator('tr[data-state="IN_PROGRESS"]').first().waitFor();
    await screenshot(page, "gong-5-sync-progress");

    await page.getByRole("heading", { name: "Import finished" }).waitFor({ timeout: 60_000 });
    gong.behaviours.latencyMs = 0;
    expect(await page.locator('.steps [aria-current="step"]').textContent()).toBe("Complete");
    await screenshot(page, "gong-6-complete");

    // Rows changed state live, while the run was still going.
    const seen = await rowStates(page);
    const whileRunning = (state: string) =>
      new Set(seen.filter((s) => s.state === state && s.run === "RUNNING").map((s) => s.user));
    expect(whileRunning("IN_PROGRESS")).toEqual(new Set(["ada@acme.test", "max@acme.test", "sam@acme.test"]));
    expect(whileRunning("COMPLETED").size).toBeGreaterThan(0);

    const stored = await api.prisma.call.count();
    expect(stored).toBeGreaterThan(0);
    await expect(page.locator(".summary").textContent()).resolves.toContain(
      `Imported ${stored} new calls from 3 users.`,
    );
    const skipped = await page.locator(".skipped li").allTextContents();
    expect(skipped).toEqual(["Otto Outsider — No workspace user has the email outsider@contractor.test"]);
    const states = await page
      .locator("tr[data-state]")
      .evaluateAll((rows) => rows.map((r) => `${(r as HTMLElement).dataset.user}:${(r as HTMLElement).dataset.state}`));
    expect(states).toEqual([
      "ada@acme.test:COMPLETED",
      "max@acme.test:COMPLETED",
      "outsider@contractor.test:SKIPPED",
      "sam@acme.test:COMPLETED",
    ]);
  }, 120_000);

  it("manages the integration: sync now during an outage, retry one failed user, disconnect", async () => {
    await page.getByRole("link", { name: "Manage Integration" }).click();
    const card = page.locator('section[data-provider="GONG"]');
    await card.getByRole("button", { name: "Sync now" }).waitFor();
    await expect(card.locator("h2").textContent()).resolves.toBe("Gong Connected");
    const facts = await card.locator("dl.facts").textContent();
    expect(facts).toContain("Last sync");
    expect(facts).toContain("Completed");
    expect(facts).toContain("every 2 h");
    await screenshot(page, "gong-7-manage");

    gong.behaviours.failNext(10_000, 503, "/v2/calls");
    await card.getByRole("button", { name: "Sync now" }).click();
    await card.locator('.run-status[data-status="FAILED"]').waitFor({ timeout: 30_000 });
    await expect(card.locator('tr[data-state="FAILED"]').count()).resolves.toBe(3);
    await card.getByRole("button", { name: "Retry Max Member" }).waitFor();
    await screenshot(page, "gong-8-failed-users");

    gong.behaviours.clearFailures();
    await card.getByRole("button", { name: "Retry Max Member" }).click();
    await card.locator('tr[data-user="max@acme.test"][data-state="COMPLETED"]').waitFor({ timeout: 30_000 });
    await card.locator('.run-status[data-status="PARTIAL"]').waitFor();
    const failed = await card
      .locator('tr[data-state="FAILED"]')
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.user));
    expect(failed).toEqual(["ada@acme.test", "sam@acme.test"]);
    await screenshot(page, "gong-9-retried-user");

    const calls = await api.prisma.call.count();
    await card.getByRole("button", { name: "Disconnect" }).click();
    await page.getByRole("button", { name: "Yes, disconnect Gong" }).click();
    await card.getByRole("link", { name: "Reconnect Gong" }).waitFor();
    await expect(card.locator("h2").textContent()).resolves.toBe("Gong Disconnected");
    expect(await api.prisma.call.count()).toBe(calls);
    await screenshot(page, "gong-10-disconnected");
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
