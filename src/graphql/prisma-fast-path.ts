/**
 * A fast path for exposed columns of Prisma object types in select mode.
 *
 * @pothos/plugin-prisma (4.17.0, pinned) wraps every field that selects something from its parent
 * row, plain columns included, with a resolver that first looks up the selection mapping recorded
 * for the field's response path (string keys built and looked up per field per row), and loads
 * the selection itself when the row was not loaded with it. For a column exposed as is
 * (`t.exposeString("title")` and the like, whose selection is `{ title: true }`), the row answers
 * that question by itself: Prisma always sets a selected column (null when empty), never
 * `undefined`. So when the parent row holds the column, the field resolves from it directly; when
 * it does not, the plugin's own wrapper runs, with its fallback load, exactly as before.
 * On the deal list this is ~2,000 of the ~2,300 wrapped field resolutions of a request.
 *
 * Only the plugin's own wrapper is bypassed: plugins applied outside it (scope-auth) still wrap
 * the field. Relations, counts, variants and fields with a custom `select` keep the full wrapper.
 */
import { PothosPrismaPlugin } from "@pothos/plugin-prisma";

type Resolver = (parent: unknown, args: unknown, context: object, info: unknown) => unknown;
type FieldConfig = { kind: string; extensions?: Record<string, unknown> | null };

/** The column a field exposes unchanged from its parent row, or null. */
export function exposedColumn(fieldConfig: FieldConfig): string | null {
  if (fieldConfig.kind !== "PrismaObject") return null;
  const ext = fieldConfig.extensions ?? {};
  const column = ext.pothosExposedField;
  const select = ext.pothosPrismaSelect;
  if (typeof column !== "string" || ext.pothosPrismaLoaded || ext.pothosPrismaFallback) return null;
  if (typeof select !== "object" || select === null) return null;
  const keys = Object.keys(select);
  return keys.length === 1 && keys[0] === column && (select as Record<string, unknown>)[column] === true
    ? column
    : null;
}

const FAST = Symbol.for("callsync.prismaExposedColumnFastPath");
const proto = PothosPrismaPlugin.prototype as unknown as {
  wrapResolve(resolver: Resolver, fieldConfig: FieldConfig): Resolver;
  [FAST]?: true;
};

if (!proto[FAST]) {
  proto[FAST] = true;
  const wrapResolve = proto.wrapResolve;
  proto.wrapResolve = function (this: unknown, resolver: Resolver, fieldConfig: FieldConfig): Resolver {
    const wrapped = wrapResolve.call(this, resolver, fieldConfig);
    const column = wrapped === resolver ? null : exposedColumn(fieldConfig);
    if (!column) return wrapped;
    return (parent, args, context, info) =>
      (parent as Record<string, unknown> | null)?.[column] !== undefined
        ? resolver(parent, args, context, info)
        : wrapped(parent, args, context, info);
  };
}
