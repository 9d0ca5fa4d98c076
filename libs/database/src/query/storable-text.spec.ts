import { storableText } from './storable-text';

describe('storableText', () => {
  it('drops NUL characters, which PostgreSQL refuses in text', () => {
    expect(storableText('a\u0000b\u0000')).toBe('ab');
  });

  it('replaces lone surrogate halves and keeps pairs', () => {
    expect(storableText('x\uD83Dy\uDE00z 😀')).toBe('x\uFFFDy\uFFFDz 😀');
  });

  it('cuts to the length without splitting a surrogate pair', () => {
    expect(storableText('ab😀', 3)).toBe('ab');
    expect(storableText('ab😀', 4)).toBe('ab😀');
    expect(storableText('abcdef', 3)).toBe('abc');
  });

  it('measures the length after dropping NULs', () => {
    expect(storableText('\u0000\u0000abc', 3)).toBe('abc');
  });
});
