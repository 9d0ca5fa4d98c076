import { createHash } from 'node:crypto';
import { fieldExpression, SYSTEM_FIELDS } from '../query/filter-fields';
import { type DefinitionProblem, type FieldDefinition, toFilterField } from './field-definition';
import type { FieldIndexDdl } from './field-indexes';

/**
 * An index a collection declares over one or more keys (`options.indexes`): field names or
 * system fields (`created`, `updated`, `owner`, `id`), each optionally `-` for descending.
 * Lists filtered on the leading keys and sorted on the rest read just the rows of a page.
 */
export interface CompositeIndex {
  fields: string[];
  unique?: boolean;
}

export const MAX_INDEXES = 8;
export const MAX_INDEX_KEYS = 4;
const KEY = /^(-?)([a-z][a-z0-9_]{0,62})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every problem of `options.indexes` against the collection's fields (paths under `options.indexes`). */
export function checkCompositeIndexes(indexes: readonly CompositeIndex[], fields: readonly FieldDefinition[]): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const byName = new Map(fields.map((field) => [field.name, field]));
  if (indexes.length > MAX_INDEXES)
    problems.push({ path: 'options.indexes', code: 'tooMany', message: `a collection declares at most ${MAX_INDEXES} indexes` });
  const seen = new Set<string>();
  indexes.forEach((index, i) => {
    const path = `options.indexes.${i}`;
    if (!Array.isArray(index.fields) || index.fields.length === 0 || index.fields.length > MAX_INDEX_KEYS) {
      problems.push({ path: `${path}.fields`, code: 'outOfRange', message: `an index has 1 to ${MAX_INDEX_KEYS} keys` });
      return;
    }
    const names = new Set<string>();
    index.fields.forEach((key, k) => {
      const match = typeof key === 'string' ? KEY.exec(key) : null;
      const fail = (code: string, message: string) => problems.push({ path: `${path}.fields.${k}`, code, message });
      if (!match) return fail('invalid', 'a key is a field name, with a leading - for descending order');
      const name = match[2];
      if (names.has(name)) return fail('duplicate', `${name} appears twice in the index`);
      names.add(name);
      if (name in SYSTEM_FIELDS) return;
      const field = byName.get(name);
      if (!field) return fail('unknownField', `there is no field ${name}; remove it from the index first`);
      if (field.encrypted) return fail('notApplicable', `${name} is encrypted: its plaintext is not in the database`);
      if (field.multiple || field.type === 'json' || field.type === 'file')
        return fail('notApplicable', `${name} is a json, file or multi-value field, which cannot be indexed`);
    });
    const signature = indexSignature(index);
    if (seen.has(signature)) problems.push({ path, code: 'duplicate', message: 'the same index is declared twice' });
    seen.add(signature);
  });
  return problems;
}

/** The index keys with renamed fields followed (a schema change renames them in the indexes too). */
export function renameIndexKeys(indexes: readonly CompositeIndex[], renames: readonly { from: string; to: string }[]): CompositeIndex[] {
  if (renames.length === 0) return [...indexes];
  const to = new Map(renames.map((rename) => [rename.from, rename.to]));
  return indexes.map((index) => ({
    ...index,
    fields: index.fields.map((key) => {
      const descending = key.startsWith('-');
      const name = descending ? key.slice(1) : key;
      return `${descending ? '-' : ''}${to.get(name) ?? name}`;
    }),
  }));
}

/**
 * DDL for one declared index: a partial index over the collection's live records on the very
 * expressions the filter compiler and RecordOrder emit, so the planner matches it to lists.
 * A non-unique index ends with the record id in the direction of its last key, because every
 * listing's order ends with the id: a page then reads straight off the index with no sort.
 * `concurrently` builds without blocking writes (PostgreSQL, outside a transaction).
 */
export function compositeIndexDdl(
  collectionId: string,
  index: CompositeIndex,
  fields: readonly FieldDefinition[],
  options: { concurrently?: boolean } = {},
): FieldIndexDdl {
  if (!UUID.test(collectionId)) throw new Error('Invalid collection id for DDL');
  const keys = index.fields.map((key) => {
    const { name, descending } = parseKey(key);
    return { name, sql: `${keyExpression(name, fields, '')}${descending ? ' DESC' : ''}` };
  });
  if (!index.unique && !keys.some((key) => key.name === 'id'))
    keys.push({ name: 'id', sql: `id${index.fields.at(-1)!.startsWith('-') ? ' DESC' : ''}` });
  const name = compositeIndexName(collectionId, index);
  const how = `${index.unique ? 'UNIQUE ' : ''}INDEX${options.concurrently ? ' CONCURRENTLY' : ''}`;
  return {
    name,
    create: [
      `CREATE ${how} IF NOT EXISTS ${name} ON records (${keys.map((key) => key.sql).join(', ')}) WHERE collection_id = '${collectionId}'::uuid AND deleted_at IS NULL`,
    ],
    drop: [`DROP INDEX${options.concurrently ? ' CONCURRENTLY' : ''} IF EXISTS ${name}`],
  };
}

/** The SQL of one key over `alias` (none in index definitions): a system column or the filter compiler's field expression. */
export function keyExpression(name: string, fields: readonly FieldDefinition[], alias: string): string {
  const system = Object.hasOwn(SYSTEM_FIELDS, name) ? SYSTEM_FIELDS[name as keyof typeof SYSTEM_FIELDS] : undefined;
  if (system) return alias ? `${alias}.${system.column}` : system.column;
  const field = fields.find((f) => f.name === name);
  if (!field) throw new Error(`Index key ${name} is not a field`);
  return fieldExpression(alias, toFilterField(field));
}

/** A checked key as its field name and direction. */
export function parseKey(key: string): { name: string; descending: boolean } {
  const match = KEY.exec(key);
  if (!match) throw new Error(`Invalid index key ${key}`);
  return { name: match[2], descending: match[1] === '-' };
}

/**
 * Which declared indexes a change drops (by name) and builds: one whose keys, uniqueness or
 * key expressions (a field's type) changed is dropped and built again.
 */
export function planIndexChange(
  collectionId: string,
  before: { fields: readonly FieldDefinition[]; indexes: readonly CompositeIndex[] },
  after: { fields: readonly FieldDefinition[]; indexes: readonly CompositeIndex[] },
): { drop: string[]; create: CompositeIndex[] } {
  const statements = (side: typeof before) =>
    new Map(
      side.indexes.map((index) => {
        const ddl = compositeIndexDdl(collectionId, index, side.fields);
        return [ddl.name, { index, sql: ddl.create[0] }];
      }),
    );
  const was = statements(before);
  const will = statements(after);
  return {
    drop: [...was].filter(([name, { sql }]) => will.get(name)?.sql !== sql).map(([name]) => name),
    create: [...will].filter(([name, { sql }]) => was.get(name)?.sql !== sql).map(([, { index }]) => index),
  };
}

/** `rec_` + a hash of the collection and the index's keys: derived, never taken from input, and distinct from field index names. */
export function compositeIndexName(collectionId: string, index: CompositeIndex): string {
  return `rec_${createHash('sha256')
    .update(`${collectionId}#${indexSignature(index)}`)
    .digest('hex')
    .slice(0, 32)}`;
}

/** How an index is written for people: `status, -created` (unique). */
export function describeIndex(index: CompositeIndex): string {
  return `(${index.fields.join(', ')})${index.unique ? ' unique' : ''}`;
}

function indexSignature(index: CompositeIndex): string {
  return `${index.unique ? 'unique:' : ''}${index.fields.join(',')}`;
}
