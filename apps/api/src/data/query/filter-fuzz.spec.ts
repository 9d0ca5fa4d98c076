import fc from 'fast-check';
import { anyInput, FUZZ_FIELDS, validFilter } from '@backlot/testing/filter-arbitraries';
import { compileFilter } from './filter-compiler';
import { FilterError } from './filter-error';

const context = { fields: FUZZ_FIELDS, me: '0190a6b4-0000-7000-8000-000000000001', now: new Date('2026-11-22T00:00:00Z') };

// Everything the compiler may emit: placeholders with casts, the fixed vocabulary, and
// field names in quotes. Anything else in the SQL would have come from the input.
const SQL_TOKEN =
  /\s+|\$\d+(::[a-z]+(\[\])?)?|'(title|amount|done|due|tags|meta|array|\[\])'(::jsonb)?|::(numeric|boolean|jsonb)|->>|->|@>|[()=<>!,.]+|\b(r|data|AND|OR|NOT|IS|NULL|TRUE|DISTINCT|FROM|ILIKE|ANY|EXISTS|SELECT|1|jsonb_build_array|jsonb_exists_any|jsonb_array_elements_text|jsonb_typeof|CASE|WHEN|THEN|ELSE|END|AS|e|v|WHERE|id|owner_id|created_at|updated_at)\b/y;

function outsideVocabulary(sql: string): string | undefined {
  let at = 0;
  while (at < sql.length) {
    SQL_TOKEN.lastIndex = at;
    const match = SQL_TOKEN.exec(sql);
    if (!match || match[0].length === 0) return sql.slice(at, at + 30);
    at += match[0].length;
  }
  return undefined;
}

describe('filter compiler under fuzzing', () => {
  it('answers any input with SQL or a FilterError, never anything else', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        try {
          compileFilter(input, context);
        } catch (error) {
          if (!(error instanceof FilterError)) throw error;
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('compiles valid filters to SQL whose every token is fixed vocabulary: values only travel as parameters', () => {
    fc.assert(
      fc.property(validFilter, (filter) => {
        const { sql } = compileFilter(filter, context);
        expect(outsideVocabulary(sql)).toBeUndefined();
      }),
      { numRuns: 3_000 },
    );
  });
});
