/**
 * A lease's signal is what a runner's provider requests take (HttpClientOptions.signal): it must
 * abort when the lease is lost, at that moment — not at the runner's next check, which may be a
 * whole 429 wait or a slow page later, while the runner that took over is already reading.
 */
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { createLogger } from "../../src/logger.js";
import { JobLease, LeaseLost, UserLease } from "../../src/sync/lease.js";

const log = createLogger("silent");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The database is away: every renewal fails. */
const unreachable = {
  query: async () => {
    throw new Error("connect ECONNREFUSED");
  },
};

describe("lease signals", () => {
  it("a job lease that cannot be renewed aborts its signal with a LeaseLost, nobody asking", async () => {
    const lifetime = 600;
    const lease = new JobLease(unreachable, { attrs: { _id: "j1", name: "x", lockedAt: new Date() } }, lifetime, log);
    lease.start();
    try {
      // Renewals every 200 ms fail; the one after the lifetime (less its margin) gives the lease up.
      await sleep(lifetime + lifetime / 3);
      expect(lease.signal.aborted).toBe(true);
      expect(lease.signal.reason).toBeInstanceOf(LeaseLost);
    } finally {
      lease.stop();
    }
  });

  it("a user's lease is lost the moment its job's lease is", async () => {
    const job = new AbortController();
    const parent = {
      signal: job.signal,
      get held() {
        return !job.signal.aborted;
      },
      assertHeld() {},
    };
    const user = new UserLease({} as Db, "status-1", 60_000, log, parent);
    expect(user.signal.aborted).toBe(false);
    job.abort(new LeaseLost("claimed again"));
    expect(user.signal.aborted).toBe(true);
    expect(user.signal.reason).toBeInstanceOf(LeaseLost);
    expect(() => user.assertHeld()).toThrow(LeaseLost);
  });
});
