import { type FieldError, Unprocessable } from '@backlot/http';
import type { CollectionSchema } from '../collections/collection-schema';
import type { FieldDefinition } from '../collections/field-definition';
import { SYSTEM_VIEW_FIELDS } from '../records/record-view';
import { CsvError, parseCsvRecord, readCsvRecords } from './csv-reader';
import { fromCell } from './field-cells';
import type { Line } from './line-reader';

/** One record of an upload, before validation: its line and value, or why the line could not be read. */
export interface ImportEntry {
  line: number;
  value: unknown;
  problems: FieldError[];
}

/** What exports add around the fields; an import ignores them (new id, caller as owner, version 1). */
const SYSTEM_KEYS = new Set<string>([...SYSTEM_VIEW_FIELDS, 'deleted', 'expand']);

/** NDJSON: one JSON object per line; blank lines are skipped. */
export async function* ndjsonEntries(lines: AsyncIterable<Line>): AsyncGenerator<ImportEntry> {
  for await (const line of lines) {
    if (line.text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch (error) {
      yield { line: line.number, value: undefined, problems: [lineProblem('invalidJson', `not valid JSON: ${(error as Error).message}`)] };
      continue;
    }
    yield { line: line.number, value: withoutSystemKeys(value), problems: [] };
  }
}

/**
 * CSV: a header row of field names (system columns such as an export's id and owner are
 * ignored), then one record per row, each cell converted by its field's type.
 */
export async function* csvEntries(
  collection: CollectionSchema,
  lines: AsyncIterable<Line>,
  maxRecordBytes: number,
): AsyncGenerator<ImportEntry> {
  let columns: (FieldDefinition | undefined)[] | undefined;
  for await (const record of readCsvRecords(lines, maxRecordBytes)) {
    let cells: string[];
    try {
      cells = parseCsvRecord(record.text);
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      if (!columns)
        throw new Unprocessable(
          [{ path: `line ${record.line}`, code: 'malformedCsv', message: error.message }],
          'The CSV header row is malformed.',
        );
      yield { line: record.line, value: undefined, problems: [lineProblem('malformedCsv', error.message)] };
      continue;
    }
    if (!columns) {
      columns = headerColumns(collection, cells, record.line);
      continue;
    }
    if (cells.length !== columns.length) {
      yield {
        line: record.line,
        value: undefined,
        problems: [lineProblem('columnCount', `expected ${columns.length} cells, found ${cells.length}`)],
      };
      continue;
    }
    const value: Record<string, unknown> = {};
    const problems: FieldError[] = [];
    columns.forEach((field, index) => {
      if (!field) return;
      const cell = fromCell(field, cells[index]);
      if (cell.problem) problems.push(cell.problem);
      else if (cell.value !== undefined) value[field.name] = cell.value;
    });
    yield { line: record.line, value, problems };
  }
}

/** The field of each column (undefined: a system column, ignored); unknown or repeated names refuse the whole upload. */
function headerColumns(collection: CollectionSchema, names: string[], line: number): (FieldDefinition | undefined)[] {
  const problems: FieldError[] = [];
  const seen = new Set<string>();
  const columns = names.map((raw) => {
    const name = raw.trim();
    if (seen.has(name)) problems.push({ path: `line ${line}.${name}`, code: 'duplicateColumn', message: `column ${name} appears twice` });
    seen.add(name);
    if (SYSTEM_KEYS.has(name)) return undefined;
    const field = collection.fieldsByName.get(name);
    if (!field) problems.push({ path: `line ${line}.${name}`, code: 'unknownField', message: `${collection.name} has no field ${name}` });
    return field;
  });
  if (problems.length > 0) throw new Unprocessable(problems, 'The CSV header names columns the collection does not have.');
  return columns;
}

function withoutSystemKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !SYSTEM_KEYS.has(key)));
}

function lineProblem(code: string, message: string): FieldError {
  return { path: '(record)', code, message };
}
