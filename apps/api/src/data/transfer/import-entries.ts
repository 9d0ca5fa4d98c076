import { type FieldError, nestsDeeperThan, RECORD_JSON_MAX_DEPTH, Unprocessable } from '@backlot/http';
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
  /** The record's `id` and `owner` as the line gave them (an export's): kept only by imports with ids=keep. */
  system: { id?: unknown; owner?: unknown };
}

/** What exports add around the fields; an import ignores them (new id, caller as owner, version 1). */
const SYSTEM_KEYS = new Set<string>([...SYSTEM_VIEW_FIELDS, 'deleted', 'expand']);

/** NDJSON: one JSON object per line; blank lines are skipped. */
export async function* ndjsonEntries(lines: AsyncIterable<Line>): AsyncGenerator<ImportEntry> {
  for await (const line of lines) {
    if (line.text.trim() === '') continue;
    if (nestsDeeperThan(line.text, RECORD_JSON_MAX_DEPTH)) {
      const message = `nests deeper than ${RECORD_JSON_MAX_DEPTH} levels of arrays and objects`;
      yield { line: line.number, value: undefined, problems: [lineProblem('tooDeep', message)], system: {} };
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch (error) {
      const problem = lineProblem('invalidJson', `not valid JSON: ${(error as Error).message}`);
      yield { line: line.number, value: undefined, problems: [problem], system: {} };
      continue;
    }
    const { id, owner } = isObject(value) ? value : {};
    yield { line: line.number, value: withoutSystemKeys(value), problems: [], system: { id, owner } };
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
  let columns: Column[] | undefined;
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
      yield { line: record.line, value: undefined, problems: [lineProblem('malformedCsv', error.message)], system: {} };
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
        system: {},
      };
      continue;
    }
    const value: Record<string, unknown> = {};
    const system: ImportEntry['system'] = {};
    const problems: FieldError[] = [];
    columns.forEach((column, index) => {
      if (column === 'id' || column === 'owner') system[column] = cells[index] === '' ? undefined : cells[index];
      if (typeof column !== 'object') return;
      const cell = fromCell(column, cells[index]);
      if (cell.problem) problems.push(cell.problem);
      else if (cell.value !== undefined) value[column.name] = cell.value;
    });
    yield { line: record.line, value, problems, system };
  }
}

/** What a CSV column holds: a field, the record's id or owner, or another system column (ignored). */
type Column = FieldDefinition | 'id' | 'owner' | undefined;

/** The field of each column; unknown or repeated names refuse the whole upload. */
function headerColumns(collection: CollectionSchema, names: string[], line: number): Column[] {
  const problems: FieldError[] = [];
  const seen = new Set<string>();
  const columns = names.map((raw) => {
    const name = raw.trim();
    if (seen.has(name)) problems.push({ path: `line ${line}.${name}`, code: 'duplicateColumn', message: `column ${name} appears twice` });
    seen.add(name);
    if (name === 'id' || name === 'owner') return name;
    if (SYSTEM_KEYS.has(name)) return undefined;
    const field = collection.fieldsByName.get(name);
    if (!field) problems.push({ path: `line ${line}.${name}`, code: 'unknownField', message: `${collection.name} has no field ${name}` });
    return field;
  });
  if (problems.length > 0) throw new Unprocessable(problems, 'The CSV header names columns the collection does not have.');
  return columns;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutSystemKeys(value: unknown): unknown {
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !SYSTEM_KEYS.has(key)));
}

function lineProblem(code: string, message: string): FieldError {
  return { path: '(record)', code, message };
}
