/**
 * Development-time helpers on Prisma's schema engine compiled to WebAssembly
 * (`@prisma/schema-engine-wasm`, same version hash as the `prisma` CLI), driven through a patched
 * `@prisma/adapter-pg`. Used to create migrations and to detect drift between prisma/schema.prisma and
 * prisma/migrations; NOT used at boot or in production (see migrate.ts).
 *
 * Fixes from STACK-NOTES ("Migrations offline"):
 * - the wasm is instantiated by hand, once per process (kept on globalThis: a second instantiation
 *   corrupts it, and vitest may evaluate this module more than once per process);
 * - schema inspection reads PostgreSQL's internal `"char"` type (OID 18), which the adapter cannot decode:
 *   our pg.Client subclass reports it as text (OID 25);
 * - the adapter's executeScript splits on `;` and runs without a transaction: we send the whole script
 *   as one simple-protocol query (one implicit transaction, dollar-quoted bodies intact);
 * - the adapter's shadow database cleanup drops the database before closing its pool and never closes
 *   its admin connection: we close the pool first, then `DROP DATABASE … WITH (FORCE)`;
 * - connection settings are always config objects (a connection string would win over `database` and
 *   point the shadow connection at the main database);
 * - every adapter the engine opened is disposed after `engine.free()` (the engine leaves connections and
 *   Prisma's advisory lock open); CLI scripts still exit explicitly (a ~10 s timer stays pending).
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import type {
  DiagnoseMigrationHistoryOutput,
  MigrationDirectory,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
} from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";
import { adminConfig, quoteIdent, readMigrations } from "./migrate.js";

export type { DiagnoseMigrationHistoryOutput } from "@prisma/schema-engine-wasm/schema_engine_bg";

export interface EngineDirs {
  /** Defaults to <cwd>/prisma/schema.prisma. */
  schemaPath?: string;
  /** Defaults to <cwd>/prisma/migrations. */
  migrationsDir?: string;
  /** Extra SQL files appended to the FIRST migration only (Prisma cannot express them). Defaults to
   * <dir of schema>/sql/*.sql, sorted by name. */
  extraSqlDir?: string;
}

export interface EngineOptions extends EngineDirs {
  /** A database on the server that may create databases (shadow databases go on the same server).
   * Only used to connect to; the diff itself runs on a fresh shadow database. */
  databaseUrl: string | pg.PoolConfig;
  log?: (message: string) => void;
}

const EMPTY_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

// ---------------------------------------------------------------------------------------------------------
// wasm module: instantiate once per process

interface WasmBindings {
  __wbg_set_wasm(exports: WebAssembly.Exports): void;
  SchemaEngine: {
    new: (options: { datamodels: undefined }, log: (msg: string) => void, adapter: object) => Promise<SchemaEngine>;
  };
  version(): string;
}

const WASM_KEY = Symbol.for("callsync.schemaEngineWasm");
type GlobalWithWasm = typeof globalThis & { [WASM_KEY]?: Promise<WasmBindings> };

function loadWasm(): Promise<WasmBindings> {
  const g = globalThis as GlobalWithWasm;
  g[WASM_KEY] ??= (async () => {
    // The wasm reports panics through this global (the Prisma CLI installs the same object).
    const panic = {
      message: "",
      get: () => panic.message,
      set_message: (m: string) => (panic.message = `RuntimeError: ${m}`),
    };
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= panic;
    const require = createRequire(import.meta.url);
    const bgPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bindings = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as unknown as WasmBindings;
    const bytes = await readFile(path.join(path.dirname(bgPath), "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, {
      "./schema_engine_bg.js": bindings as unknown as WebAssembly.ModuleImports,
    });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bindings;
  })();
  return g[WASM_KEY];
}

export async function engineVersion(): Promise<string> {
  return (await loadWasm()).version();
}

// ---------------------------------------------------------------------------------------------------------
// adapter: @prisma/adapter-pg with the fixes above

type Callback = (err: Error | null, res: unknown) => void;

