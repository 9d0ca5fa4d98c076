import { type FieldError, ValidationFailed } from '@backlot/http';
import { type FieldDefinition, toFilterField } from '../collections/field-definition';
import { fieldExpression, type FilterFieldType, SYSTEM_FIELDS } from '../query/filter-fields';
import type { AggregateClauses } from '../records/record-queries.repository';

export const MAX_GROUP_KEYS = 5;
export const MAX_METRICS = 10;
export const TIME_BUCKETS = ['hour', 'day', 'week', 'month'] as const;

const GROUP_KEY = /^([a-z][a-z0-9_]{0,62})(?::([a-z]+))?$/;
const METRIC = /^(?:(count)|(sum|avg|min|max)\(\s*([a-z][a-z0-9_]{0,62})\s*\))$/;
// Fixed width, so text order is time order: ORDER BY on a bucket key is chronological.
const ISO_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

export type GroupValue = string | number | boolean | null;

/** One group: its key values by key name, and each metric by its name (`count`, `sum(amount)`). */
export interface AggregateGroup {
  key: Record<string, GroupValue>;
  [metric: string]: GroupValue | Record<string, GroupValue>;
}

/** A problem with one item of a list; the list's parameter is its path. */
type Problem = Omit<FieldError, 'path'>;

/** A selected column and how its driver value becomes JSON. */
interface Column {
  name: string;
  sql: string;
  json: 'text' | 'number' | 'boolean';
}

/** What an identifier in `groupBy` or `metrics` reads: a collection field or a system column. */
interface Source {
  sql: string;
  type: FilterFieldType | 'timestamp' | 'uuid';
}

/**
 * `groupBy=status,created:month&metrics=count,sum(amount)` → one GROUP BY statement. Names
 * from the client are only looked up among the collection's field definitions and the system
 * fields; the SQL is built from those definitions (fieldExpression, SYSTEM_FIELDS) and fixed
 * keywords, and every value is a bound parameter. Every problem is reported at once, each
 * on its parameter.
 */
export class Aggregation {
  private constructor(
    readonly keys: readonly Column[],
    readonly metrics: readonly Column[],
  ) {}

  static parse(
    fields: readonly FieldDefinition[],
    request: { groupBy?: string; metrics?: string },
    options: { allowHidden: boolean },
  ): Aggregation {
    const resolver = new SourceResolver(fields, options.allowHidden);
    const problems: FieldError[] = [];
    const keys = parseList(request.groupBy ?? '', MAX_GROUP_KEYS, 'groupBy', problems, (item) => groupKey(item, resolver));
    const metrics = parseList(request.metrics || 'count', MAX_METRICS, 'metrics', problems, (item) => metric(item, resolver));
    if (problems.length > 0) throw new ValidationFailed(problems, `Invalid ${problems[0].path}: ${problems[0].message}`);
    return new Aggregation(keys, metrics);
  }

  /** Column names of a table of the groups: key names, then metric names. */
  get columns(): string[] {
    return [...this.keys, ...this.metrics].map((column) => column.name);
  }

  /**
   * The select list and grouping of the statement over `records r` (the records repository
   * adds the scope, the rule and the filter), ordered by the group keys so results are
   * deterministic.
   */
  clauses(): AggregateClauses {
    const select = [...this.keys.map((key, i) => `${key.sql} AS k${i}`), ...this.metrics.map((m, i) => `${m.sql} AS m${i}`)];
    const keyAliases = this.keys.map((_, i) => `k${i}`).join(', ');
    return { select: select.join(', '), grouping: this.keys.length > 0 ? ` GROUP BY ${keyAliases} ORDER BY ${keyAliases}` : '' };
  }

  /** A result row as the client sees it: numbers as JSON numbers, whatever the driver returned. */
  group(row: Record<string, unknown>): AggregateGroup {
    const group: AggregateGroup = { key: {} };
    this.keys.forEach((key, i) => (group.key[key.name] = toJson(row[`k${i}`], key.json)));
    this.metrics.forEach((metric, i) => (group[metric.name] = toJson(row[`m${i}`], metric.json)));
    return group;
  }

  /** The groups as a table: a header row (`columns`), then one row per group. */
  table(groups: readonly AggregateGroup[]): unknown[][] {
    return [
      this.columns,
      ...groups.map((group) => [...this.keys.map((key) => group.key[key.name]), ...this.metrics.map((metric) => group[metric.name])]),
    ];
  }
}

function parseList(
  source: string,
  max: number,
  path: 'groupBy' | 'metrics',
  problems: FieldError[],
  parse: (item: string) => Column | Problem,
): Column[] {
  if (source.trim() === '') return [];
  const items = source.split(',').map((item) => item.trim());
  if (items.length > max) {
    problems.push({ path, code: 'tooMany', message: `${path} takes at most ${max} items` });
    return [];
  }
  const columns: Column[] = [];
  for (const item of items) {
    const parsed = parse(item);
    if (!('sql' in parsed)) problems.push({ path, ...parsed });
    else if (columns.some((column) => column.name === parsed.name))
      problems.push({ path, code: 'duplicate', message: `${parsed.name} is given twice` });
    else columns.push(parsed);
  }
  return columns;
}

