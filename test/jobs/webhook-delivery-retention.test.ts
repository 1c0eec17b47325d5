/**
 * Webhook deliveries (one row per accepted body, for replay detection) do not pile up: the
 * recurring clean-up job deletes those older than WEBHOOK_DELIVERY_RETENTION_MS, in batches, and
 * keeps recent ones (a replay of them still answers DUPLICATE). Real Agenda jobs in the API process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { startApi, type TestApi } from "../support/api.js";

const MINUTE = 60_000;
let api: TestApi;
let integrationId: string;

beforeAll(async () => {
  api = await startApi({
    WORKER_IN_PROCESS: "true",
    JOB_PROCESS_EVERY_MS: "200",
    JOB_CLEANUP_EVERY_MS: "300",
    // Two rows per DELETE, so the old rows need several batches.
    JOB_CLEANUP_BATCH: "2",
    WEBHOOK_DELIVERY_RETENTION_MS: String(10 * MINUTE),
  });
  const demo = await seedDemo(api.prisma);
  integrationId = (await api.prisma.integration.create({ data: { workspaceId: demo.workspaceId, provider: "GONG" } }))
    .id;
}, 60_000);

afterAll(async () => {
  await api?.close();
});

describe("webhook delivery retention", () => {
  it("the recurring clean-up deletes deliveries past the retention and keeps recent ones", async () => {
    const now = Date.now();
    const rows = [
      ...Array.from({ length: 7 }, (_, i) => ({ age: 11 * MINUTE + i * MINUTE, hash: `old-${i}` })),
      ...Array.from({ length: 3 }, (_, i) => ({ age: 9 * MINUTE - i * MINUTE, hash: `recent-${i}` })),
    ];
    await api.prisma.webhookDelivery.createMany({
      data: rows.map((r) => ({
        integrationId,
        bodyHash: r.hash,
        providerCallIds: ["1"],
        receivedAt: new Date(now - r.age),
      })),
    });
    let left: string[] = [];
    for (let i = 0; i < 100; i++) {
      left = (await api.prisma.webhookDelivery.findMany({ select: { bodyHash: true } })).map((r) => r.bodyHash);
      if (!left.some((h) => h.startsWith("old-"))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left.sort()).toEqual(["recent-0", "recent-1", "recent-2"]);
  }, 60_000);
});