/** Marks, on a result's `rows` array, which columns were PostgreSQL `"char"` (OID 18). */
const CHAR_COLUMNS = Symbol("charColumns");
/** driver-adapter-utils' ColumnTypeEnum.Character: what the schema describer reads `"char"` columns as. */
const COLUMN_TYPE_CHARACTER = 6;

function charAsText(result: unknown): void {
  for (const r of Array.isArray(result) ? result : [result]) {
    const res = r as { fields?: { dataTypeID: number }[]; rows?: unknown[] } | undefined;
    if (!res?.fields) continue;
    const cols: number[] = [];
    res.fields.forEach((f, i) => {
      if (f.dataTypeID === 18) {
        f.dataTypeID = 25;
        cols.push(i);
      }
    });
    if (cols.length > 0 && res.rows) Object.defineProperty(res.rows, CHAR_COLUMNS, { value: cols });
  }
}

/** Restores the Character column type of `"char"` columns in an adapter result set. */
function restoreCharColumns(value: unknown): unknown {
  const rs = value as { columnTypes?: number[]; rows?: unknown[] & { [CHAR_COLUMNS]?: number[] } };
  const cols = rs?.rows?.[CHAR_COLUMNS];
  if (cols && rs.columnTypes) for (const i of cols) rs.columnTypes[i] = COLUMN_TYPE_CHARACTER;
  return value;
}

/**
 * Decodes PostgreSQL's internal `"char"` type (OID 18), which the adapter rejects: the adapter sees text,
 * and the binder below hands the engine a Character column (the schema describer reads e.g.
 * pg_constraint.contype with `as_char()`).
 */
export class CharAsTextClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: mirrors pg.Client#query's many overloads
  override query(...args: any[]): any {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      const cb = last as Callback;
      args[args.length - 1] = (err: Error | null, res: unknown) => {
        if (res) charAsText(res);
        cb(err, res);
      };
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    const ret = (super.query as (...a: unknown[]) => unknown)(...args);
    if (ret && typeof (ret as Promise<unknown>).then === "function") {
      return (ret as Promise<unknown>).then((res) => {
        charAsText(res);
        return res;
      });
    }
    return ret;
  }
}

interface PgAdapter {
  executeScript(script: string): Promise<void>;
  dispose(): Promise<void>;
  underlyingDriver(): pg.Pool;
}

function toPoolConfig(conn: string | pg.PoolConfig): pg.PoolConfig {
  return typeof conn === "string" ? { connectionString: conn } : { ...conn };
}

/** Wraps one adapter: whole-script execution, and dispose() that is idempotent. */
function patchAdapter<T extends PgAdapter>(adapter: T, release?: () => Promise<void>): T {
  const pool = adapter.underlyingDriver();
  const onError = (adapter as unknown as { onError(e: unknown): never }).onError.bind(adapter);
  adapter.executeScript = async (script: string) => {
    try {
      await pool.query(script);
    } catch (e) {
      onError(e);
    }
  };
  const dispose = adapter.dispose.bind(adapter);
  let disposed: Promise<void> | undefined;
  adapter.dispose = () => {
    disposed ??= (async () => {
      await dispose();
      await release?.();
    })();
    return disposed;
  };
  return adapter;
}

/** A migration-aware adapter factory that remembers every adapter so they can all be disposed. */
class EngineAdapterFactory {
  readonly provider = "postgres";
  readonly adapterName: string;
  private readonly inner: PrismaPg;
  private readonly open = new Set<PgAdapter>();

  constructor(
    private readonly config: pg.PoolConfig,
    private readonly log: (message: string) => void,
  ) {
    this.inner = new PrismaPg({ ...config, Client: CharAsTextClient, max: 2 });
    this.adapterName = this.inner.adapterName;
  }