function groupKey(item: string, resolver: SourceResolver): Column | Problem {
  const match = GROUP_KEY.exec(item);
  if (!match) return { code: 'syntax', message: `${JSON.stringify(item.slice(0, 70))} is not a field name or field:hour|day|week|month` };
  const [, name, bucket] = match;
  const source = resolver.resolve(name);
  if ('code' in source) return source;
  if (bucket !== undefined) return timeBucket(name, bucket, source);
  switch (source.type) {
    case 'timestamp':
      return { code: 'bucketRequired', message: `group ${name} by a time bucket, e.g. ${name}:day` };
    case 'multi':
    case 'json':
    case 'uuid':
      return {
        code: 'notGroupable',
        message: `${name} cannot be grouped by (${source.type === 'uuid' ? 'unique per record' : `a ${source.type} field`})`,
      };
    case 'number':
      return { name, sql: source.sql, json: 'number' };
    case 'boolean':
      return { name, sql: source.sql, json: 'boolean' };
    default:
      return { name, sql: source.sql, json: 'text' };
  }
}

/** A datetime truncated to the start of its hour, day, ISO week (Monday) or month, in UTC, as ISO-8601 text. */
function timeBucket(name: string, bucket: string, source: Source): Column | Problem {
  if (!(TIME_BUCKETS as readonly string[]).includes(bucket))
    return { code: 'syntax', message: `${bucket} is not a time bucket (use ${TIME_BUCKETS.join(', ')})` };
  const utc = utcTimestamp(source);
  if (!utc) return { code: 'typeMismatch', message: `${name} is not a datetime: only datetimes, created and updated have time buckets` };
  // `bucket` was checked against TIME_BUCKETS above: a fixed word, safe to write into the SQL.
  return { name, sql: `to_char(date_trunc('${bucket}', ${utc}), ${ISO_FORMAT})`, json: 'text' };
}

function metric(item: string, resolver: SourceResolver): Column | Problem {
  const match = METRIC.exec(item);
  if (!match) return { code: 'syntax', message: `${JSON.stringify(item.slice(0, 70))} is not count, sum(f), avg(f), min(f) or max(f)` };
  const [, count, fn, name] = match;
  if (count) return { name: 'count', sql: 'count(*)', json: 'number' };
  const source = resolver.resolve(name);
  if ('code' in source) return source;
  const label = `${fn}(${name})`;
  if (source.type === 'number') return { name: label, sql: `${fn}(${source.sql})`, json: 'number' };
  if (fn === 'min' || fn === 'max') {
    // Stored datetimes are normalized ISO-8601 UTC text: their text order is their time order.
    if (source.type === 'datetime') return { name: label, sql: `${fn}(${source.sql})`, json: 'text' };
    if (source.type === 'timestamp') return { name: label, sql: `to_char(${fn}(${utcTimestamp(source)}), ${ISO_FORMAT})`, json: 'text' };
  }
  const wanted = fn === 'sum' || fn === 'avg' ? 'number or integer fields' : 'number, integer and datetime fields, created and updated';
  return { code: 'typeMismatch', message: `${fn} applies to ${wanted}; ${name} is not one` };
}

/** A datetime source as a UTC `timestamp` (without zone), or undefined for other types. */
function utcTimestamp(source: Source): string | undefined {
  if (source.type === 'timestamp') return `(${source.sql} AT TIME ZONE 'UTC')`;
  if (source.type === 'datetime') return `((${source.sql})::timestamptz AT TIME ZONE 'UTC')`;
  return undefined;
}

class SourceResolver {
  private readonly fields: Map<string, FieldDefinition>;

  constructor(
    fields: readonly FieldDefinition[],
    private readonly allowHidden: boolean,
  ) {
    this.fields = new Map(fields.map((field) => [field.name, field]));
  }

  resolve(name: string): Source | Problem {
    if (Object.hasOwn(SYSTEM_FIELDS, name)) {
      const system = SYSTEM_FIELDS[name as keyof typeof SYSTEM_FIELDS];
      // The owner groups like a text field (a user id per group); the record id stays a uuid, which nothing accepts.
      return { sql: `r.${system.column}`, type: name === 'owner' ? 'text' : system.type };
    }
    const field = this.fields.get(name);
    // A hidden field is unknown to those who may not see it: its name is not theirs to learn.
    if (!field || (field.hidden && !this.allowHidden)) return { code: 'unknownField', message: `Unknown field ${name}` };
    if (field.encrypted)
      return { code: 'notAggregatable', message: `${name} is encrypted: its values are not in the database to aggregate` };
    const filterField = toFilterField(field);
    return { sql: fieldExpression('r', filterField), type: filterField.type };
  }
}

function toJson(value: unknown, kind: Column['json']): GroupValue {
  if (value === null || value === undefined) return null;
  // numeric and bigint arrive as strings (or bigint) from the drivers, to keep their precision.
  if (kind === 'number') return Number(value);
  if (kind === 'boolean') return Boolean(value);
  return String(value as string);
}
