/**
 * The example client's privacy controls in headless Chromium, against the Gong simulator with
 * private calls: the Backfill step's private-call choice, then in the management view an
 * exclusion rule refused with the API's message, added (purging what it matches), removed; the
 * private-call setting switched back; the retention window — at desktop width and at 390 px; a
 * member sees the settings but no controls.
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
import { appOrigin, launchBrowser, openPage, screenshot, settleJobs } from "./browser.js";

const DAY = 86_400_000;
let gong: GongSimulator;
let api: TestApi;
let adminToken: string;
let memberToken: string;
let browser: Browser;
let page: Page;
let pageErrors: string[];

const scenario = defaultScenario({
  callsPerUser: 6,
  fromMs: Date.now() - 60 * DAY,
  toMs: Date.now() - DAY,
  segmentsPerCall: 4,
  privateRatio: 0.4,
});

beforeAll(async () => {
  gong = await startGongSimulator({ dataset: generateGongDataset(scenario) });
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
  adminToken = await api.tokenFor({ id: demo.adminId, workspaceId: demo.workspaceId });
  memberToken = await api.tokenFor({ id: demo.memberIds[0]!, workspaceId: demo.workspaceId });
  browser = await launchBrowser();
  ({ page, errors: pageErrors } = await openPage(browser));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (api) await settleJobs(api);
  await api?.close();
  await gong?.close();
});

const gongIntegration = () => api.prisma.integration.findFirstOrThrow({ where: { provider: "GONG" } });

describe("example client: privacy controls", () => {
  it("chooses to import private calls, restricted, in the Backfill step", async () => {
    await page.goto(`${appOrigin(api)}/app/?token=${adminToken}#/connect/GONG`);
    await page.getByRole("button", { name: "Continue to Gong" }).click();
    const privateCalls = page.getByRole("group", { name: "Calls marked private in Gong" });
    await privateCalls.waitFor();
    await expect(
      privateCalls.getByRole("radio", { name: "Don't import them (recommended)" }).isChecked(),
    ).resolves.toBe(true);
    await privateCalls.getByRole("radio", { name: /visible only to their internal participants and admins/ }).check();
    await screenshot(page, "privacy-1-backfill-private-calls");

    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Start import" }).waitFor();
    expect((await gongIntegration()).privateCalls).toBe("PARTICIPANTS_AND_ADMINS");

    await page.getByRole("button", { name: "Start import" }).click();
    await page.getByRole("heading", { name: "Import finished" }).waitFor({ timeout: 60_000 });
    expect(await api.prisma.call.count({ where: { isPrivate: true } })).toBeGreaterThan(0);
  }, 120_000);

  it("edits exclusion rules in the management view: the API's validation message, add (purges), remove", async () => {
    await page.getByRole("link", { name: "Manage Integration" }).click();
    const card = page.locator('section[data-provider="GONG"]');
    await card.getByRole("heading", { name: "Exclusion rules" }).waitFor();
    await expect(card.locator("dl.facts").textContent()).resolves.toContain(
      "Imported, visible to participants and admins only",
    );
    await expect(card.getByText("No exclusion rules: every call is imported.").count()).resolves.toBe(1);

    // A bad value: refused by the API, its message shown, the field marked invalid, nothing saved.
    await card.getByLabel("Rule type").selectOption({ label: "Participant domain" });
    await card.getByLabel("Value").fill("not a domain");
    await card.getByRole("button", { name: "Add rule" }).click();
    const alert = card.getByRole("alert");
    await alert.waitFor();
    expect(await alert.getAttribute("data-code")).toBe("BAD_USER_INPUT");
    await expect(alert.textContent()).resolves.toContain("must be a domain such as acme.com");
    expect(await card.getByLabel("Value").getAttribute("aria-invalid")).toBe("true");
    expect(await api.prisma.exclusionRule.count()).toBe(0);
    await screenshot(page, "privacy-2-rule-refused");

    // A title keyword several stored calls share: added, and the stored ones it matches purged.
    const calls = await api.prisma.call.findMany({ where: { hiddenAt: null }, select: { title: true } });
    const keyword = calls.map((c) => c.title?.split(" — ")[1]).find((t): t is string => !!t)!;
    const matching = calls.filter((c) => c.title?.toLowerCase().includes(keyword.toLowerCase())).length;
    await card.getByLabel("Rule type").selectOption({ label: "Title keyword" });
    await card.getByLabel("Value").fill(keyword);
    await card.getByRole("button", { name: "Add rule" }).click();
    await card.getByRole("button", { name: `Remove rule Title keyword ${keyword}` }).waitFor();
    await expect(card.locator("p.success[role=status]").textContent()).resolves.toBe(
      `Saved. ${matching} stored call${matching === 1 ? "" : "s"} purged (recorded in the purge audit).`,
    );
    expect(await api.prisma.exclusionRule.findMany({ select: { kind: true, value: true } })).toEqual([
      { kind: "TITLE_KEYWORD", value: keyword },
    ]);
    expect(await api.prisma.purgeAudit.count({ where: { scope: "EXCLUSION_RULE" } })).toBe(1);
    await screenshot(page, "privacy-3-rule-added");

    await card.getByRole("button", { name: `Remove rule Title keyword ${keyword}` }).click();
    await card.getByText("No exclusion rules: every call is imported.").waitFor();
    expect(await api.prisma.exclusionRule.count()).toBe(0);
  }, 60_000);

  it("switches private calls back to not imported (purged), and sets the retention window", async () => {
    const card = page.locator('section[data-provider="GONG"]');
    const stored = await api.prisma.call.count({ where: { isPrivate: true, hiddenAt: null } });
    await card.getByRole("radio", { name: "Don't import them (recommended)" }).check();
    await card.getByRole("button", { name: "Save private-call handling" }).click();
    await card
      .getByRole("status")
      .filter({ hasText: `${stored} stored call` })
      .waitFor();
    expect((await gongIntegration()).privateCalls).toBe("SKIP");
    expect(await api.prisma.call.count({ where: { isPrivate: true, hiddenAt: null } })).toBe(0);

    const retention = page.locator('section[data-card="retention"]');
    await retention.getByLabel("Keep call content for (days)").fill("0");
    await retention.getByRole("button", { name: "Save retention window" }).click();
    await retention.getByRole("alert").waitFor();
    expect(await retention.getByRole("alert").getAttribute("data-code")).toBe("BAD_USER_INPUT");
    await retention.getByLabel("Keep call content for (days)").fill("30");
    await retention.getByRole("button", { name: "Save retention window" }).click();
    await retention.getByText("Calls older than 30 days lose their content.").waitFor();
    expect((await api.prisma.workspace.findFirstOrThrow()).retentionDays).toBe(30);
    await screenshot(page, "privacy-4-manage");

    // At 390 px: everything fits the width (no horizontal scrolling).
    await page.setViewportSize({ width: 390, height: 844 });
    await card.getByRole("button", { name: "Add rule" }).scrollIntoViewIfNeeded();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, "privacy-5-manage-390px");
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it("shows a member the settings without any control", async () => {
    const { page: member, errors } = await openPage(browser);
    await member.goto(`${appOrigin(api)}/app/?token=${memberToken}#/integrations`);
    const card = member.locator('section[data-provider="GONG"]');
    await card.locator("dl.facts").waitFor();
    await expect(card.locator("dl.facts").textContent()).resolves.toContain("Not imported");
    await member.getByText("Calls older than 30 days lose their content.").waitFor();
    expect(await member.getByRole("button", { name: /Add rule|Save/ }).count()).toBe(0);
    expect(await member.getByRole("heading", { name: "Exclusion rules" }).count()).toBe(0);
    expect(errors).toEqual([]);
    await member.close();
  }, 30_000);
});
