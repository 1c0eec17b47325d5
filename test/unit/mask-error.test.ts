import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/errors.js";
import { maskError } from "../../src/graphql/errors.js";

const located = (original: unknown) =>
  new GraphQLError("wrapped", { path: ["deals"], originalError: original instanceof Error ? original : undefined });

describe("what clients see of errors", () => {
  it("keeps a domain error's code and message", () => {
    const e = maskError(located(new DomainError("SYNC_IN_PROGRESS")), "Unexpected error.") as GraphQLError;
    expect(e.extensions.code).toBe("SYNC_IN_PROGRESS");
    expect(e.message).toMatch(/already running/);
  });

  it("answers BAD_USER_INPUT, without SQL, when PostgreSQL refuses a value's text form (22P02)", () => {
    const prisma = Object.assign(new Error('Invalid input value: invalid input syntax for type uuid: "x"'), {
      code: "P2007",
      meta: { driverAdapterError: { cause: { originalCode: "22P02" } } },
    });
    const e = maskError(located(prisma), "Unexpected error.") as GraphQLError;
    expect(e.extensions.code).toBe("BAD_USER_INPUT");
    expect(e.message).not.toMatch(/uuid|syntax/);
  });

  it("masks everything else as INTERNAL_SERVER_ERROR with the generic message", () => {
    const e = maskError(located(new Error("connection refused to 10.0.0.3")), "Unexpected error.") as GraphQLError;
    expect(e.extensions.code).toBe("INTERNAL_SERVER_ERROR");
    expect(e.message).toBe("Unexpected error.");
    expect(JSON.stringify(e.toJSON())).not.toContain("10.0.0.3");
  });
});
