/**
 * What every operation is held to before it runs, on every transport (HTTP, SSE and graphql-ws
 * all go through these envelop hooks):
 * - every list argument, and every list field of an input object, has a maximum length
 *   (`extensions.maxItems`, stated in its schema description; DEFAULT_MAX_ITEMS otherwise), and
 *   so do page sizes (`first`/`last`): beyond it the operation answers BAD_USER_INPUT;
 * - no string argument holds a NUL byte (PostgreSQL text cannot store one, so it would surface as
 *   an internal error): BAD_USER_INPUT naming the argument;
 * - the estimated cost counts the page sizes and list lengths the operation actually asks for,
 *   variables and default page sizes included, and over GRAPHQL_MAX_COST the operation is refused
 *   with GRAPHQL_VALIDATION_FAILED. (graphql-armor's own cost rule runs at validation, which Yoga
 *   caches per document, so it cannot see variables: `deals(first: $n)` would count as one.)
 * SECURITY.md, rules 5 and 9.
 */
import {
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isCompositeType,
  isInputObjectType,
  isListType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { documentMemo } from "./document-memo.js";
import { badInput } from "./errors.js";

/** The most items a list argument without its own `maxItems` accepts. */
export const DEFAULT_MAX_ITEMS = 100;
/** The largest page a connection serves (`first`/`last`); also Pothos's `maxConnectionSize`. */
export const MAX_PAGE_SIZE = 100;
/** The page size a connection serves without `first`/`last`; Pothos's `defaultConnectionSize`. */
export const DEFAULT_PAGE_SIZE = 20;

/** Options of a bounded argument or input field: its maximum, enforced here and stated in its description. */
export function bounded(max: number, description: string) {
  return { description: `${description} At most ${max}.`, extensions: { maxItems: max } };
}

const PAGE_SIZE_ARGS = new Set(["first", "last"]);

type Problem = GraphQLError;

function declaredMax(extensions: Readonly<Record<string, unknown>> | null | undefined): number | undefined {
  const max = extensions?.maxItems;
  return typeof max === "number" ? max : undefined;
}

/** The first bound or NUL byte the value breaks, walking lists and input objects. */
function checkValue(value: unknown, type: GraphQLInputType, path: string, max: number | undefined): Problem | null {
  if (value === null || value === undefined) return null;
  const inner = getNullableType(type);
  if (isListType(inner)) {
    const items = value as unknown[];
    const limit = max ?? DEFAULT_MAX_ITEMS;
    if (items.length > limit) return badInput(`${path} takes at most ${limit} items (got ${items.length}).`, path);
    for (const [i, item] of items.entries()) {
      const problem = checkValue(item, inner.ofType, `${path}[${i}]`, undefined);
      if (problem) return problem;
    }
    return null;
  }
  if (isInputObjectType(inner)) {
    const fields = inner.getFields();
    for (const [name, fieldValue] of Object.entries(value as Record<string, unknown>)) {
      const field = fields[name];
      if (!field) continue;
      const problem = checkValue(fieldValue, field.type, `${path}.${name}`, declaredMax(field.extensions));
      if (problem) return problem;
    }
    return null;
  }
  if (typeof value === "string" && value.includes("\u0000"))
    return badInput(`${path} must not contain NUL characters.`, path);
  if (typeof value === "number" && max !== undefined && value > max)
    return badInput(`${path} must be at most ${max} (got ${value}).`, path);
  return null;
}

function fieldArgumentsProblem(field: GraphQLField<unknown, unknown>, values: Record<string, unknown>) {
  for (const arg of field.args) {
    const max = declaredMax(arg.extensions) ?? (PAGE_SIZE_ARGS.has(arg.name) ? MAX_PAGE_SIZE : undefined);
    const problem = checkValue(values[arg.name], arg.type, arg.name, max);
    if (problem) return problem;
  }
  return null;
}

const COST = { object: 2, scalar: 1, depthFactor: 1.5 } as const;

/** How many items a field asks for: its page size (default when a connection names none) or longest list argument. */
function multiplier(field: GraphQLField<unknown, unknown>, values: Record<string, unknown>): number {
  let n = 1;
  const isConnection = field.args.some((a) => PAGE_SIZE_ARGS.has(a.name));
  if (isConnection) {
    const size = values.first ?? values.last;
    n = typeof size === "number" ? size : DEFAULT_PAGE_SIZE;
  }
  for (const value of Object.values(values)) if (Array.isArray(value)) n = Math.max(n, value.length);
  return Math.max(n, 1);
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

/** graphql-armor's estimate (objects 2, scalars 1, ×1.5 per level), times what each list field asks for. */
function selectionCost(walk: Walk, selectionSet: SelectionSetNode, typeInfo: TypeInfo, seen: Set<string>): number {
  let cost = 0;
  typeInfo.enter(selectionSet);
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = walk.fragments[selection.name.value];
      if (!fragment || seen.has(fragment.name.value)) continue;
      cost += subCost(walk, fragment.selectionSet, typeInfo, fragment, new Set([...seen, fragment.name.value]));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      cost += subCost(walk, selection.selectionSet, typeInfo, selection, seen);
    } else {
      cost += fieldCost(walk, selection, typeInfo, seen);
    }
  }
  typeInfo.leave(selectionSet);
  return cost;
}

