import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed operations for the tests, the benchmarks and the example web client: write
// graphql(`query …`) in those files and `npm run codegen` types it against schema/schema.graphql.
const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  documents: ["test/**/*.ts", "bench/**/*.ts", "web/**/*.ts", "!**/generated/**"],
  ignoreNoDocuments: true,
  generates: {
    "test/generated/": {
      preset: "client",
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string", Date: "string" },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
