import { PayloadTooLarge } from '@backlot/http';
import type { Line } from './line-reader';

/** A CSV record: the physical line it starts on, and its text (several lines when a quoted cell holds line breaks). */
export interface CsvRecord {
  line: number;
  text: string;
}

/** A record that is not well-formed CSV (reported for its line, the import goes on). */
export class CsvError extends Error {}

/**
 * Joins physical lines into CSV records: a line that leaves a quoted cell open continues
 * on the next one, with its line break kept in the cell. Blank lines are skipped.
 */
export async function* readCsvRecords(lines: AsyncIterable<Line>, maxRecordBytes: number): AsyncGenerator<CsvRecord> {
  let parts: string[] = [];
  let start = 0;
  let bytes = 0;
  let open = false;
  for await (const line of lines) {
    if (parts.length === 0) start = line.number;
    parts.push(line.text);
    bytes += line.bytes;
    open = endsInsideQuotes(line.text, open);
    if (open && line.ending !== '') {
      if (bytes > maxRecordBytes)
        throw new PayloadTooLarge(`The CSV record starting on line ${start} is longer than ${maxRecordBytes} bytes.`);
      parts.push(line.ending);
      continue;
    }
    const text = parts.join('');
    parts = [];
    bytes = 0;
    open = false;
    if (text.trim() !== '') yield { line: start, text };
  }
}

/** The cells of one record (RFC 4180; a quote inside an unquoted cell or text after a closing quote is an error). */
export function parseCsvRecord(text: string): string[] {
  const cells: string[] = [];
  let at = 0;
  for (;;) {
    if (text[at] === '"') {
      let value = '';
      at += 1;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote === -1) throw new CsvError(`cell ${cells.length + 1} opens a quote that is never closed`);
        value += text.slice(at, quote);
        at = quote + 1;
        if (text[at] !== '"') break;
        value += '"';
        at += 1;
      }
      cells.push(value);
      if (at === text.length) return cells;
      if (text[at] !== ',') throw new CsvError(`cell ${cells.length} has text after its closing quote`);
      at += 1;
    } else {
      const comma = text.indexOf(',', at);
      const value = text.slice(at, comma === -1 ? text.length : comma);
      if (value.includes('"'))
        throw new CsvError(`cell ${cells.length + 1} has a quote but is not quoted (quote the cell and double the quote)`);
      cells.push(value);
      if (comma === -1) return cells;
      at = comma + 1;
    }
  }
}

/** Whether a quoted cell is still open at the end of `text` (a quote opens a cell only at its start, as in RFC 4180). */
function endsInsideQuotes(text: string, quoted: boolean): boolean {
  if (!quoted && !text.includes('"')) return false;
  let cellStart = !quoted;
  for (let at = 0; at < text.length; at += 1) {
    const char = text[at];
    if (quoted) {
      if (char !== '"') continue;
      if (text[at + 1] === '"') at += 1;
      else quoted = false;
    } else {
      quoted = char === '"' && cellStart;
      cellStart = char === ',';
    }
  }
  return quoted;
}
