/**
 * Our zod shapes and the simulator's answers against Gong's own OpenAPI document
 * (test/fixtures/gong/openapi-v2.json, vendored from github.com/cedricziel/gong-rs).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { GONG_CONTENT_SELECTOR } from "../../../src/providers/gong/client.js";
import {
  gongCallsResponse,
  gongErrorBody,
  gongTranscriptsResponse,
  gongUsersResponse,
  gongWorkspacesResponse,
} from "../../../src/providers/gong/schemas.js";
import { type GongSimulator, startGongSimulator } from "../../../src/simulators/gong/server.js";
import { fixture, settledDataset } from "./support.js";

interface OpenApiSchema {
  $ref?: string;
  type?: string;
  properties?: Record<string, OpenApiSchema>;
  items?: OpenApiSchema;
}
const doc = fixture<{ components: { schemas: Record<string, OpenApiSchema> } }>("openapi-v2.json");

function resolve(s: OpenApiSchema): OpenApiSchema {
  let current = s;
  while (current.$ref) {
    const name = current.$ref.replace("#/components/schemas/", "");
    const next = doc.components.schemas[name];
    if (!next) throw new Error(`unresolved ${current.$ref}`);
    current = next;
  }
  return current;
}
const component = (name: string) => resolve({ $ref: `#/components/schemas/${name}` });

/** Keys we read that Gong's document does not list, each with its reason. */
const NOT_IN_SPEC = new Set([
  // amp-labs/connectors providers/gong/test/read_transcripts.json spells it this way [S]
  "CallTranscripts.callTranscripts[].callid",
]);

function unwrap(s: z.ZodType): z.ZodType {
  let current = s;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
  return current;
}

/** Every key of the zod shape exists in the OpenAPI schema, with a compatible type. */
function zodAgainstSpec(zs: z.ZodType, spec: OpenApiSchema, path: string, problems: string[]): void {
  const s = unwrap(zs);
  const o = resolve(spec);
  if (s instanceof z.ZodArray) {
    if (o.type !== "array" || !o.items) problems.push(`${path}: spec says ${o.type}, we read an array`);
    else zodAgainstSpec(s.element as z.ZodType, o.items, `${path}[]`, problems);
  } else if (s instanceof z.ZodObject) {
    if (o.type !== undefined && o.type !== "object") problems.push(`${path}: spec says ${o.type}, we read an object`);
    for (const [key, child] of Object.entries(s.shape as Record<string, z.ZodType>)) {
      const childPath = `${path}.${key}`;
      if (NOT_IN_SPEC.has(childPath)) continue;
      const prop = o.properties?.[key];
      if (!prop) problems.push(`${childPath}: not in the spec`);
      else zodAgainstSpec(child, prop, childPath, problems);
    }
  } else if (s instanceof z.ZodString) {
    if (o.type !== "string") problems.push(`${path}: spec says ${o.type}, we read a string`);
  } else if (s instanceof z.ZodNumber) {
    if (o.type !== "integer" && o.type !== "number") problems.push(`${path}: spec says ${o.type}, we read a number`);
  } else if (s instanceof z.ZodBoolean) {
    if (o.type !== "boolean") problems.push(`${path}: spec says ${o.type}, we read a boolean`);
  }
}

/** Every key of a JSON value the simulator sent exists in the OpenAPI schema. */
function jsonAgainstSpec(value: unknown, spec: OpenApiSchema, path: string, problems: Set<string>): void {
  const o = resolve(spec);
  if (Array.isArray(value)) {
    if (o.type !== "array" || !o.items) problems.add(`${path}: spec says ${o.type}, simulator sent an array`);
    else for (const item of value) jsonAgainstSpec(item, o.items, `${path}[]`, problems);
  } else if (value !== null && typeof value === "object") {
    if (!o.properties) return; // free-form object in the spec (e.g. field values)
    for (const [key, child] of Object.entries(value)) {
      const prop = o.properties[key];
      if (!prop) problems.add(`${path}.${key}: not in the spec`);
      else jsonAgainstSpec(child, prop, `${path}.${key}`, problems);
    }
  }
}

describe("Gong zod shapes ⊆ Gong's OpenAPI document", () => {
  it.each([
    ["Calls", gongCallsResponse],
    ["CallTranscripts", gongTranscriptsResponse],
    ["UsersMetadata", gongUsersResponse],
    ["WorkspacesMetadata", gongWorkspacesResponse],
    ["ErrorResponse", gongErrorBody],
  ] as const)("every field we read from %s exists there with a compatible type", (name, schema) => {
    const problems: string[] = [];
    zodAgainstSpec(schema, component(name), name, problems);
    expect(problems).toEqual([]);
  });

  it("the check itself catches a field Gong does not have", () => {
    const problems: string[] = [];
    zodAgainstSpec(
      z.looseObject({ metaData: z.looseObject({ endTime: z.string() }) }),
      component("CallData"),
      "CallData",
      problems,
    );
    expect(problems).toEqual(["CallData.metaData.endTime: not in the spec"]);
  });

  it("the JSON check catches a key Gong does not send", () => {
    const problems = new Set<string>();
    jsonAgainstSpec({ calls: [{ metaData: { id: "1", endTime: "x" } }] }, component("Calls"), "Calls", problems);
    expect([...problems]).toEqual(["Calls.calls[].metaData.endTime: not in the spec"]);
  });

  it("the content selector we send uses only the spec's fields", () => {
    const problems = new Set<string>();
    jsonAgainstSpec(GONG_CONTENT_SELECTOR, component("ContentSelector"), "ContentSelector", problems);
    expect([...problems]).toEqual([]);
  });
});

describe("Gong simulator answers ⊆ Gong's OpenAPI document", () => {
  let sim: GongSimulator;
  let auth: string;
  beforeAll(async () => {
    sim = await startGongSimulator({ dataset: settledDataset() });
    auth = `Bearer ${sim.grantTokens().accessToken}`;
  });
  afterAll(() => sim.close());

  const get = async (path: string) => (await fetch(`${sim.url}${path}`, { headers: { authorization: auth } })).json();
  const post = async (path: string, body: unknown) =>
    (
      await fetch(`${sim.url}${path}`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify(body),
      })
    ).json();

  it.each([
    ["UsersMetadata", () => get("/v2/users")],
    ["WorkspacesMetadata", () => get("/v2/workspaces")],
    ["Calls", () => post("/v2/calls/extensive", { filter: {}, contentSelector: GONG_CONTENT_SELECTOR })],
    ["CallTranscripts", () => post("/v2/calls/transcript", { filter: {} })],
    [
      "ErrorResponse",
      () =>
        post("/v2/calls/extensive", {
          filter: { fromDateTime: "2001-01-01T00:00:00Z", toDateTime: "2001-01-02T00:00:00Z" },
        }),
    ],
  ] as const)("%s as the simulator sends it", async (name, load) => {
    const body = await load();
    const problems = new Set<string>();
    jsonAgainstSpec(body, component(name), name, problems);
    expect([...problems]).toEqual([]);
    expect(Object.keys(body as object).length).toBeGreaterThan(1);
  });
});
