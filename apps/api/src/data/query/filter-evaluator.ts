import { compileFilter, MIRROR } from './filter-compiler';
import type { FilterField } from './filter-fields';
import { type ComparisonOperator, type FilterNode, type Literal, type Operand, parseFilter } from './filter-parser';

/** SQL's three-valued logic: null is "unknown". */
type Truth = boolean | null;

/** What a rule can see of a record. */
export interface EvaluableRecord {
  id: string;
  owner: string | null;
  /** Epoch microseconds: the database keeps timestamps to the microsecond, and so must comparisons. */
  created: number;
  updated: number;
  data: Record<string, unknown>;
}

export interface EvaluationContext {
  me: string | null;
  now?: Date;
}

/** Raised when a value's outcome depends on database collation (text ordering, non-ASCII case folding): ask the database. */
export class NotEvaluable extends Error {}

export type RecordPredicate = (record: EvaluableRecord, context: EvaluationContext) => boolean;

type Kind = 'text' | 'number' | 'boolean' | 'datetime' | 'uuid' | 'timestamp' | 'multi' | 'json';
type Value = string | number | boolean | unknown[] | null;
type Getter = (record: EvaluableRecord, context: EvaluationContext) => Value;

// Printable ASCII only: anything else may fold differently under the database locale.
const isAscii = (text: string) => !/[^\x20-\x7e]/.test(text);

/**
 * Compiles a rule into a JavaScript predicate that gives exactly the answer the SQL from
 * filter-compiler.ts gives for one record, so cached records can be checked against the
 * rules without a query (and realtime events filtered per subscriber). The predicate throws
 * NotEvaluable where the database's collation would decide; callers then ask the database.
 * Type errors cannot happen here: the source is compiled to SQL first, which checks them.
 */
export function compilePredicate(source: string, fields: readonly FilterField[], options: { allowHidden?: boolean } = {}): RecordPredicate {
  compileFilter(source, { fields, me: null, allowHidden: options.allowHidden });
  const byName = new Map(fields.map((field) => [field.name, field]));
  const test = node(parseFilter(source), byName);
  return (record, context) => test(record, context) === true;
}

function node(tree: FilterNode, fields: Map<string, FilterField>): (r: EvaluableRecord, c: EvaluationContext) => Truth {
  switch (tree.kind) {
    case 'and': {
      const [l, r] = [node(tree.left, fields), node(tree.right, fields)];
      return (rec, ctx) => and(l(rec, ctx), r(rec, ctx));
    }
    case 'or': {
      const [l, r] = [node(tree.left, fields), node(tree.right, fields)];
      return (rec, ctx) => or(l(rec, ctx), r(rec, ctx));
    }
    case 'not': {
      const inner = node(tree.operand, fields);
      return (rec, ctx) => inner(rec, ctx) !== true;
    }
    case 'in':
      return inList(tree.operand, tree.values, tree.negated, fields);
    case 'compare':
      return compare(tree.operator, tree.left, tree.right, fields);
  }
}

