import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../src/auth/tokens.js";
import { AuthSetCrmDocument, AuthViewerDocument } from "../generated/graphql.js";
import { errorCodes, startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";

const Viewer = AuthViewerDocument;
const SetCrm = AuthSetCrmDocument;

let api: TestApi;
let fixture: Awaited<ReturnType<typeof createWorkspace>>;

beforeAll(async () => {
  api = await startApi();
  fixture = await createWorkspace(api.prisma, "Auth Co");
});
afterAll(() => api.close());

describe("every request is authenticated", () => {
  it("answers UNAUTHENTICATED without a token", async () => {
    const result = await api.gql(Viewer, {});
    expect(errorCodes(result)).toEqual(["UNAUTHENTICATED"]);
    expect(result.data).toBeNull();
  });

  it("answers UNAUTHENTICATED for a token signed with another secret", async () => {
    const forged = await mintToken(
      { secret: "x".repeat(40), issuer: "callsync", audience: "callsync-api" },
      { userId: fixture.admin.id, workspaceId: fixture.workspace.id },
    );
    expect(errorCodes(await api.gql(Viewer, {}, forged))).toEqual(["UNAUTHENTICATED"]);
  });

  it("answers UNAUTHENTICATED when the token names a user of another workspace", async () => {
    const other = await createWorkspace(api.prisma, "Other Auth Co");
    const mixed = await api.tokenFor({ id: fixture.admin.id, workspaceId: other.workspace.id });
    expect(errorCodes(await api.gql(Viewer, {}, mixed))).toEqual(["UNAUTHENTICATED"]);
  });

  it("answers UNAUTHENTICATED for an expired token", async () => {
    const config = api.runtime.config.jwt;
    const expired = await mintToken(config, { userId: fixture.admin.id, workspaceId: fixture.workspace.id }, -10);
    expect(errorCodes(await api.gql(Viewer, {}, expired))).toEqual(["UNAUTHENTICATED"]);
  });

  it("identifies the user and workspace from a valid token", async () => {
    const result = await api.gql(Viewer, {}, await api.tokenFor(fixture.member));
    expect(result.errors).toBeUndefined();
    expect(result.data?.viewer).toEqual({
      user: { email: "member@authco.test", role: "MEMBER" },
      workspace: { name: "Auth Co" },
    });
  });
});

describe("roles: members read, admins manage", () => {
  it("refuses a member's management mutation with FORBIDDEN", async () => {
    const result = await api.gql(SetCrm, { provider: "HUBSPOT" }, await api.tokenFor(fixture.member));
    expect(errorCodes(result)).toEqual(["FORBIDDEN"]);
    const crm = await api.prisma.crmConnection.findUnique({ where: { workspaceId: fixture.workspace.id } });
    expect(crm?.provider).toBe("SALESFORCE");
  });

  it("lets an admin manage", async () => {
    const result = await api.gql(SetCrm, { provider: "HUBSPOT" }, await api.tokenFor(fixture.admin));
    expect(result.errors).toBeUndefined();
    const crm = await api.prisma.crmConnection.findUnique({ where: { workspaceId: fixture.workspace.id } });
    expect(crm?.provider).toBe("HUBSPOT");
  });
});
