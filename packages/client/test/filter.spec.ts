import fc from 'fast-check';
import { tokenize } from '../../../apps/api/src/data/query/filter-lexer';
import { and, field, type Filter, filter, or } from '../src/filter';

/** The server's reading of a filter: what each token is (kind and decoded text). */
const read = (built: Filter) => tokenize(built.text).map((token) => [token.kind, token.text]);

describe('filter`…`: values are bound as literals', () => {
  it('keeps any string one string literal, whatever quotes, backslashes or operators it holds (as the server reads it)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        expect(read(filter`title = ${value}`)).toEqual([
          ['identifier', 'title'],
          ['operator', '='],
          ['string', value],
          ['end', ''],
        ]);
      }),
    );
    expect(filter`title = ${"x' || owner != @me || title = '"}`.text).toBe("title = 'x\\' || owner != @me || title = \\''");
  });

  it('writes numbers, booleans, null, dates and lists as the language reads them', () => {
    const due = new Date('2026-12-06T10:00:00.000Z');
    expect(filter`a = ${-1.5e-7} && b = ${true} && c = ${null} && d < ${due} && e in ${['x', 2, false]}`.text).toBe(
      "a = -1.5e-7 && b = true && c = null && d < '2026-12-06T10:00:00.000Z' && e in ('x', 2, false)",
    );
    expect(read(filter`n = ${1e21}`)[2]).toEqual(['number', '1e+21']);
  });

  it('refuses what has no literal: NaN, Infinity, an invalid date, an empty list, objects', () => {
    expect(() => filter`a = ${Number.NaN}`).toThrow(/finite/);
    expect(() => filter`a = ${Infinity}`).toThrow(/finite/);
    expect(() => filter`a = ${new Date('nope')}`).toThrow(/invalid Date/);
    expect(() => filter`a in ${[]}`).toThrow(/empty list/);
    expect(() => filter`a = ${{ toString: () => 'x' } as never}`).toThrow(/object cannot be bound/);
  });

  it('places field names only when they are plain names, and nests filters in parentheses', () => {
    expect(filter`${field('due_at')} < @now`.text).toBe('due_at < @now');
    expect(() => field('a = 1 || b')).toThrow(/not a field name/);
    expect(filter`${filter`a = ${1} || b = ${2}`} && c = ${3}`.text).toBe('(a = 1 || b = 2) && c = 3');
  });

  it('joins the parts given with and()/or(), leaving out false and undefined ones', () => {
    const search = '';
    expect(and(filter`done = ${false}`, search !== '' && filter`title ~ ${search}`, undefined).text).toBe('done = false');
    expect(or(filter`a = ${1}`, filter`b = ${2}`).text).toBe('(a = 1) || (b = 2)');
    expect(and().text).toBe('');
  });
});