  private track<T extends PgAdapter>(adapter: T): T {
    this.open.add(adapter);
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      this.open.delete(adapter);
      await dispose();
    };
    return adapter;
  }

  async connect(): Promise<PgAdapter> {
    return this.track(patchAdapter(await this.inner.connect()));
  }

  async connectToShadowDb(): Promise<PgAdapter> {
    const name = `prisma_migrate_shadow_db_${randomUUID().replace(/-/g, "")}`;
    const admin = this.config;
    const create = new pg.Client(admin);
    await create.connect();
    try {
      await create.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } finally {
      await create.end();
    }
    this.log(`shadow database ${name} created`);
    const shadow = new PrismaPg({ ...adminConfig(admin, name), Client: CharAsTextClient, max: 2 });
    // The shadow pool is closed by the inner dispose (it owns the pool); then the database is dropped.
    const adapter = patchAdapter(await shadow.connect(), async () => {
      const drop = new pg.Client(admin);
      await drop.connect();
      try {
        await drop.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        this.log(`shadow database ${name} dropped`);
      } finally {
        await drop.end();
      }
    });
    return this.track(adapter);
  }

  async disposeAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const a of [...this.open]) {
      await a.dispose().catch((e: unknown) => errors.push(e));
    }
    if (errors.length > 0) this.log(`adapter dispose failed: ${errors.map(String).join("; ")}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// binder: the engine expects Result-wrapped adapters (like @prisma/driver-adapter-utils' binder)

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

class ErrorRegistry {
  private readonly errors: ({ error: unknown } | undefined)[] = [];
  consumeError(id: number): { error: unknown } | undefined {
    const e = this.errors[id];
    this.errors[id] = undefined;
    return e;
  }
  registerNewError(error: unknown): number {
    let i = 0;
    while (this.errors[i] !== undefined) i++;
    this.errors[i] = { error };
    return i;
  }
}

function toResult(registry: ErrorRegistry, error: unknown): Result {
  const e = error as { name?: string; cause?: unknown };
  if (e && e.name === "DriverAdapterError" && typeof e.cause === "object") return { ok: false, error: e.cause };
  return { ok: false, error: { kind: "GenericJs", id: registry.registerNewError(error) } };
}

function wrapAsync(
  registry: ErrorRegistry,
  fn: (...args: unknown[]) => Promise<unknown>,
  map?: (v: unknown) => unknown,
) {
  return async (...args: unknown[]): Promise<Result> => {
    try {
      const value = await fn(...args);
      return { ok: true, value: map ? map(value) : value };
    } catch (error) {
      return toResult(registry, error);
    }
  };
}

type AnyObj = Record<string, unknown> & { [k: string]: unknown };

function method(obj: AnyObj, name: string): (...args: unknown[]) => Promise<unknown> {
  return (obj[name] as (...args: unknown[]) => Promise<unknown>).bind(obj);
}

function bindTransaction(registry: ErrorRegistry, tx: AnyObj): AnyObj {
  const bound: AnyObj = {
    adapterName: tx.adapterName,
    provider: tx.provider,
    options: tx.options,
  };
  for (const m of ["executeRaw", "commit", "rollback"]) bound[m] = wrapAsync(registry, method(tx, m));
  bound.queryRaw = wrapAsync(registry, method(tx, "queryRaw"), restoreCharColumns);
  for (const m of ["createSavepoint", "rollbackToSavepoint", "releaseSavepoint"]) {
    if (typeof tx[m] === "function") bound[m] = wrapAsync(registry, method(tx, m));
  }
  return bound;
}

function bindAdapter(registry: ErrorRegistry, adapter: AnyObj): AnyObj {
  const bound: AnyObj = { adapterName: adapter.adapterName, provider: adapter.provider, errorRegistry: registry };
  for (const m of ["executeRaw", "executeScript", "dispose"]) bound[m] = wrapAsync(registry, method(adapter, m));
  bound.queryRaw = wrapAsync(registry, method(adapter, "queryRaw"), restoreCharColumns);
  bound.startTransaction = wrapAsync(registry, method(adapter, "startTransaction"), (tx) =>
    bindTransaction(registry, tx as AnyObj),
  );
  const info = adapter.getConnectionInfo as (() => unknown) | undefined;
  if (info) {
    bound.getConnectionInfo = () => {
      try {
        return { ok: true, value: info.call(adapter) };
      } catch (error) {
        return toResult(registry, error);
      }
    };
  }
  return bound;
}

function bindFactory(factory: EngineAdapterFactory): AnyObj {
  const registry = new ErrorRegistry();
  const f = factory as unknown as AnyObj;
  return {
    adapterName: factory.adapterName,
    provider: factory.provider,
    errorRegistry: registry,
    connect: wrapAsync(registry, method(f, "connect"), (a) => bindAdapter(registry, a as AnyObj)),
    connectToShadowDb: wrapAsync(registry, method(f, "connectToShadowDb"), (a) => bindAdapter(registry, a as AnyObj)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// engine sessions

/** Runs `fn` with a fresh engine on `databaseUrl`, then frees the engine and closes every connection. */
export async function withEngine<T>(
  databaseUrl: string | pg.PoolConfig,
  fn: (engine: SchemaEngine) => Promise<T>,
  log: (message: string) => void = () => {},
): Promise<T> {
  const wasm = await loadWasm();
  const factory = new EngineAdapterFactory(toPoolConfig(databaseUrl), log);
  const engineLog = (msg: string) => log(`engine: ${msg}`);
  let engine: SchemaEngine | undefined;
  try {
    engine = await wasm.SchemaEngine.new({ datamodels: undefined }, engineLog, bindFactory(factory));
    return await fn(engine);
  } catch (e) {
    throw normalizeEngineError(e);
  } finally {
    try {
      engine?.free();
    } finally {
      await factory.disposeAll();
    }
  }
}

/** Engine errors arrive as plain objects ({ message, error_code, meta }); make them Errors. */
function normalizeEngineError(e: unknown): unknown {
  if (e instanceof Error) return e;
  if (e && typeof e === "object") {
    const o = e as { message?: unknown; error_code?: unknown; is_panic?: unknown };
    const err = new Error(
      `${o.error_code ? `${String(o.error_code)}: ` : ""}${typeof o.message === "string" ? o.message : JSON.stringify(e)}`,
      { cause: e },
    );
    return err;
  }
  return new Error(String(e));
}

function resolveDirs(dirs: EngineDirs): Required<EngineDirs> {
  const schemaPath = path.resolve(dirs.schemaPath ?? "prisma/schema.prisma");
  return {
    schemaPath,
    migrationsDir: path.resolve(dirs.migrationsDir ?? path.join(path.dirname(schemaPath), "migrations")),
    extraSqlDir: path.resolve(dirs.extraSqlDir ?? path.join(path.dirname(schemaPath), "sql")),
  };
}

export const MIGRATION_LOCK = `# Please do not edit this file manually
# It should be added in your version-control system (e.g., Git)
provider = "postgresql"
`;

/** The migrations folder in the form the engine takes (`migrate diff --from-migrations`). */
export async function loadMigrationList(migrationsDir: string): Promise<MigrationList> {
  const migrations = await readMigrations(migrationsDir);
  const lockPath = path.join(migrationsDir, "migration_lock.toml");
  const lock = await readFile(lockPath, "utf8").catch(() => null);
  const migrationDirectories: MigrationDirectory[] = migrations.map((m) => ({
    path: m.name,
    migrationFile: { path: "migration.sql", content: { tag: "ok", value: m.sql } },
  }));
  return {
    baseDir: migrationsDir,
    lockfile: { path: "migration_lock.toml", content: lock },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

/**
 * The SQL that would bring a database built from the migrations folder to the schema (`prisma migrate
 * diff --from-migrations … --to-schema … --script`). Empty string when they are in sync: the DRIFT check.
 * Replays the migrations on a shadow database on the server of `databaseUrl`.
 */
export async function diffMigrationsToSchema(options: EngineOptions & { schemaContent?: string }): Promise<string> {
  const { schemaPath, migrationsDir } = resolveDirs(options);
  const content = options.schemaContent ?? (await readFile(schemaPath, "utf8"));
  const from = await loadMigrationList(migrationsDir);
  return withEngine(
    shadowAdmin(options.databaseUrl),
    async (engine) => {
      const result = await engine.diff({
        from: from.migrationDirectories.length > 0 ? { tag: "migrations", ...from } : { tag: "empty" },
        to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content }] },
        script: true,
        exitCode: true,
        filters: EMPTY_FILTER,
      });
      return result.exitCode === 2 ? (result.stdout ?? "") : "";
    },
    options.log,
  );
}

/** Engine connection on the maintenance database of the same server: it only creates shadow databases. */
function shadowAdmin(conn: string | pg.PoolConfig): pg.PoolConfig {
  return adminConfig(toPoolConfig(conn), "postgres") as pg.PoolConfig;
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

export interface CreatedMigration {
  name: string;
  dir: string;
  sql: string;
}

/**
 * Writes `<migrationsDir>/<UTC timestamp>_<name>/migration.sql` with the diff from the current migrations
 * to the schema, and keeps `migration_lock.toml`. For the FIRST migration, the files in `extraSqlDir`
 * (triggers, CHECK constraints) are appended. Returns null when there is nothing to migrate (unless
 * `allowEmpty`, which writes an empty migration to fill by hand).
 */
export async function createMigration(
  name: string,
  options: EngineOptions & { allowEmpty?: boolean; now?: Date },
): Promise<CreatedMigration | null> {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (!slug) throw new Error(`invalid migration name: ${JSON.stringify(name)}`);
  const { migrationsDir, extraSqlDir } = resolveDirs(options);
  const first = (await readMigrations(migrationsDir)).length === 0;
  let sql = await diffMigrationsToSchema(options);
  if (!sql.trim() && !options.allowEmpty) return null;
  if (first) sql = appendExtras(sql, await readExtraSql(extraSqlDir));
  if (!sql.trim()) sql = "-- This is an empty migration.\n";
  const dirName = `${timestamp(options.now)}_${slug}`;
  const dir = path.join(migrationsDir, dirName);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "migration.sql"), sql);
  await writeFile(path.join(migrationsDir, "migration_lock.toml"), MIGRATION_LOCK);
  return { name: dirName, dir, sql };
}

async function readExtraSql(dir: string): Promise<{ file: string; sql: string }[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".sql")).sort();
  return Promise.all(files.map(async (file) => ({ file, sql: await readFile(path.join(dir, file), "utf8") })));
}

function appendExtras(sql: string, extras: { file: string; sql: string }[]): string {
  let out = sql.replace(/\s*$/, "\n");
  for (const e of extras)
    out += `\n-- ${path.basename(e.file)} (prisma/sql: not expressible in schema.prisma)\n${e.sql.trim()}\n`;
  return out;
}

/** `prisma migrate status` for the database at `databaseUrl` (no shadow database). */
export async function diagnoseMigrationHistory(options: EngineOptions): Promise<DiagnoseMigrationHistoryOutput> {
  const { migrationsDir } = resolveDirs(options);
  const migrationsList = await loadMigrationList(migrationsDir);
  return withEngine(
    options.databaseUrl,
    (engine) =>
      engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: EMPTY_FILTER }),
    options.log,
  );
}

/**
 * `prisma migrate deploy` with Prisma's own engine (wasm). Not used by the app (migrate.ts is); kept to
 * prove that the migrations folder is valid for Prisma's deploy and that both runners share bookkeeping.
 */
export async function deployWithEngine(options: EngineOptions): Promise<string[]> {
  const { migrationsDir } = resolveDirs(options);
  const migrationsList = await loadMigrationList(migrationsDir);
  const out = await withEngine(
    options.databaseUrl,
    (engine) => engine.applyMigrations({ migrationsList, filters: EMPTY_FILTER }),
    options.log,
  );
  return out.appliedMigrationNames;
}
