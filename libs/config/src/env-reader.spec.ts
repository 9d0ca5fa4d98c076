import { EnvReader } from './env-reader';

describe('EnvReader', () => {
  it('treats blank and whitespace-only variables as unset and trims the rest', () => {
    const read = new EnvReader({ EMPTY: '', BLANK: '   ', PADDED: '  value  ' });

    expect(read.raw('EMPTY')).toBeUndefined();
    expect(read.raw('BLANK')).toBeUndefined();
    expect(read.string('BLANK', 'fallback')).toBe('fallback');
    expect(read.raw('PADDED')).toBe('value');
  });

  it('collects every problem instead of stopping at the first', () => {
    const read = new EnvReader({ A: 'x', B: 'maybe', C: 'purple' });

    read.int('A', 1, { min: 0, max: 10 });
    read.bool('B', false);
    read.oneOf('C', ['red', 'green'], 'red');

    expect(read.problems).toEqual([
      'A: must be an integer from 0 to 10 (got "x")',
      'B: must be true or false (got "maybe")',
      'C: must be one of red, green (got "purple")',
    ]);
  });

  it('returns the fallback for an out-of-range integer', () => {
    const read = new EnvReader({ N: '11' });

    expect(read.int('N', 5, { min: 0, max: 10 })).toBe(5);
    expect(read.problems).toHaveLength(1);
  });

  it.each([
    ['true', true],
    ['YES', true],
    ['1', true],
    ['false', false],
    ['No', false],
    ['0', false],
  ])('reads the boolean %s as %s', (value, expected) => {
    const read = new EnvReader({ FLAG: value });

    expect(read.bool('FLAG', !expected)).toBe(expected);
    expect(read.problems).toEqual([]);
  });

  it('splits a comma-separated list and drops empty items', () => {
    expect(new EnvReader({ L: 'a, b,,c ,' }).list('L')).toEqual(['a', 'b', 'c']);
    expect(new EnvReader({}).list('L')).toEqual([]);
  });

  it.each([
    ['mysql://db/x', 'U: must start with postgres:// or postgresql://'],
    ['not a url', 'U: is not a valid URL'],
    ['postgres://', 'U: has no host'],
  ])('rejects the URL %s', (value, problem) => {
    const read = new EnvReader({ U: value });

    expect(read.url('U', ['postgres:', 'postgresql:'])).toBeUndefined();
    expect(read.problems).toEqual([problem]);
  });

  it('returns a URL with an allowed protocol unchanged', () => {
    const read = new EnvReader({ U: 'rediss://cache.internal:6380/0' });

    expect(read.url('U', ['redis:', 'rediss:'])).toBe('rediss://cache.internal:6380/0');
    expect(read.problems).toEqual([]);
  });
});
