import { generateRecoveryCodes, normalizeRecoveryCode } from './recovery-codes';

describe('generateRecoveryCodes', () => {
  it('generates ten codes shaped like abcde-fghij by default', () => {
    const codes = generateRecoveryCodes();

    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
  });

  it('generates the requested number of distinct codes', () => {
    const codes = generateRecoveryCodes(500);

    expect(codes).toHaveLength(500);
    expect(new Set(codes).size).toBe(500);
  });

  it('returns no codes when asked for none', () => {
    expect(generateRecoveryCodes(0)).toEqual([]);
  });

  it.each([-1, 2.5, Number.NaN])('refuses a count of %p', (count) => {
    expect(() => generateRecoveryCodes(count)).toThrow(RangeError);
  });

  it('never uses the characters that look alike (i, l, o) nor u', () => {
    const characters = new Set(generateRecoveryCodes(500).join('').replace(/-/g, ''));

    expect([...characters].filter((char) => 'ilou'.includes(char))).toEqual([]);
  });

  it('draws from 32 symbols, so ten of them carry 50 bits', () => {
    const characters = new Set(generateRecoveryCodes(500).join('').replace(/-/g, ''));

    // 5,000 uniform draws from 32 symbols miss one with probability about 32 * (31/32)^5000.
    expect(characters.size).toBe(32);
  });

  it('gives each code to normalizeRecoveryCode unchanged', () => {
    for (const code of generateRecoveryCodes()) expect(normalizeRecoveryCode(code)).toBe(code);
  });
});

describe('normalizeRecoveryCode', () => {
  it.each([
    ['abcde-fghjk', 'abcde-fghjk'],
    ['  ABCDE-FGHJK  ', 'abcde-fghjk'],
    ['abcdefghjk', 'abcde-fghjk'],
    ['ab cd ef gh jk', 'abcde-fghjk'],
    ['abc-def-ghjk', 'abcde-fghjk'],
    ['ABCDE\tFGHJK', 'abcde-fghjk'],
  ])('reads %p loosely as %p', (input, expected) => {
    expect(normalizeRecoveryCode(input)).toBe(expected);
  });

  it('reads o as 0 and i or l as 1, the symbols they are mistaken for', () => {
    expect(normalizeRecoveryCode('OIL23-45678')).toBe('01123-45678');
  });

  it.each([
    ['the empty string', ''],
    ['too short', 'abcde-fghj'],
    ['too long', 'abcde-fghjkm'],
    ['a u', 'abcde-fghju'],
    ['punctuation', 'abcde_fghjk'],
    ['a non-ASCII letter', 'abcdé-fghjk'],
  ])('returns an empty string for %s', (_, input) => {
    expect(normalizeRecoveryCode(input)).toBe('');
  });
});
