import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed operations for the tests, the benchmarks and the example web client: operations live
// in *.graphql files; `npm run codegen` types them against schema/schema.graphql and exports
// a typed document (XxxDocument) per operation from test/generated/graphql.ts.
const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  documents: ["test/operations/**/*.graphql", "web/operations/**/*.graphql"],
  ignoreNoDocuments: true,
  emitLegacyCommonJSImports: false,
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
