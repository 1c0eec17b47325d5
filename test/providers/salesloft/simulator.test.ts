import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadSalesloftDataset, strictSalesloftDataset } from "../../../src/simulators/salesloft/dataset.js";
import { type SalesloftSimulator, startSalesloftSimulator } from "../../../src/simulators/salesloft/server.js";
import { connect } from "./helpers.js";

let sim: SalesloftSimulator;
afterEach(async () => sim?.close());

/** The minimal example from FORMAT.md. */
async function formatExample(): Promise<string> {
  const md = await import("node:fs/promises").then((fs) =>
    fs.readFile(new URL("../../../src/simulators/salesloft/FORMAT.md", import.meta.url), "utf8"),
  );
  const json = /```json\n([\s\S]*?)```/.exec(md)?.[1] ?? "";
  const dir = await mkdtemp(join(tmpdir(), "salesloft-"));
  const path = join(dir, "dataset.json");
  await writeFile(path, json);
  return path;
}

async function get(path: string, token?: string) {
  const res = await fetch(`${sim.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("Salesloft simulator", () => {
  it("loads the FORMAT.md example and serves it through the client", async () => {
    const dataset = await loadSalesloftDataset(await formatExample());
    sim = await startSalesloftSimulator({ dataset, switches: { transcriptDelayMs: 0, aiDelayMs: 0 } });
    const session = await connect(sim);
    const me = await get("/v2/me.json", session.credentials.accessToken);
    expect(me.body.data).toMatchObject({ email: "rep@ourco.com" });
    const sentences = await get(
      "/v2/transcriptions/08c91f48-2b1e-4a55-9d0c-7e6f5a4b3c2d/sentences",
      session.credentials.accessToken,
    );
    expect(sentences.body.data).toHaveLength(1);
  });

  it("loads a record the client would skip unchanged (naming where), and refuses a file that is not a dataset", async () => {
    const dir = await mkdtemp(join(tmpdir(), "salesloft-"));
    const odd = join(dir, "odd.json");
    await writeFile(odd, JSON.stringify({ team: { id: 1 }, users: [{ id: 1 }], conversations: [] }));
    const loaded = await loadSalesloftDataset(odd);
    expect(loaded.users).toEqual([{ id: 1 }]);
    expect(strictSalesloftDataset(loaded)).toEqual(["users[0]"]);
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ team: {}, users: [], conversations: [] }));
    await expect(loadSalesloftDataset(bad)).rejects.toThrow(/team/);
  });

  it("answers without a token with 401 {status, error}", async () => {
    sim = await startSalesloftSimulator();
    expect(await get("/v2/users")).toEqual({ status: 401, body: { status: 401, error: "Unauthorized" } });
  });

  it("refuses per_page above 100 with a 422 validation body, and unknown paths with 404", async () => {
    sim = await startSalesloftSimulator();
    const token = (await connect(sim)).credentials.accessToken;
    const res = await get("/v2/users?per_page=101", token);
    expect(res.status).toBe(422);
    expect(res.body).toHaveProperty("errors.per_page");
    expect(await get("/v2/nothing", token)).toEqual({ status: 404, body: { status: 404, error: "Not Found" } });
  });

  it("accepts multi-value filters as ids[] or bare ids, and lists with metadata.paging", async () => {
    sim = await startSalesloftSimulator();
    const token = (await connect(sim)).credentials.accessToken;
    const [a, b] = sim.dataset.users;
    const bracketed = await get(`/v2/users?ids[]=${a?.id}&ids[]=${b?.id}`, token);
    const bare = await get(`/v2/users?ids=${a?.id},${b?.id}`, token);
    expect(bracketed.body.data).toHaveLength(2);
    expect(bare.body.data).toEqual(bracketed.body.data);
    expect(bracketed.body.metadata).toMatchObject({ paging: { per_page: 25, current_page: 1, next_page: null } });
  });
});
