import { createHash } from 'node:crypto';
import type { SqlParams } from './filter-compiler';
import { FilterError } from './filter-error';
import { fieldExpression, type FilterField, SYSTEM_FIELDS } from './filter-fields';

export const MAX_SORT_KEYS = 5;
const SORT_KEY = /^(-?)([a-z][a-z0-9_]{0,62})$/;

type KeyKind = 'text' | 'number' | 'boolean' | 'uuid' | 'timestamp';
interface SortKey {
  name: string;
  sql: string;
  kind: KeyKind;
  descending: boolean;
}

/** A position in an ordered listing: the sort values of the last row returned, and its id. */
type CursorValues = (string | number | boolean | null)[];

/**
 * `sort=-amount,title` → ORDER BY plus keyset ("seek") pagination. The record id always ends
 * the order, so positions are unique and a page boundary never skips or repeats a row, even
 * while records are being inserted. Order is PostgreSQL's default: ascending with NULLs last,
 * descending with NULLs first; the seek condition follows the same rules.
 */
export class RecordOrder {
  private constructor(
    private readonly keys: SortKey[],
    private readonly alias: string,
  ) {}

  static parse(
    sort: string | undefined,
    fields: readonly FilterField[],
    options: { allowHidden?: boolean; alias?: string } = {},
  ): RecordOrder {
    const alias = options.alias ?? 'r';
    const byName = new Map(fields.map((field) => [field.name, field]));
    const keys: SortKey[] = [];
    const parts = sort ? sort.split(',').map((part) => part.trim()) : [];
    if (parts.length > MAX_SORT_KEYS) throw new FilterError(`Sort by at most ${MAX_SORT_KEYS} keys`, 0, 'tooComplex');
    let position = 0;
    for (const part of parts) {
      const match = SORT_KEY.exec(part);
      if (!match)
        throw new FilterError(
          `Sort key ${JSON.stringify(part.slice(0, 40))} is not a field name (prefix - for descending)`,
          position,
          'syntax',
        );
      const [, minus, name] = match;
      if (keys.some((key) => key.name === name)) throw new FilterError(`Sort key ${name} is repeated`, position, 'syntax');
      keys.push({ name, descending: minus === '-', ...keyFor(name, byName.get(name), alias, options.allowHidden === true, position) });
      position += part.length + 1;
    }
    if (!keys.some((key) => key.name === 'id'))
      keys.push({ name: 'id', sql: `${alias}.id`, kind: 'uuid', descending: keys.at(-1)?.descending ?? false });
    return new RecordOrder(keys, alias);
  }

  orderBy(): string {
    return this.keys.map((key) => `${key.sql} ${key.descending ? 'DESC' : 'ASC'}`).join(', ');
  }

  /** The cursor of a row (its sort values read back from the selected `sort_values`). */
  cursorFor(values: CursorValues): string {
    return Buffer.from(JSON.stringify({ s: this.signature(), v: values })).toString('base64url');
  }

  /** SELECT-list expressions giving the values a cursor needs, in key order. */
  cursorColumns(): string[] {
    return this.keys.map((key) =>
      key.kind === 'timestamp'
        ? `to_char(${key.sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
        : key.kind === 'number'
          ? `${key.sql}::text`
          : key.sql,
    );
  }

  /** The condition selecting rows after the cursor's position. */
  after(cursor: string, params: SqlParams): string {
    const values = this.decode(cursor);
    const alternatives = this.keys.map((key, index) => {
      const ties = this.keys
        .slice(0, index)
        .map((previous, i) => `${previous.sql} IS NOT DISTINCT FROM ${bind(params, previous, values[i])}`);
      return [...ties, this.beyond(key, values[index], params)].join(' AND ');
    });
    return `(${alternatives.map((alternative) => `(${alternative})`).join(' OR ')})`;
  }

  private beyond(key: SortKey, value: CursorValues[number], params: SqlParams): string {
    if (value === null) return key.descending ? `${key.sql} IS NOT NULL` : 'FALSE';
    const bound = bind(params, key, value);
    return key.descending ? `${key.sql} < ${bound}` : `(${key.sql} > ${bound} OR ${key.sql} IS NULL)`;
  }

  private decode(cursor: string): CursorValues {
    const invalid = () => new FilterError('The cursor is invalid or belongs to another sort order', 0, 'syntax');
    if (cursor.length > 4_096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
    let parsed: { s?: unknown; v?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: unknown; v?: unknown };
    } catch {
      throw invalid();
    }
    if (parsed.s !== this.signature() || !Array.isArray(parsed.v) || parsed.v.length !== this.keys.length) throw invalid();
    const values = parsed.v as unknown[];
    if (!this.keys.every((key, i) => valueFits(key.kind, values[i]))) throw invalid();
    return values as CursorValues;
  }

  private signature(): string {
    return createHash('sha256')
      .update(this.keys.map((key) => `${key.descending ? '-' : ''}${key.name}`).join(','))
      .digest('base64url')
      .slice(0, 12);
  }
}

function keyFor(
  name: string,
  field: FilterField | undefined,
  alias: string,
  allowHidden: boolean,
  position: number,
): { sql: string; kind: KeyKind } {
  const system = Object.hasOwn(SYSTEM_FIELDS, name) ? SYSTEM_FIELDS[name as keyof typeof SYSTEM_FIELDS] : undefined;
  if (system) return { sql: `${alias}.${system.column}`, kind: system.type };
  if (!field || (field.hidden && !allowHidden)) throw new FilterError(`Unknown field ${name}`, position, 'unknownField');
  if (field.encrypted || field.type === 'json' || field.type === 'multi')
    throw new FilterError(`Field ${name} cannot be sorted on`, position, 'notFilterable');
  const kind: KeyKind = field.type === 'number' ? 'number' : field.type === 'boolean' ? 'boolean' : 'text';
  return { sql: fieldExpression(alias, field), kind };
}

function bind(params: SqlParams, key: SortKey, value: CursorValues[number]): string {
  const cast = { text: 'text', number: 'numeric', boolean: 'boolean', uuid: 'uuid', timestamp: 'timestamptz' }[key.kind];
  return params.add(value, cast);
}

function valueFits(kind: KeyKind, value: unknown): boolean {
  if (value === null) return kind !== 'uuid';
  switch (kind) {
    case 'number':
      return typeof value === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'uuid':
      return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value);
    case 'timestamp':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    default:
      return typeof value === 'string' && value.length <= 10_000;
  }
}
