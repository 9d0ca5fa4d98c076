import { randomUUID } from 'node:crypto';
import { type Schema, typeOf } from './operations';

/** A value the schema accepts, as far as its declared constraints tell: the baseline each mutation departs from. */
export function sampleOf(schema: Schema | undefined, depth = 0): unknown {
  if (!schema) return 'x';
  if (schema.example !== undefined && acceptsExample(schema)) return schema.example;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  switch (typeOf(schema)) {
    case 'string':
      return sampleString(schema);
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return depth > 4 ? [] : Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () => sampleOf(schema.items, depth + 1));
    case 'object':
      return depth > 4 ? {} : sampleObject(schema, depth);
    default:
      return 'x';
  }
}

function acceptsExample(schema: Schema): boolean {
  // An example that is a list of choices for a single value would not validate.
  return typeOf(schema) !== 'string' || typeof schema.example === 'string';
}

function sampleObject(schema: Schema, depth: number): Record<string, unknown> {
  const required = new Set(schema.required ?? []);
  return Object.fromEntries(
    Object.entries(schema.properties ?? {})
      .filter(([name]) => required.has(name))
      .map(([name, property]) => [name, sampleOf(property, depth + 1)]),
  );
}

function sampleString(schema: Schema): string {
  switch (schema.format) {
    case 'email':
      return `abuse-${randomUUID().slice(0, 8)}@example.test`;
    case 'uuid':
      return randomUUID();
    case 'date-time':
      return new Date().toISOString();
    case 'uri':
    case 'url':
      return 'https://example.test/';
    default:
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  }
}

/** A place in a JSON body where a mutated value can go: its path and the schema there. */
export interface Position {
  path: (string | number)[];
  schema: Schema;
}

/** Every property of the body (and the first item of each array), down to a few levels. */
export function positionsOf(schema: Schema | undefined, path: (string | number)[] = [], depth = 0): Position[] {
  if (!schema || depth > 3) return [];
  const here: Position[] = path.length > 0 ? [{ path, schema }] : [];
  const type = typeOf(schema);
  if (type === 'object')
    return [...here, ...Object.entries(schema.properties ?? {}).flatMap(([name, p]) => positionsOf(p, [...path, name], depth + 1))];
  if (type === 'array' && schema.items) return [...here, ...positionsOf(schema.items, [...path, 0], depth + 1)];
  return here;
}

/** A copy of `body` with `value` at `path` (creating the objects and arrays on the way). */
export function withValueAt(body: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const container: Record<string | number, unknown> | unknown[] =
    typeof head === 'number' ? (Array.isArray(body) ? [...(body as unknown[])] : []) : { ...((body as object) ?? {}) };
  (container as Record<string | number, unknown>)[head] = withValueAt((container as Record<string | number, unknown>)[head], rest, value);
  return container;
}