function and(a: Truth, b: Truth): Truth {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

function or(a: Truth, b: Truth): Truth {
  if (a === true || b === true) return true;
  return a === null || b === null ? null : false;
}

function compare(
  operator: ComparisonOperator,
  left: Operand,
  right: Operand,
  fields: Map<string, FilterField>,
): (r: EvaluableRecord, c: EvaluationContext) => Truth {
  if (left.kind !== 'field' && right.kind === 'field') return compare(MIRROR[operator], right, left, fields);
  if (left.kind === 'null' || right.kind === 'null') {
    const other = operand(right.kind === 'null' ? left : right, fields, undefined);
    const isNull =
      other.kind === 'multi' || other.kind === 'json'
        ? absent(other.get)
        : (r: EvaluableRecord, c: EvaluationContext) => other.get(r, c) === null;
    return operator === '=' ? isNull : (r, c) => !isNull(r, c);
  }
  const l = operand(left, fields, undefined);
  if (operator === '~' || operator === '!~') {
    const needle = (right as Extract<Operand, { kind: 'string' }>).value;
    const contains = l.kind === 'multi' ? multiContains(l.get, needle) : textContains(l.get, needle);
    return operator === '~' ? contains : (r, c) => contains(r, c) !== true;
  }
  const typed = operand(right, fields, l.kind);
  // A datetime field (ISO text) against a system timestamp compares as timestamps, as the SQL does.
  if (l.kind === 'datetime' && typed.kind === 'timestamp') return compare(MIRROR[operator], right, left, fields);
  const r =
    l.kind === 'timestamp' && typed.kind === 'datetime'
      ? { kind: 'timestamp' as const, get: (rec: EvaluableRecord, ctx: EvaluationContext) => micros(typed.get(rec, ctx)) }
      : typed;
  if (l.kind === 'multi') {
    const has = (rec: EvaluableRecord, ctx: EvaluationContext): Truth => {
      const list = l.get(rec, ctx);
      if (list === null) return null;
      return Array.isArray(list) && list.includes(r.get(rec, ctx));
    };
    return operator === '=' ? has : (rec, ctx) => has(rec, ctx) !== true;
  }
  const ordered = l.kind === 'timestamp' || l.kind === 'number' ? 'numeric' : l.kind === 'text' ? 'collated' : 'plain';
  return (rec, ctx) => {
    const a = normalize(l.kind, l.get(rec, ctx));
    const b = normalize(l.kind, r.get(rec, ctx));
    if (operator === '!=') return a === null || b === null ? a !== b : a !== b;
    if (a === null || b === null) return null;
    if (operator === '=') return a === b;
    if (ordered === 'collated') throw new NotEvaluable('text ordering follows the database collation');
    switch (operator) {
      case '>':
        return a > b;
      case '>=':
        return a >= b;
      case '<':
        return a < b;
      default:
        return a <= b;
    }
  };
}

function micros(iso: Value): Value {
  return typeof iso === 'string' ? Date.parse(iso) * 1000 : null;
}

function inList(
  target: Operand,
  values: Literal[],
  negated: boolean,
  fields: Map<string, FilterField>,
): (r: EvaluableRecord, c: EvaluationContext) => Truth {
  const field = operand(target, fields, undefined);
  const kind: Kind = field.kind === 'multi' ? 'text' : field.kind;
  const list = values.map((value) => normalize(kind, literal(value, kind)));
  const test = (rec: EvaluableRecord, ctx: EvaluationContext): Truth => {
    const value = field.get(rec, ctx);
    if (value === null) return null;
    if (field.kind === 'multi')
      return Array.isArray(value) ? value.some((item) => list.includes(item as string)) : list.includes(value as string);
    return list.includes(normalize(kind, value));
  };
  return negated ? (rec, ctx) => test(rec, ctx) !== true : test;
}

function textContains(get: Getter, needle: string) {
  return (rec: EvaluableRecord, ctx: EvaluationContext): Truth => {
    const value = get(rec, ctx);
    if (value === null) return null;
    return includesFolded(String(value), needle);
  };
}

function multiContains(get: Getter, needle: string) {
  return (rec: EvaluableRecord, ctx: EvaluationContext): Truth => {
    const value = get(rec, ctx);
    return Array.isArray(value) && value.some((item) => typeof item === 'string' && includesFolded(item, needle));
  };
}

function includesFolded(haystack: string, needle: string): boolean {
  if (!isAscii(haystack) || !isAscii(needle)) throw new NotEvaluable('case folding outside ASCII follows the database locale');
  return haystack.toLowerCase().includes(needle.toLowerCase());
}

/** A json/multi field is SQL NULL only when the key is missing (`data->'f'` of a JSON null is not NULL). */
function absent(get: Getter) {
  return (rec: EvaluableRecord, ctx: EvaluationContext): boolean => get(rec, ctx) === undefined;
}

function operand(op: Operand, fields: Map<string, FilterField>, expected: Kind | undefined): { kind: Kind; get: Getter } {
  switch (op.kind) {
    case 'field':
      return fieldGetter(op.name, fields);
    case 'macro':
      if (op.name === 'me') return { kind: expected === 'uuid' ? 'uuid' : 'text', get: (_r, c) => c.me };
      if (expected === 'timestamp') return { kind: 'timestamp', get: (_r, c) => (c.now ?? new Date()).getTime() * 1000 };
      return { kind: 'datetime', get: (_r, c) => (c.now ?? new Date()).toISOString() };
    default: {
      const kind =
        expected && expected !== 'multi' && expected !== 'json'
          ? expected
          : op.kind === 'number'
            ? 'number'
            : op.kind === 'boolean'
              ? 'boolean'
              : 'text';
      const value = literal(op as Literal, kind);
      return { kind, get: () => value };
    }
  }
}

function fieldGetter(name: string, fields: Map<string, FilterField>): { kind: Kind; get: Getter } {
  switch (name) {
    case 'id':
      return { kind: 'uuid', get: (r) => r.id };
    case 'owner':
      return { kind: 'uuid', get: (r) => r.owner };
    case 'created':
      return { kind: 'timestamp', get: (r) => r.created };
    case 'updated':
      return { kind: 'timestamp', get: (r) => r.updated };
  }
  const field = fields.get(name)!;
  if (field.type === 'multi' || field.type === 'json') return { kind: field.type, get: (r) => r.data[name] as Value };
  return { kind: field.type, get: (r) => scalar(r.data[name]) };
}

/** `data->>'f'`: JSON null and missing are NULL; strings as they are; other values as JSON text. */
function scalar(value: unknown): Value {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

function literal(value: Literal, kind: Kind): Value {
  if (value.kind === 'null') return null;
  switch (kind) {
    case 'number':
      return Number(value.value);
    case 'uuid':
      return String(value.value).toLowerCase();
    case 'datetime':
    case 'timestamp': {
      const text = String(value.value);
      const date = new Date(text.length === 10 ? `${text}T00:00:00Z` : text);
      return kind === 'timestamp' ? date.getTime() * 1000 : date.toISOString();
    }
    default:
      return value.value;
  }
}

function normalize(kind: Kind, value: Value): Value {
  if (value === null) return null;
  if (kind === 'number') return typeof value === 'number' ? value : Number(value);
  if (kind === 'uuid' && typeof value === 'string') return value.toLowerCase();
  return value;
}
