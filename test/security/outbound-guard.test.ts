/**
 * Rule 2: no credential ever leaves for a host we did not choose. Gong's token response names
 * the customer's API base URL; a value off the allow-list (or, in production, a loopback or
 * private one, literal or resolved) is a clear integration error and never receives a request.
 * Redirects are never followed with credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutboundGuard } from "../../src/providers/outbound-guard.js";
import { generateGongDataset } from "../../src/simulators/gong/dataset.js";
import { type GongSimulator, gongOAuthEnv, startGongSimulator } from "../../src/simulators/gong/server.js";
import { defaultScenario } from "../../src/simulators/scenario.js";
import { WizardConnectDocument } from "../generated/graphql.js";
import { startApi, type TestApi } from "../support/api.js";
import { createWorkspace } from "../support/fixtures.js";
import { type HostileServer, startHostileServer } from "../support/hostile.js";
import { freePort } from "../support/net.js";
import { authorizeInBrowser } from "../support/oauth.js";
import { localId } from "../support/progress.js";
import { productionSecrets } from "../support/security.js";

let gong: GongSimulator;
let hostile: HostileServer;
let workspaces = 0;

beforeAll(async () => {
  gong = await startGongSimulator({ dataset: generateGongDataset(defaultScenario({ callsPerUser: 1 })) });
  hostile = await startHostileServer(gong.url);
});
afterAll(async () => {
  await hostile?.close();
  await gong?.close();
});

const gongEnv = () => ({
  ...gongOAuthEnv(gong),
});

async function connectGong(api: TestApi) {
  const { admin } = await createWorkspace(api.prisma, `Guard ${++workspaces}`);
  const token = await api.tokenFor(admin);
  const res = await api.gql(WizardConnectDocument, { provider: "GONG" }, token);
  expect(res.errors).toBeUndefined();
  const integrationId = localId(res.data!.connectIntegration.integration.id);
  const { outcome } = await authorizeInBrowser(res.data!.connectIntegration.authorizationUrl!, token);
  const row = await api.prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
  return { outcome, row };
}

describe("Gong's api_base_url_for_customer, through the real OAuth round trip", () => {
  let api: TestApi;
  beforeAll(async () => {
    const port = await freePort();
    api = await startApi({ PUBLIC_URL: `http://127.0.0.1:${port}`, ...gongEnv() }, { port });
  });
  afterAll(async () => {
    gong.switches.apiBaseUrl = null;
    await api?.close();
  });

  it("a base URL on the allow-list (the configured simulator) connects", async () => {
    gong.switches.apiBaseUrl = null;
    const { outcome, row } = await connectGong(api);
    expect(outcome).toBe("connected");
    expect(row.status).toBe("CONNECTED");
  });

  it.each([
    ["a host off the allow-list", () => `http://localhost:${hostile.port}`],
    ["the cloud metadata address", () => "http://169.254.169.254"],
    ["a non-http scheme", () => "file:///etc/passwd"],
  ])("%s is PROVIDER_HOST_NOT_ALLOWED: no token stored, no request sent", async (_name, base) => {
    gong.switches.apiBaseUrl = base();
    const before = hostile.requests.length;
    const { outcome, row } = await connectGong(api);
    expect(outcome).toBe("PROVIDER_HOST_NOT_ALLOWED");
    expect(row).toMatchObject({
      status: "PENDING_AUTHORIZATION",
      credentials: null,
      errorCode: "PROVIDER_HOST_NOT_ALLOWED",
    });
    expect(hostile.requests.length).toBe(before);
  });
});

describe("in production", () => {
  it("a token endpoint whose host name resolves to loopback receives nothing", async () => {
    const port = await freePort();
    const api = await startApi(
      {
        NODE_ENV: "production",
        ...productionSecrets(),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        ...gongEnv(),
        // On the allow-list, https, but `localhost` resolves to 127.0.0.1.
        GONG_TOKEN_URL: `https://localhost:${hostile.port}/oauth2/generate-customer-token`,
        GONG_ALLOWED_HOSTS: "localhost",
      },
      { port },
    );
    try {
      const before = hostile.requests.length;
      const { outcome, row } = await connectGong(api);
      expect(outcome).toBe("PROVIDER_HOST_NOT_ALLOWED");
      expect(row.credentials).toBeNull();
      expect(hostile.requests.length).toBe(before);
    } finally {
      await api.close();
    }
  });

  const guard = new OutboundGuard({
    production: true,
    allowedHosts: ["localhost", "127.0.0.1", "::1", "10.1.2.3", "169.254.169.254", "*.api.gong.io", "api.gong.io"],
    // A public answer for the provider's names, without the network.
    resolve: async (host) => (host === "localhost" ? ["127.0.0.1", "::1"] : ["34.117.1.1"]),
  });

  it.each([
    ["a name resolving to loopback", "https://localhost/v2/users", /resolves to an internal address/],
    ["literal loopback", "https://127.0.0.1/v2/users", /internal address/],
    ["literal IPv6 loopback", "https://[::1]/v2/users", /internal address/],
    ["a private address", "https://10.1.2.3/v2/users", /internal address/],
    ["link-local metadata", "https://169.254.169.254/latest", /internal address/],
    ["plain http", "http://company-17.api.gong.io/v2/users", /https only/],
    ["a host off the allow-list", "https://api.gong.io.evil.example/v2/users", /allow-list/],
    ["user info in the URL", "https://user:pw@api.gong.io/v2/users", /user info/],
  ])("refuses %s", async (_name, url, why) => {
    await expect(guard.check(url)).rejects.toMatchObject({
      code: "HOST_NOT_ALLOWED",
      message: expect.stringMatching(why),
    });
  });

  it("refuses a real loopback name with the system resolver, before connecting", async () => {
    const system = new OutboundGuard({ production: true, allowedHosts: ["localhost"] });
    const before = hostile.requests.length;
    await expect(system.fetch(`https://localhost:${hostile.port}/v2/users`)).rejects.toMatchObject({
      code: "HOST_NOT_ALLOWED",
    });
    expect(hostile.requests.length).toBe(before);
  });

  it("lets an allow-listed https host with a public address through", async () => {
    await expect(guard.check("https://company-17.api.gong.io/v2/users")).resolves.toBeUndefined();
  });
});

describe("redirects", () => {
  it("are never followed with credentials", async () => {
    const target = await startHostileServer();
    hostile.answer = (_req, res) => {
      res.writeHead(302, { location: `${target.url}/steal` }).end();
      return true;
    };
    try {
      const guard = new OutboundGuard({ production: false, allowedHosts: ["127.0.0.1"] });
      await expect(
        guard.fetch(`${hostile.url}/v2/users`, { headers: { authorization: "Bearer secret-token" } }),
      ).rejects.toMatchObject({ code: "REDIRECT_REFUSED" });
      expect(target.requests).toEqual([]);
    } finally {
      hostile.answer = () => false;
      await target.close();
    }
  });
});
