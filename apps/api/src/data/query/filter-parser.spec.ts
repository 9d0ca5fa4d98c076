import { FilterError } from './filter-error';
import { FILTER_LIMITS, parseFilter } from './filter-parser';

function errorOf(source: string): FilterError {
  try {
    parseFilter(source);
  } catch (error) {
    if (error instanceof FilterError) return error;
    throw error;
  }
  throw new Error(`expected ${source} to fail`);
}

describe('parseFilter', () => {
  it('binds && tighter than || and honours parentheses', () => {
    expect(parseFilter('a = 1 || b = 2 && c = 3')).toMatchObject({ kind: 'or', right: { kind: 'and' } });
    expect(parseFilter('(a = 1 || b = 2) && c = 3')).toMatchObject({ kind: 'and', left: { kind: 'or' } });
  });

  it('reads every comparison operator', () => {
    for (const operator of ['=', '!=', '>', '>=', '<', '<=', '~', '!~']) {
      expect(parseFilter(`a ${operator} 1`)).toMatchObject({ kind: 'compare', operator });
    }
  });

  it('reads literals: strings with escapes, numbers, booleans, null, macros', () => {
    expect(parseFilter(`a = 'it\\'s "x"\\n'`)).toMatchObject({ right: { kind: 'string', value: 'it\'s "x"\n' } });
    expect(parseFilter('a = "double"')).toMatchObject({ right: { kind: 'string', value: 'double' } });
    expect(parseFilter('a >= -1.5e3')).toMatchObject({ right: { kind: 'number', value: -1500 } });
    expect(parseFilter('a = TRUE && b = false')).toMatchObject({ left: { right: { kind: 'boolean', value: true } } });
    expect(parseFilter('a = null')).toMatchObject({ right: { kind: 'null' } });
    expect(parseFilter('owner = @me && created < @now')).toMatchObject({
      left: { right: { kind: 'macro', name: 'me' } },
      right: { right: { kind: 'macro', name: 'now' } },
    });
  });

  it('reads in and not in lists', () => {
    expect(parseFilter("status in ('a', 'b')")).toMatchObject({ kind: 'in', negated: false, values: [{ value: 'a' }, { value: 'b' }] });
    expect(parseFilter('n NOT IN (1)')).toMatchObject({ kind: 'in', negated: true });
  });

  it('reads negation', () => {
    expect(parseFilter('!(a = 1)')).toMatchObject({ kind: 'not', operand: { kind: 'compare' } });
    expect(parseFilter('!!a = 1')).toMatchObject({ kind: 'not', operand: { kind: 'not' } });
  });

  it.each([
    ['', 0, 'Filter is empty'],
    ['a =', 3, 'Expected a field'],
    ['a = 1 b = 2', 6, 'expected && or ||'],
    ["a = 'open", 4, 'Unterminated string'],
    ['a = 1;', 5, 'Unexpected character'],
    ['a = 1 -- comment', 6, 'Unexpected character'],
    ['a = 1 /* x */', 6, 'Unexpected character'],
    ['(a = 1', 6, 'Expected )'],
    ['a in (b)', 6, 'literal values only'],
    ['a = @you', 4, 'Unknown macro'],
    ['a = 1e999', 4, 'out of range'],
    ["a = '\\x'", 5, 'Unknown escape'],
    ['a', 1, 'Expected a comparison'],
  ])('refuses %j at position %i', (source, position, message) => {
    const error = errorOf(source);
    expect(error.position).toBe(position);
    expect(error.message).toContain(message);
  });

  it('bounds length, nesting, conditions and list sizes', () => {
    expect(errorOf('a = 1 && '.repeat(600) + 'a = 1').code).toBe('tooComplex');
    expect(errorOf('('.repeat(40) + 'a = 1' + ')'.repeat(40)).code).toBe('tooComplex');
    expect(errorOf('!'.repeat(40) + 'a = 1').code).toBe('tooComplex');
    expect(errorOf(Array.from({ length: 210 }, () => 'a=1').join('||')).code).toBe('tooComplex');
    expect(errorOf(`a in (${Array.from({ length: FILTER_LIMITS.maxInValues + 1 }, (_, i) => i).join(',')})`).code).toBe('tooComplex');
    expect(errorOf('x'.repeat(FILTER_LIMITS.maxLength + 1)).code).toBe('tooComplex');
  });
});