function subCost(
  walk: Walk,
  selectionSet: SelectionSetNode,
  typeInfo: TypeInfo,
  node: Parameters<TypeInfo["enter"]>[0],
  seen: Set<string>,
) {
  typeInfo.enter(node);
  const cost = selectionCost(walk, selectionSet, typeInfo, seen);
  typeInfo.leave(node);
  return cost;
}

function fieldCost(walk: Walk, node: FieldNode, typeInfo: TypeInfo, seen: Set<string>): number {
  if (node.name.value.startsWith("__")) return 0;
  typeInfo.enter(node);
  const field = typeInfo.getFieldDef();
  let cost: number = COST.scalar;
  if (field && node.selectionSet && isCompositeType(getNamedType(field.type))) {
    const values = safeArgumentValues(field, node, walk.variables);
    cost =
      (COST.object + COST.depthFactor * selectionCost(walk, node.selectionSet, typeInfo, seen)) *
      multiplier(field, values);
  }
  typeInfo.leave(node);
  return cost;
}

function safeArgumentValues(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
) {
  try {
    return getArgumentValues(field, node, variables);
  } catch {
    return {}; // execution reports the argument's own error
  }
}

function operationOf(document: DocumentNode, operationName: string | null | undefined) {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  return operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
}

/** The first reason the operation must not run, or null. */
export function operationProblem(args: ExecutionArgs, maxCost: number): GraphQLError | null {
  const operation = operationOf(args.document, args.operationName);
  if (!operation) return null; // execution reports it
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {}, {
    maxErrors: 1,
  });
  if (coerced.errors) return null; // execution reports bad variables with their own codes
  const variables = coerced.coerced;

  // Bounds and NUL bytes, for every field with arguments in the document (fragments included).
  const typeInfo = new TypeInfo(args.schema);
  let problem: GraphQLError | null = null;
  visit(
    args.document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (problem || !node.arguments?.length) return;
        const field = typeInfo.getFieldDef();
        if (field) problem = fieldArgumentsProblem(field, safeArgumentValues(field, node, variables));
      },
    }),
  );
  if (problem) return problem;

  const fragments = Object.fromEntries(
    args.document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const costInfo = new TypeInfo(args.schema);
  const cost = subCost(
    { schema: args.schema, fragments, variables },
    operation.selectionSet,
    costInfo,
    operation,
    new Set(),
  );
  if (cost > maxCost)
    return new GraphQLError(`Query Cost limit of ${maxCost} exceeded, found ${Math.ceil(cost)}.`, {
      extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
    });
  return null;
}

/**
 * The envelop plugin: refuses an operation before execution or subscription starts. The answer
 * depends on the document, the operation name and the variables only (the schema is one per
 * process), so an operation found within the limits is remembered (document-memo.ts): a client
 * repeating it pays the walk once.
 */
export function useOperationLimits(options: { maxCost: number }): Plugin {
  // The verdict is kept, never an error: a refused operation is judged again, so every answer gets
  // its own error.
  const withinLimits = documentMemo<boolean>();
  const problemOf = (args: ExecutionArgs): GraphQLError | null => {
    let problem: GraphQLError | null = null;
    const ok = withinLimits.get(
      args.document,
      JSON.stringify([args.operationName ?? null, args.variableValues ?? null]),
      () => {
        problem = operationProblem(args, options.maxCost);
        return problem === null;
      },
    );
    return ok ? null : (problem ?? operationProblem(args, options.maxCost));
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const problem = problemOf(args);
      if (problem) setResultAndStopExecution({ errors: [problem] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const problem = problemOf(args);
      if (problem) setResultAndStopExecution({ errors: [problem] });
    },
  };
}
