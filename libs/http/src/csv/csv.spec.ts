import fc from 'fast-check';
import { parseCsv } from '@backlot/testing/csv';
import { csvEscape, csvLine, prefersCsv, withFormulaGuard, withoutFormulaGuard } from './csv';

describe('csvEscape', () => {
  it('leaves plain values as they are', () => {
    expect(csvEscape('open')).toBe('open');
    expect(csvEscape(12.5)).toBe('12.5');
    expect(csvEscape(true)).toBe('true');
    expect(csvEscape(0)).toBe('0');
  });

  it('writes null and undefined as empty fields', () => {
    expect(csvEscape(null)).toBe('');
    expect(csvEscape(undefined)).toBe('');
  });

  it('quotes fields holding commas, quotes or line breaks, doubling inner quotes', () => {
    expect(csvEscape('a,b')).toBe('"a,b"');
    expect(csvEscape('say "hi"')).toBe('"say ""hi"""');
    expect(csvEscape('line\nbreak')).toBe('"line\nbreak"');
    expect(csvEscape('cr\rhere')).toBe('"cr\rhere"');
  });

  it('writes dates as ISO-8601 UTC and objects as JSON', () => {
    expect(csvEscape(new Date(Date.UTC(2026, 10, 1)))).toBe('2026-11-01T00:00:00.000Z');
    expect(csvEscape({ a: [1, 'x'] })).toBe('"{""a"":[1,""x""]}"');
  });
});

describe('csvLine', () => {
  it('joins fields with commas and ends the record with CRLF', () => {
    expect(csvLine(['a', 1, null, false])).toBe('a,1,,false\r\n');
    expect(csvLine([])).toBe('\r\n');
  });

  it('produces records an RFC 4180 reader parses back to the same values', () => {
    const rows = [
      ['status', 'note', 'sum(amount)'],
      ['open', 'a, "quoted"\r\nvalue', '12.5'],
      ['', ',', '"'],
    ];
    expect(parseCsv(rows.map(csvLine).join(''))).toEqual(rows);
  });
});

describe('formula guard', () => {
  it('writes text that a spreadsheet would run as a formula behind an apostrophe', () => {
    for (const text of ['=1+1', '+1', '-2+3', '@SUM(A1)', '=HYPERLINK("http://x")', '-5'])
      expect(csvLine([text])).not.toMatch(/^"?[=+\-@]/);
    expect(csvEscape('=1+1')).toBe("'=1+1");
    expect(csvEscape('@SUM(1)')).toBe("'@SUM(1)");
    expect(csvEscape('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvEscape('\tx')).toBe("'\tx");
    expect(csvEscape('\rx')).toBe(`"'\rx"`);
  });

  it('writes numbers and booleans as they are: they are not text a spreadsheet could run', () => {
    expect(csvLine([-5, -0.25, +1, true, 10n])).toBe('-5,-0.25,1,true,10\r\n');
  });

  it('leaves other text alone', () => {
    for (const text of ['plain', ' =not first', '', "'quoted", "it's", "'"]) expect(csvEscape(text)).toBe(text);
  });

  it('guards text that already starts with apostrophes before a formula character, so the guard can be undone', () => {
    expect(withFormulaGuard("'=1")).toBe("''=1");
    expect(withoutFormulaGuard("''=1")).toBe("'=1");
    expect(withoutFormulaGuard("'plain")).toBe("'plain");
  });

  it('gives back exactly the original text when undone, for any text', () => {
    const text = fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', 'a', ' ', '"', ',') });
    fc.assert(fc.property(text, (value) => withoutFormulaGuard(withFormulaGuard(value)) === value));
    fc.assert(fc.property(text, (value) => withoutFormulaGuard(parseCsv(csvLine([value]))[0][0]) === value));
  });
});

describe('prefersCsv', () => {
  it('chooses CSV when text/csv is asked for above JSON', () => {
    expect(prefersCsv('text/csv')).toBe(true);
    expect(prefersCsv('text/csv, */*;q=0.1')).toBe(true);
    expect(prefersCsv('application/json;q=0.5, TEXT/CSV')).toBe(true);
  });

  it('keeps JSON by default, on ties and when CSV is refused', () => {
    expect(prefersCsv(undefined)).toBe(false);
    expect(prefersCsv('*/*')).toBe(false);
    expect(prefersCsv('application/json, text/csv')).toBe(false);
    expect(prefersCsv('text/csv;q=0')).toBe(false);
    expect(prefersCsv('text/csv;q=nonsense')).toBe(false);
  });
});
