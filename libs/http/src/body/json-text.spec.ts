import { ValidationFailed } from '../errors/domain-errors';
import { jsonDepth, nestsDeeperThan, parseJsonText, unsafeText } from './json-text';

const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('jsonDepth', () => {
  it('counts the deepest nesting of arrays and objects', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonDepth(nested(3_000))).toBe(3_000);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepth('{"a":"[[[{{{\\"[[[","b":1}')).toBe(1);
  });

  it('stops counting once past the limit', () => {
    expect(jsonDepth(nested(100_000), 64)).toBe(65);
  });

  it('tells whether text nests deeper than a limit', () => {
    expect(nestsDeeperThan(nested(64), 64)).toBe(false);
    expect(nestsDeeperThan(nested(65), 64)).toBe(true);
    expect(nestsDeeperThan('[1]', 0)).toBe(true);
  });
});

describe('parseJsonText', () => {
  it('parses text within the nesting limit', () => {
    expect(parseJsonText('{"a":{"b":[1,2]}}', 64)).toEqual({ a: { b: [1, 2] } });
    expect(() => parseJsonText(nested(64), 64)).not.toThrow();
  });

  it('refuses text nested deeper than the limit before parsing it', () => {
    const failure = captured(() => parseJsonText(nested(65), 64));
    expect(failure.errors).toEqual([{ path: '(body)', code: 'tooDeep', message: expect.stringContaining('64') }]);
  });

  it('refuses a NUL character or a lone surrogate half in a value, naming its path', () => {
    expect(captured(() => parseJsonText('{"a":[{"b":"x\\u0000"}]}', 64)).errors).toEqual([
      { path: 'a.0.b', code: 'nulCharacter', message: 'a.0.b must not contain a NUL character' },
    ]);
    expect(captured(() => parseJsonText('{"email":"\\ud83d"}', 64)).errors).toEqual([
      { path: 'email', code: 'illFormedUnicode', message: expect.stringContaining('lone surrogate') },
    ]);
  });

  it('accepts surrogate pairs (emoji) and every other character', () => {
    expect(parseJsonText('{"s":"\\ud83d\\ude00 \\u0001 é"}', 64)).toEqual({ s: '😀 \u0001 é' });
  });

  it('refuses keys that poison prototypes, and only those', () => {
    expect(captured(() => parseJsonText('{"constructor":{"prototype":{"role":"admin"}}}', 64)).errors[0]).toMatchObject({
      code: 'forbiddenKey',
    });
    expect(parseJsonText('{"constructor":"a name"}', 64)).toEqual({ constructor: 'a name' });
  });

  it('refuses bad property names: __proto__, NUL, lone surrogates', () => {
    expect(captured(() => parseJsonText('{"x":{"__proto__":{"admin":true}}}', 64)).errors[0]).toMatchObject({
      path: 'x',
      code: 'forbiddenKey',
    });
    expect(captured(() => parseJsonText('{"a\\u0000":1}', 64)).errors[0]).toMatchObject({ path: '(body)', code: 'nulCharacter' });
    expect(captured(() => parseJsonText('{"\\udc00":1}', 64)).errors[0]).toMatchObject({ code: 'illFormedUnicode' });
  });

  it('leaves syntax errors to the caller as SyntaxError', () => {
    expect(() => parseJsonText('{"a":', 64)).toThrow(SyntaxError);
  });
});

describe('unsafeText', () => {
  it('reports at most twenty problems', () => {
    expect(unsafeText(Array.from({ length: 100 }, () => '\u0000'))).toHaveLength(20);
  });

  it('finds nothing in clean values', () => {
    expect(unsafeText({ a: ['x', 1, null, true, { b: 'ü' }] })).toEqual([]);
  });
});

function captured(work: () => unknown): ValidationFailed {
  try {
    work();
  } catch (error) {
    if (error instanceof ValidationFailed) return error;
    throw error;
  }
  throw new Error('expected a ValidationFailed');
}
