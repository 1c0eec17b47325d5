import { defineConfig } from "vitest/config";

/**
 * Two groups, one after the other. Most files talk to PostgreSQL, HTTP and WebSockets inside one process and
 * spend their time waiting on I/O, so three run at once even on two cores. The files that start whole
 * `serve`/`worker`/`npm start` processes, cut dependencies for tens of seconds or drive Chromium are
 * CPU-heavy and timing-sensitive: they run in a second group, two at a time, after the first has finished.
 */
const processSuites = ["test/chaos/**/*.test.ts", "test/processes/**/*.test.ts", "test/e2e/**/*.test.ts"];

const shared = {
  globalSetup: ["test/support/global-setup.ts"],
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: "forks" as const,
};

export default defineConfig({
  // One graphql instance: Pothos loads the CommonJS build, so ESM imports must resolve to it too.
  resolve: { alias: { graphql: "graphql/index.js" } },
  test: {
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: {
          ...shared,
          name: "in-process",
          include: ["test/**/*.test.ts"],
          exclude: processSuites,
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          ...shared,
          name: "processes",
          include: processSuites,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
