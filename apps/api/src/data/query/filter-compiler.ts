import { FilterError } from './filter-error';
import { fieldExpression, type FilterField, SYSTEM_FIELDS } from './filter-fields';
import { type ComparisonOperator, type FilterNode, type Literal, type Operand, parseFilter } from './filter-parser';

export interface FilterContext {
  fields: readonly FilterField[];
  /** The caller's user id for @me, or null for anonymous callers (then @me matches nothing). */
  me: string | null;
  now?: Date;
  /** Rules may read hidden fields; client filters may not. */
  allowHidden?: boolean;
  /** Alias of the records table in the surrounding query. */
  alias?: string;
}

/** Collects bound values; the SQL only ever contains `$n` placeholders for them. */
export class SqlParams {
  readonly values: unknown[] = [];
  constructor(private readonly offset = 0) {}
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return `$${this.offset + this.values.length}${cast ? `::${cast}` : ''}`;
  }
}

type Kind = 'text' | 'number' | 'boolean' | 'datetime' | 'uuid' | 'timestamp' | 'multi' | 'json';
interface Typed {
  sql: string;
  kind: Kind;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** The operator with its sides swapped (`5 < n` is `n > 5`). */
export const MIRROR: Record<ComparisonOperator, ComparisonOperator> = {
  '=': '=',
  '!=': '!=',
  '>': '<',
  '>=': '<=',
  '<': '>',
  '<=': '>=',
  '~': '~',
  '!~': '!~',
};

/** Parses and compiles a filter or rule into a parameterized SQL boolean expression. */
export function compileFilter(source: string, context: FilterContext, params = new SqlParams()): { sql: string; params: SqlParams } {
  return { sql: new Compiler(context, params).node(parseFilter(source)), params };
}

class Compiler {
  private readonly fields: Map<string, FilterField>;
  private readonly alias: string;

  constructor(
    private readonly context: FilterContext,
    private readonly params: SqlParams,
  ) {
    this.fields = new Map(context.fields.map((field) => [field.name, field]));
    this.alias = context.alias ?? 'r';
  }

  node(node: FilterNode): string {
    switch (node.kind) {
      case 'and':
        return `(${this.node(node.left)} AND ${this.node(node.right)})`;
      case 'or':
        return `(${this.node(node.left)} OR ${this.node(node.right)})`;
      case 'not':
        // NULL (a missing field) is "not true": `!(a = 1)` matches records without `a`.
        return `((${this.node(node.operand)}) IS NOT TRUE)`;
      case 'in':
        return this.inList(node.operand, node.values, node.negated);
      case 'compare':
        return this.compare(node.operator, node.left, node.right);
    }
  }

  private compare(operator: ComparisonOperator, left: Operand, right: Operand): string {
    // Keep the field on the left (`5 < n` is `n > 5`), so literals are typed by the field.
    if (left.kind !== 'field' && right.kind === 'field') return this.compare(MIRROR[operator], right, left);
    if (right.kind === 'null' || left.kind === 'null') {
      const other = right.kind === 'null' ? left : right;
      if (operator !== '=' && operator !== '!=')
        throw new FilterError(`null can only be compared with = or !=`, other.position, 'typeMismatch');
      return `(${this.operand(other, undefined).sql} IS ${operator === '=' ? '' : 'NOT '}NULL)`;
    }
    const l = this.operand(left, undefined);
    if (operator === '~' || operator === '!~') return this.contains(operator, l, left.position, right);
    if (l.kind === 'json') throw new FilterError('json fields can only be compared with null', left.position, 'typeMismatch');
    let r = this.operand(right, l.kind);
    if (l.kind === 'multi') return this.multi(operator, l, r, right.position);
    // A datetime field against a system timestamp (`created > due`): the field holds ISO text,
    // and timestamptz has no operator with text, so compare it as a timestamp.
    if (l.kind === 'datetime' && r.kind === 'timestamp') return this.compare(MIRROR[operator], right, left);
    if (l.kind === 'timestamp' && r.kind === 'datetime') r = { sql: `(${r.sql})::timestamptz`, kind: 'timestamp' };
    if (r.kind !== l.kind) {
      throw new FilterError(`Cannot compare ${l.kind} with ${r.kind}`, right.position, 'typeMismatch');
    }
    if (l.kind === 'boolean' && operator !== '=' && operator !== '!=')
      throw new FilterError('booleans can only be compared with = or !=', right.position, 'typeMismatch');
    if (operator === '!=') return `(${l.sql} IS DISTINCT FROM ${r.sql})`;
    return `(${l.sql} ${operator} ${r.sql})`;
  }

  /** Case-insensitive substring match; on a multi-value field, any value containing it. */
  private contains(operator: '~' | '!~', field: Typed, position: number, right: Operand): string {
    if (field.kind !== 'text' && field.kind !== 'multi')
      throw new FilterError('~ and !~ work on text and multi-value fields only', position, 'typeMismatch');
    const pattern = this.likePattern(right);
    const test =
      field.kind === 'multi'
        ? `EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(${field.sql}) = 'array' THEN ${field.sql} ELSE '[]'::jsonb END) AS e(v) WHERE e.v ILIKE ${pattern})`
        : `${field.sql} ILIKE ${pattern}`;
    return operator === '~' ? `(${test})` : `((${test}) IS NOT TRUE)`;
  }

