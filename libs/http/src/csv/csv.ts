/** The media type of every CSV response (RFC 4180 registers `text/csv`; our text is always UTF-8). */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a double quote or a line break,
 * with inner quotes doubled. null and undefined are empty fields; dates are ISO-8601 UTC;
 * objects and arrays are their JSON text, so nothing is lost to `[object Object]`.
 */
export function csvEscape(value: unknown): string {
  const text = csvText(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One CSV record, terminated by CRLF as RFC 4180 asks: concatenating lines (or writing them
 * one by one to a stream) gives a well-formed document.
 */
export function csvLine(values: unknown[]): string {
  return `${values.map(csvEscape).join(',')}\r\n`;
}

/**
 * A text cell a spreadsheet will not run: one that starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return gets a leading apostrophe (OWASP's CSV-injection advice). For exports of
 * text that outsiders write (the audit log's user agents), not for data meant to round-trip.
 */
export function spreadsheetSafe(value: unknown): unknown {
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
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
