import { defineConfig } from "vitest/config";

export default defineConfig({
  // One graphql instance: Pothos loads the CommonJS build, so ESM imports must resolve to it too.
  resolve: { alias: { graphql: "graphql/index.js" } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
  },
});
