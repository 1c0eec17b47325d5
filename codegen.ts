import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed operations: operations live in *.graphql files; `npm run codegen` types them against
// schema/schema.graphql and exports a typed document (XxxDocument) per operation — for the
// tests and benchmarks from test/generated/graphql.ts (parsed documents), for the example web
// client from web/generated/graphql.ts (plain strings, nothing to parse in the browser).
const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  ignoreNoDocuments: true,
  emitLegacyCommonJSImports: false,
  generates: {
    "test/generated/": {
      documents: ["test/operations/**/*.graphql"],
      preset: "client",
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string", Date: "string" },
      },
      presetConfig: { fragmentMasking: false },
    },
    "web/generated/": {
      documents: ["web/operations/**/*.graphql"],
      preset: "client",
      config: {
        documentMode: "string",
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: "string", Date: "string" },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
