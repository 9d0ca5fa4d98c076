import { parseCsv } from '../../../../test/helpers/csv';
import { csvEscape, csvLine, prefersCsv, spreadsheetSafe } from './csv';

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

describe('spreadsheetSafe', () => {
  it('prefixes text that a spreadsheet would read as a formula with an apostrophe', () => {
    for (const text of ['=1+1', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) expect(spreadsheetSafe(text)).toBe(`'${text}`);
  });

  it('leaves other values alone', () => {
    for (const value of ['plain', ' =not first', '', 5, -5, null, undefined, true]) expect(spreadsheetSafe(value)).toBe(value);
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
