/** The media type of every CSV response (RFC 4180 registers `text/csv`; our text is always UTF-8). */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a double quote or a line break,
 * with inner quotes doubled. null and undefined are empty fields; dates are ISO-8601 UTC;
 * objects and arrays are their JSON text, so nothing is lost to `[object Object]`.
 * Text a spreadsheet would run as a formula is defused first (withFormulaGuard); numbers and
 * booleans are not text and are written as they are, so a -5 stays a number.
 */
export function csvEscape(value: unknown): string {
  const text = typeof value === 'string' ? withFormulaGuard(value) : csvText(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One CSV record, terminated by CRLF as RFC 4180 asks: concatenating lines (or writing them
 * one by one to a stream) gives a well-formed document. Every CSV the API writes is made of
 * these lines, so every export is defused the same way (csvEscape).
 */
export function csvLine(values: unknown[]): string {
  return `${values.map(csvEscape).join(',')}\r\n`;
}

// OWASP's CSV-injection list: a cell starting with one of these may run as a formula.
const GUARDED = /^'*[=+\-@\t\r]/;
const GUARD_ADDED = /^'+[=+\-@\t\r]/;

/**
 * Text a spreadsheet will not run: one that starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return gets a leading apostrophe (OWASP's advice). So does text that already starts with
 * apostrophes before one of those, which makes the guard reversible: withoutFormulaGuard
 * gives back exactly the original text, and an export imported again keeps its values.
 */
export function withFormulaGuard(text: string): string {
  return GUARDED.test(text) ? `'${text}` : text;
}

/** The text a CSV cell stood for before withFormulaGuard (imports read exports with it). */
export function withoutFormulaGuard(cell: string): string {
  return GUARD_ADDED.test(cell) ? cell.slice(1) : cell;
}

function csvText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value as number | boolean | bigint);
}

/**
 * Whether an Accept header asks for CSV rather than JSON: `text/csv` with a quality above
 * that of `application/json` (JSON wins ties, and is the default: no header, or only wildcards).
 */
export function prefersCsv(accept: string | undefined): boolean {
  const csv = acceptQuality(accept, 'text/csv');
  return csv > 0 && csv > acceptQuality(accept, 'application/json');
}

/** The q value an Accept header gives one exact media type (0 when it is not listed). */
export function acceptQuality(accept: string | undefined, mediaType: string): number {
  for (const range of (accept ?? '').split(',')) {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== mediaType) continue;
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    return Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
  }
  return 0;
}
