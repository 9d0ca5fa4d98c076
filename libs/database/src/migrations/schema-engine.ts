import { readFileSync } from 'node:fs';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

type Glue = Record<string, unknown> & { SchemaEngine: typeof SchemaEngine; __wbg_set_wasm(exports: WebAssembly.Exports): void };

let glue: Glue | undefined;

/**
 * Loads Prisma's WASM schema engine. The package is a wasm-bindgen *bundler* build that
 * expects `import * as wasm from "x.wasm"`; Node cannot do that without flags, so we do
 * the bundler's job: compile the module, wire the glue's exports in as its imports, and
 * hand the instance back to the glue.
 */
function loadGlue(): Glue {
  if (glue) return glue;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('@prisma/schema-engine-wasm/schema_engine_bg') as Glue;
  const wasmPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const imports: Record<string, Record<string, unknown>> = {};
  for (const { module: name, name: field } of WebAssembly.Module.imports(module)) {
    imports[name] ??= {};
    imports[name][field] = unrefTimers(field, loaded[field]);
  }
  const instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports);
  loaded.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  glue = loaded;
  return glue;
}

/**
 * The engine arms a 10 s timer per operation and never clears it; left as is, every CLI
 * run and test file would wait for it before exiting.
 */
function unrefTimers(field: string, fn: unknown): unknown {
  if (!field.startsWith('__wbg_setTimeout') || typeof fn !== 'function') return fn;
  return (...args: unknown[]) => {
    const timer = (fn as (...a: unknown[]) => unknown)(...args);
    (timer as { unref?: () => void } | undefined)?.unref?.();
    return timer;
  };
}

export interface SchemaFile {
  path: string;
  content: string;
}

/** Opens a schema engine on a database reached through a migration-aware driver adapter. */
export async function openSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  schema: SchemaFile,
  log: (message: string) => void = () => undefined,
): Promise<SchemaEngine> {
  const { SchemaEngine: Engine } = loadGlue();
  return Engine.new({ datamodels: [[schema.path, schema.content]] }, log, bindMigrationAwareSqlAdapterFactory(adapterFactory));
}

export const NO_SCHEMA_FILTER = { externalTables: [], externalEnums: [] };
