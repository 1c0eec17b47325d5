import { defineConfig } from "prisma/config";

// The CLI reads the URL from here (Prisma 7: the datasource has no url); the app passes it to the adapter.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/callsync" },
});
