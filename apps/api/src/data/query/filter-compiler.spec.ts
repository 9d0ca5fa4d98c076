import { FUZZ_FIELDS } from '@backlot/testing/filter-arbitraries';
import { compileFilter, type FilterContext, SqlParams } from './filter-compiler';
import { FilterError } from './filter-error';
import { fieldExpression, type FilterField } from './filter-fields';

const FIELDS: FilterField[] = [
  ...FUZZ_FIELDS,
  { name: 'secret', type: 'text', hidden: true },
  { name: 'ssn', type: 'text', encrypted: true },
];
const ME = '0190a6b4-0000-7000-8000-000000000001';
const context: FilterContext = { fields: FIELDS, me: ME, now: new Date('2026-11-22T10:00:00Z') };

const compile = (source: string, extra: Partial<FilterContext> = {}) => {
  const { sql, params } = compileFilter(source, { ...context, ...extra });
  return { sql, values: params.values };
};

function errorOf(source: string, extra: Partial<FilterContext> = {}): FilterError {
  try {
    compile(source, extra);
  } catch (error) {
    if (error instanceof FilterError) return error;
    throw error;
  }
  throw new Error(`expected ${source} to fail`);
}

describe('compileFilter', () => {
  it('compiles comparisons on typed fields into placeholders', () => {
    expect(compile("title = 'a' && amount > 10")).toEqual({
      sql: "(((r.data->>'title') = $1::text) AND (((r.data->>'amount')::numeric) > $2::numeric))",
      values: ['a', '10'],
    });
  });

  it('keeps the field on the left so literals are typed by it', () => {
    expect(compile('10 < amount').sql).toBe("(((r.data->>'amount')::numeric) > $1::numeric)");
  });

  it('uses IS DISTINCT FROM for != and IS NOT TRUE for negation, so missing fields match', () => {
    expect(compile("title != 'a'").sql).toBe("((r.data->>'title') IS DISTINCT FROM $1::text)");
    expect(compile("!(title = 'a')").sql).toBe("((((r.data->>'title') = $1::text)) IS NOT TRUE)");
  });

  it('compiles null checks', () => {
    expect(compile('title = null').sql).toBe("((r.data->>'title') IS NULL)");
    expect(compile('meta != null').sql).toBe("((r.data->'meta') IS NOT NULL)");
    expect(compile('@me != null')).toEqual({ sql: '($1::text IS NOT NULL)', values: [ME] });
  });

  it('escapes LIKE wildcards in ~ and keeps it case-insensitive', () => {
    expect(compile("title ~ '50%_off\\\\'")).toEqual({ sql: "((r.data->>'title') ILIKE $1::text)", values: ['%50\\%\\_off\\\\%'] });
    expect(compile("title !~ 'x'").sql).toBe("(((r.data->>'title') ILIKE $1::text) IS NOT TRUE)");
    expect(compile("tags ~ 'RE'")).toMatchObject({ values: ['%RE%'] });
  });

  it('compiles system fields, @me and @now with their column types', () => {
    expect(compile('owner = @me && created < @now')).toEqual({
      sql: '((r.owner_id = $1::uuid) AND (r.created_at < $2::timestamptz))',
      values: [ME, '2026-11-22T10:00:00.000Z'],
    });
    expect(compile("id = '0190A6B4-0000-7000-8000-00000000000F'").values).toEqual(['0190a6b4-0000-7000-8000-00000000000f']);
  });

  it('normalizes date literals for datetime fields', () => {
    expect(compile("due >= '2026-01-31'").values).toEqual(['2026-01-31T00:00:00.000Z']);
    expect(compile("due < '2026-01-31T12:00:00+02:00'").values).toEqual(['2026-01-31T10:00:00.000Z']);
    expect(compile('due < @now').sql).toBe("((r.data->>'due') < $1::text)");
  });

  it('compares datetime fields with system timestamps as timestamps, either way round', () => {
    expect(compile('created > due').sql).toBe("(r.created_at > ((r.data->>'due'))::timestamptz)");
    expect(compile('due >= updated').sql).toBe("(r.updated_at <= ((r.data->>'due'))::timestamptz)");
  });

  it('compiles in lists as one array parameter', () => {
    expect(compile("title in ('a', 'b')")).toEqual({ sql: "((r.data->>'title') = ANY($1::text[]))", values: [['a', 'b']] });
    expect(compile('amount not in (1, 2.5)')).toEqual({
      sql: "((((r.data->>'amount')::numeric) = ANY($1::numeric[])) IS NOT TRUE)",
      values: [['1', '2.5']],
    });
  });

  it('treats multi-value fields as sets: = has, in has any, ~ has one containing', () => {
    expect(compile("tags = 'red'").sql).toBe("((r.data->'tags') @> jsonb_build_array($1::text))");
    expect(compile("tags in ('red', 'blue')").sql).toBe("(jsonb_exists_any((r.data->'tags'), $1::text[]))");
    expect(compile("tags ~ 're'").sql).toContain('jsonb_array_elements_text');
  });

  it('numbers placeholders after the ones already in the query', () => {
    const params = new SqlParams(3);
    expect(compileFilter("title = 'a'", context, params).sql).toBe("((r.data->>'title') = $4::text)");
  });

  it.each([
    ["nope = 'a'", 'unknownField', 0],
    ["secret = 'a'", 'unknownField', 0],
    ["ssn = 'a'", 'notFilterable', 0],
    ["amount = 'ten'", 'typeMismatch', 9],
    ['title = 1', 'typeMismatch', 8],
    ['done > true', 'typeMismatch', 7],
    ["due = 'yesterday'", 'typeMismatch', 6],
    ["due = '2026-13-45'", 'typeMismatch', 6],
    ["created > '0000-01-01'", 'typeMismatch', 10],
    ["id = 'not-a-uuid'", 'typeMismatch', 5],
    ['amount ~ 1', 'typeMismatch', 0],
    ['title ~ 1', 'typeMismatch', 8],
    ["meta = 'x'", 'typeMismatch', 0],
    ['title > null', 'typeMismatch', 0],
    ['title in (null)', 'typeMismatch', 10],
    ['tags > 1', 'typeMismatch', 7],
  ])('refuses %j (%s at %i)', (source, code, position) => {
    const error = errorOf(source);
    expect(error.code).toBe(code);
    expect(error.position).toBe(position);
  });

  it('lets rules read hidden fields', () => {
    expect(compile("secret = 'a'", { allowHidden: true }).sql).toBe("((r.data->>'secret') = $1::text)");
  });

  it('builds field expressions only from valid identifiers', () => {
    expect(() => fieldExpression('r', { name: "x'; drop table users; --", type: 'text' })).toThrow(/Invalid identifier/);
    expect(() => fieldExpression('r; --', { name: 'x', type: 'text' })).toThrow(/Invalid identifier/);
  });
});
