import { types } from 'pg';

const TIMESTAMPTZ_OID = 1184;
const parseAnyTimestamptz = types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date | number | null;

/**
 * A timestamptz as PostgreSQL writes it for a UTC session ("2026-12-07 08:05:01.123456+00"),
 * read digit by digit, about 4× faster than pg's regular expression (a list reads two per
 * record). Every other shape (another time zone, years before 100 or after 9999, BC,
 * infinity) goes to pg's own parser.
 */
export function parseTimestamptz(text: string): Date | number | null {
  const length = text.length;
  if (length < 22 || length > 29 || text.charCodeAt(4) !== 45 || text.charCodeAt(10) !== 32 || !text.endsWith('+00'))
    return parseAnyTimestamptz(text);
  const year = digits(text, 0, 4);
  if (!(year >= 100)) return parseAnyTimestamptz(text);
  // The fraction has up to six digits; a Date keeps whole milliseconds (pg's parser truncates too).
  const fraction = Math.min(3, length - 23);
  const millis = fraction > 0 ? digits(text, 20, fraction) * (fraction === 1 ? 100 : fraction === 2 ? 10 : 1) : 0;
  const time = Date.UTC(
    year,
    digits(text, 5, 2) - 1,
    digits(text, 8, 2),
    digits(text, 11, 2),
    digits(text, 14, 2),
    digits(text, 17, 2),
    millis,
  );
  return Number.isNaN(time) ? parseAnyTimestamptz(text) : new Date(time);
}

/** The number written by `count` characters from `start`; NaN unless they are all digits. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** pg's type parsers for Backlot's own connections: its defaults, timestamptz read by parseTimestamptz. */
export const connectionTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ_OID && format !== 'binary' ? parseTimestamptz : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
};