  /** Multi-value fields (multiple select, multiple relation): = means "has", != "has not". */
  private multi(operator: ComparisonOperator, field: Typed, value: Typed, position: number): string {
    if (value.kind !== 'text') throw new FilterError('multi-value fields hold text values', position, 'typeMismatch');
    if (operator !== '=' && operator !== '!=') {
      throw new FilterError(`${operator} does not apply to multi-value fields (use =, !=, ~, !~ or in)`, position, 'typeMismatch');
    }
    const has = `(${field.sql} @> jsonb_build_array(${value.sql}))`;
    return operator === '=' ? has : `(${has} IS NOT TRUE)`;
  }

  private inList(operand: Operand, values: Literal[], negated: boolean): string {
    if (operand.kind !== 'field') throw new FilterError('in (…) needs a field on its left', operand.position, 'syntax');
    const field = this.operand(operand, undefined);
    const kind = field.kind === 'multi' ? 'text' : field.kind;
    if (kind === 'json') throw new FilterError('json fields cannot be used with in (…)', operand.position, 'typeMismatch');
    const converted = values.map((value) => {
      if (value.kind === 'null') throw new FilterError('null is not allowed in in (…); use = null', value.position, 'typeMismatch');
      return this.literalValue(value, kind);
    });
    const cast = {
      text: 'text[]',
      number: 'numeric[]',
      boolean: 'boolean[]',
      datetime: 'text[]',
      uuid: 'uuid[]',
      timestamp: 'timestamptz[]',
    }[kind];
    const array = this.params.add(converted, cast);
    const test = field.kind === 'multi' ? `jsonb_exists_any(${field.sql}, ${array})` : `${field.sql} = ANY(${array})`;
    return negated ? `((${test}) IS NOT TRUE)` : `(${test})`;
  }

  private operand(operand: Operand, expected: Kind | undefined): Typed {
    switch (operand.kind) {
      case 'field':
        return this.field(operand.name, operand.position);
      case 'macro':
        if (operand.name === 'me')
          return {
            sql: this.params.add(this.context.me, expected === 'uuid' ? 'uuid' : 'text'),
            kind: expected === 'uuid' ? 'uuid' : 'text',
          };
        return this.now(expected);
      case 'null':
        throw new FilterError('null is only allowed with = or !=', operand.position, 'typeMismatch');
      default: {
        const kind = expected && expected !== 'multi' && expected !== 'json' ? expected : literalKind(operand);
        const value = this.literalValue(operand, kind);
        return { sql: this.params.add(value, castFor(kind)), kind };
      }
    }
  }

  private now(expected: Kind | undefined): Typed {
    const now = this.context.now ?? new Date();
    if (expected === 'timestamp') return { sql: this.params.add(now.toISOString(), 'timestamptz'), kind: 'timestamp' };
    return { sql: this.params.add(now.toISOString(), 'text'), kind: 'datetime' };
  }

  private field(name: string, position: number): Typed {
    const system = SYSTEM_FIELDS[name as keyof typeof SYSTEM_FIELDS];
    if (system && Object.hasOwn(SYSTEM_FIELDS, name)) return { sql: `${this.alias}.${system.column}`, kind: system.type };
    const field = this.fields.get(name);
    if (!field || (field.hidden && !this.context.allowHidden)) throw new FilterError(`Unknown field ${name}`, position, 'unknownField');
    if (field.encrypted) throw new FilterError(`Field ${name} is encrypted and cannot be filtered on`, position, 'notFilterable');
    return { sql: fieldExpression(this.alias, field), kind: field.type };
  }

  /** A literal converted to the type of the field it is compared with, or a 400 saying why not. */
  private literalValue(literal: Literal, kind: Kind): unknown {
    const mismatch = () => new FilterError(`Expected a ${kind} value`, literal.position, 'typeMismatch');
    switch (kind) {
      case 'number':
        if (literal.kind !== 'number') throw mismatch();
        return String(literal.value);
      case 'boolean':
        if (literal.kind !== 'boolean') throw mismatch();
        return literal.value;
      case 'uuid':
        if (literal.kind !== 'string' || !UUID.test(literal.value))
          throw new FilterError('Expected a UUID string', literal.position, 'typeMismatch');
        return literal.value.toLowerCase();
      case 'datetime':
      case 'timestamp': {
        if (literal.kind !== 'string' || !ISO_DATE.test(literal.value))
          throw new FilterError(
            "Expected an ISO 8601 date such as '2026-01-31' or '2026-01-31T12:00:00Z'",
            literal.position,
            'typeMismatch',
          );
        const date = new Date(literal.value.length === 10 ? `${literal.value}T00:00:00Z` : literal.value);
        // Year 0 and earlier are valid ISO 8601 but not PostgreSQL timestamps (it counts years BC).
        if (Number.isNaN(date.getTime()) || (kind === 'timestamp' && date.getUTCFullYear() < 1))
          throw new FilterError('Not a valid date', literal.position, 'typeMismatch');
        return date.toISOString();
      }
      default:
        if (literal.kind !== 'string') throw mismatch();
        return literal.value;
    }
  }

  private likePattern(operand: Operand): string {
    if (operand.kind !== 'string') throw new FilterError('~ and !~ need a string', operand.position, 'typeMismatch');
    return this.params.add(`%${operand.value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, 'text');
  }
}

function literalKind(literal: Literal): Kind {
  return literal.kind === 'number' ? 'number' : literal.kind === 'boolean' ? 'boolean' : 'text';
}

function castFor(kind: Kind): string {
  return {
    text: 'text',
    number: 'numeric',
    boolean: 'boolean',
    datetime: 'text',
    uuid: 'uuid',
    timestamp: 'timestamptz',
    multi: 'text',
    json: 'text',
  }[kind];
}
