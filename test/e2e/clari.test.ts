/**
 * The example client against the Clari Copilot simulator, in headless Chromium: the API key
 * wizard (a wrong secret first, then the right pair), the import with live per-user rows and
 * the Complete summary, then a deal with its calls and one call's transcript, summary and
 * action items.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { webRoute } from "../../src/server/web.js";
import { generateClariDataset } from "../../src/simulators/clari/dataset.js";
import { type ClariSimulator, startClariSimulator } from "../../src/simulators/clari/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { BackfillChoicesDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { appOrigin, launchBrowser, openPage, recordRowStates, rowStates, screenshot, settleJobs } from "./browser.js";

const DAY = 86_400_000;
let clari: ClariSimulator;
let api: TestApi;
let token: string;
let browser: Browser;
let page: Page;
let pageErrors: string[];

const scenario = defaultScenario({ callsPerUser: 6, fromMs: Date.now() - 60 * DAY, segmentsPerCall: 8 });

beforeAll(async () => {
  clari = await startClariSimulator({ dataset: generateClariDataset(scenario) });
  api = await startApi(
    { CLARI_API_URL: clari.url, WORKER_IN_PROCESS: "true", JOB_PROCESS_EVERY_MS: "200" },
    { engine: { maxAttempts: 2, retryDelayMs: 100 }, routes: [await webRoute()] },
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
  await clari?.close();
});

describe("example client: Clari Copilot", () => {
  it("connects with an API key and secret (a wrong secret first), backfills and imports live", async () => {
    await page.goto(`${appOrigin(api)}/app/?token=${token}#/connect`);
    await page.getByRole("heading", { name: "Connect a call recorder" }).waitFor();
    await page.getByRole("link", { name: "Connect Clari Copilot" }).click();
    await page.getByRole("heading", { name: "Authorize callsync in Clari Copilot" }).waitFor();
    await screenshot(page, "clari-1-authorize");

    const { apiKey, apiSecret } = clari.apiKeys.default;
    await page.getByLabel("API key").fill(apiKey);
    await page.getByLabel("API secret").fill("not-the-secret");
    await page.getByRole("button", { name: "Verify and connect" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.getAttribute("data-code")).toBe("INVALID_API_CREDENTIALS");
    expect(await page.getByLabel("API secret").getAttribute("aria-invalid")).toBe("true");
    expect(await api.prisma.integration.count({ where: { status: "CONNECTED" } })).toBe(0);
    await screenshot(page, "clari-2-wrong-secret");

    await page.getByLabel("API secret").fill(apiSecret);
    await page.getByRole("button", { name: "Verify and connect" }).click();
    await page.getByRole("group", { name: "How far back should callsync import calls?" }).waitFor();
    await expect(page.getByRole("radio", { name: "Last 6 months (recommended)" }).isChecked()).resolves.toBe(true);
    // Beside each period its estimate, filled in once the server has it (Clari's own total).
    const estimate = page.locator("#estimate-DAYS_90");
    await expect.poll(() => estimate.getAttribute("data-status"), { timeout: 20_000 }).toBe("READY");
    const choices = await api.gql(BackfillChoicesDocument, { provider: "CLARI_COPILOT" }, token);
    const figures = choices.data!.integration!.backfillChoices.find((c) => c.period === "DAYS_90")!.estimate;
    expect(figures.calls).toBeGreaterThan(0);
    await expect(estimate.textContent()).resolves.toMatch(
      new RegExp(`^${figures.calls} calls · ${figures.providerRequests} requests · ≥ \\d+ (s|min)$`),
    );
    await screenshot(page, "clari-3-backfill");
    const viewport = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(390);
    await screenshot(page, "clari-3-backfill-390px");
    if (viewport) await page.setViewportSize(viewport);

    await page.getByRole("radio", { name: "Last 90 days" }).check();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Start import" }).waitFor();
    await expect(page.locator(".card").textContent()).resolves.toContain("last 90 days");

    clari.behaviours.latencyMs = 60;
    await recordRowStates(page);
    await page.getByRole("button", { name: "Start import" }).click();
    await page.locator('tr[data-state="IN_PROGRESS"]').first().waitFor();
    await screenshot(page, "clari-4-sync-progress");
    await page.getByRole("heading", { name: "Import finished" }).waitFor({ timeout: 60_000 });
    clari.behaviours.latencyMs = 0;
    await screenshot(page, "clari-5-complete");

    const seen = await rowStates(page);
    const inProgress = seen.filter((s) => s.state === "IN_PROGRESS" && s.run === "RUNNING").map((s) => s.user);
    expect(new Set(inProgress)).toEqual(new Set(["ada@acme.test", "max@acme.test", "sam@acme.test"]));
    const stored = await api.prisma.call.count();
    expect(stored).toBeGreaterThan(0);
    await expect(page.locator(".summary").textContent()).resolves.toContain(
      `Imported ${stored} new calls from 3 users.`,
    );
  }, 120_000);

  it("opens a deal, its calls, and a call's transcript with speakers, summary and action items", async () => {
    await page.getByRole("link", { name: "Go to Deals" }).click();
    await page.getByRole("heading", { name: "Deals" }).waitFor();
    await screenshot(page, "clari-6-deals");

    // The deal with the most calls.
    const deal = await api.prisma.deal.findFirstOrThrow({
      orderBy: { callLinks: { _count: "desc" } },
      include: { _count: { select: { callLinks: true } } },
    });
    expect(deal._count.callLinks).toBeGreaterThan(0);
    await page.getByRole("link", { name: deal.name }).click();
    await page.getByRole("heading", { name: deal.name, level: 1 }).waitFor();
    await page.getByRole("heading", { name: `Calls (${deal._count.callLinks})` }).waitFor();
    await expect(page.locator("ul.calls > li").count()).resolves.toBe(deal._count.callLinks);
    await screenshot(page, "clari-7-deal");

    await page.locator("ul.calls > li a").first().click();
    await page.getByRole("heading", { name: /^Transcript \(\d+ segments\)$/ }).waitFor();
    const callId = decodeURIComponent(new URL(page.url()).hash.split("/")[2]!);
    const localId = Buffer.from(callId, "base64").toString().split(":")[1]!;
    const call = await api.prisma.call.findUniqueOrThrow({
      where: { id: localId },
      include: { participants: true, segments: { orderBy: { position: "asc" } }, actionItems: true, summary: true },
    });
    expect(call.dealId).toBe(deal.id);
    expect(await page.getByRole("link", { name: `← ${deal.name}` }).count()).toBe(1);

    const lines = await page.locator(".transcript li").evaluateAll((items) =>
      items.map((li) => ({
        speaker: li.querySelector(".speaker")?.textContent,
        text: li.querySelector(".text")?.textContent,
      })),
    );
    expect(lines.length).toBe(call.segments.length);
    const names = new Map(call.participants.map((p) => [p.id, p.name]));
    expect(lines[0]).toEqual({
      speaker: names.get(call.segments[0]!.participantId ?? "") ?? "Unknown speaker",
      text: call.segments[0]!.text,
    });
    expect(new Set(lines.map((l) => l.speaker)).size).toBeGreaterThan(1);
    expect(lines.every((l) => l.speaker && l.speaker !== "Unknown speaker")).toBe(true);

    const summary = await page.getByRole("region", { name: "Summary" }).textContent();
    expect(summary).toContain(call.summary?.brief ?? "");
    await expect(page.locator(".action-items li").count()).resolves.toBe(call.actionItems.length);
    await screenshot(page, "clari-8-call-transcript");
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
