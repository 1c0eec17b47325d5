/**
 * Interactive transactions of a loaded database: a page store or a run's end that takes longer than
 * Prisma's 5 s default must still commit (DB_TRANSACTION_TIMEOUT_MS), and one longer than the
 * configured limit is rolled back, not left open.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../support/api.js";

let api: TestApi;

beforeAll(async () => {
  api = await startApi({ DB_TRANSACTION_TIMEOUT_MS: "8000" });
});
afterAll(async () => {
  await api?.close();
});

describe("interactive transactions", () => {
  it("a transaction slower than Prisma's 5 s default commits", async () => {
    const answer = await api.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("SELECT pg_sleep(5.5)");
      return tx.$queryRawUnsafe<{ ok: number }[]>("SELECT 1 AS ok");
    });
    expect(answer).toEqual([{ ok: 1 }]);
  }, 20_000);

  it("one slower than the configured limit is rolled back", async () => {
    const slow = api.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("SELECT pg_sleep(9)");
      await tx.workspace.create({ data: { name: "never committed" } });
    });
    await expect(slow).rejects.toThrow(/transaction/i);
    expect(await api.prisma.workspace.count({ where: { name: "never committed" } })).toBe(0);
  }, 30_000);
});
