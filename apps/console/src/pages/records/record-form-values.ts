import { type FileParts, ProblemError, type RecordBase, type StoredFile } from '@backlot/client';

/** One field of a collection as GET /collections/{name} describes it (docs/data-and-rules.md). */
export interface Field {
  name: string;
  type: string;
  required?: boolean;
  hidden?: boolean;
  default?: unknown;
  values?: string[];
  multiple?: boolean;
  collection?: string;
  maxFiles?: number;
  searchable?: boolean;
}

export interface Schema {
  name: string;
  fields: Field[];
}

export type StoredRecord = RecordBase & Record<string, unknown>;

/** A file field being edited: the stored files kept, and the new ones picked to upload on save. */
export interface FileDraft {
  kept: StoredFile[];
  added: File[];
}

/**
 * What a field's control holds while the form is edited: text for text-like fields, datetime
 * (local time) and json; a number (NaN when empty); a boolean; a value or list of values for
 * select and relation; files for file fields.
 */
export type DraftValue = string | number | boolean | null | string[] | FileDraft;
export type Draft = Record<string, DraftValue>;

/** The fields a person edits: hidden ones are never shown (writes that leave them out keep them). */
export function shownFields(schema: Schema): Field[] {
  return schema.fields.filter((field) => !field.hidden);
}

const isList = (field: Field) => field.multiple === true && (field.type === 'select' || field.type === 'relation');

/** The form's starting values: the record's, or for a new record each field's default. */
export function toDraft(fields: Field[], record: StoredRecord | null): Draft {
  const draft: Draft = {};
  for (const field of fields) {
    const value = record ? record[field.name] : field.default;
    draft[field.name] = draftValue(field, value);
  }
  return draft;
}

function draftValue(field: Field, value: unknown): DraftValue {
  switch (field.type) {
    case 'number':
    case 'integer':
      return typeof value === 'number' ? value : NaN;
    case 'boolean':
      return value === true;
    case 'datetime':
      return typeof value === 'string' ? isoToLocal(value) : '';
    case 'json':
      return value === undefined || value === null ? '' : JSON.stringify(value, null, 2);
    case 'file':
      return { kept: value ? ([value].flat() as StoredFile[]) : [], added: [] };
    default:
      if (isList(field)) return Array.isArray(value) ? value.map(String) : [];
      if (field.type === 'select' || field.type === 'relation') return typeof value === 'string' ? value : null;
      return value === undefined || value === null ? '' : String(value);
  }
}

export interface Prepared {
  data: Record<string, unknown>;
  files: FileParts;
  /** Field name → what is wrong before anything is sent (JSON that does not parse, a date that is no date). */
  problems: Record<string, string>;
}

/**
 * The body of a save. A new record leaves empty fields out (their defaults apply); an edit (a
 * PATCH) sends only the fields changed since `loaded`, `null` for one emptied, and the file
 * changes: a field not touched is not rewritten (a datetime's milliseconds, say, stay).
 */
export function prepare(fields: Field[], draft: Draft, record: StoredRecord | null, loaded?: Draft): Prepared {
  const data: Record<string, unknown> = {};
  const files: FileParts = {};
  const problems: Record<string, string> = {};
  const empty = (name: string) => {
    if (record) data[name] = null;
  };
  for (const field of fields) {
    const value = draft[field.name];
    if (record && loaded && field.type !== 'file' && JSON.stringify(value) === JSON.stringify(loaded[field.name])) continue;
    switch (field.type) {
      case 'number':
      case 'integer':
        if (typeof value === 'number' && !Number.isNaN(value)) data[field.name] = value;
        else empty(field.name);
        break;
      case 'boolean':
        data[field.name] = value === true;
        break;
      case 'datetime': {
        const text = String(value ?? '');
        if (!text) empty(field.name);
        else {
          const time = new Date(text);
          if (Number.isNaN(time.getTime())) problems[field.name] = 'Not a date and time.';
          else data[field.name] = time.toISOString();
        }
        break;
      }
      case 'json': {
        const text = String(value ?? '').trim();
        if (!text) empty(field.name);
        else {
          const problem = jsonProblem(text);
          if (problem) problems[field.name] = problem;
          else data[field.name] = JSON.parse(text);
        }
        break;
      }
      case 'file':
        prepareFiles(field, value as FileDraft, record, data, files);
        break;
      default:
        if (isList(field)) data[field.name] = value;
        else if (value === null || value === '') empty(field.name);
        else data[field.name] = value;
    }
  }
  return { data, files, problems };
}

function prepareFiles(field: Field, value: FileDraft, record: StoredRecord | null, data: Record<string, unknown>, files: FileParts) {
  const stored = record?.[field.name] ? ([record[field.name]].flat() as StoredFile[]) : [];
  if (!record) {
    if (value.added.length > 0) files[field.name] = field.multiple ? value.added : value.added[0];
    return;
  }
  if (field.multiple) {
    // Keep only these (by stored name), then add the new ones after them.
    if (value.kept.length !== stored.length) data[field.name] = value.kept.map((file) => file.name);
    if (value.added.length > 0) files[`${field.name}+`] = value.added;
    return;
  }
  if (value.added.length > 0) files[field.name] = value.added[0];
  else if (value.kept.length === 0 && stored.length > 0) data[field.name] = null;
}

/** Where a JSON text is wrong, in words with line and column, or null when it parses. */
export function jsonProblem(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    if (!position) return `Not valid JSON: ${message}`;
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return `Not valid JSON at line ${line}, column ${column}: ${message.replace(/\s*\(line \d+ column \d+\)/, '')}`;
  }
}

/**
 * A refusal's field problems by field (`tags.1` belongs to `tags`), and what names no field
 * shown here, for the form's general message.
 */
export function fieldProblems(error: unknown, fields: Field[]): { byField: Record<string, string>; other: string[] } {
  const byField: Record<string, string> = {};
  const other: string[] = [];
  if (!(error instanceof ProblemError)) return { byField, other };
  const names = new Set(fields.map((field) => field.name));
  for (const problem of error.errors) {
    const name = problem.path.split(/[./[]/)[0].replace(/[+-]$/, '');
    if (names.has(name)) byField[name] = byField[name] ? `${byField[name]} ${problem.message}` : problem.message;
    else other.push(problem.path ? `${problem.path}: ${problem.message}` : problem.message);
  }
  return { byField, other };
}

/** An ISO time as a datetime-local input's value, in the browser's time zone. */
export function isoToLocal(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}` +
    `T${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}`
  );
}

/** A stored value as one line of text (for the history diff): files by their names, objects as JSON. */
export function asText(value: unknown): string {
  if (value === undefined || value === null) return '(empty)';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every(isStoredFile)) return value.map((file) => file.original).join(', ');
  if (isStoredFile(value)) return value.original;
  return JSON.stringify(value);
}

function isStoredFile(value: unknown): value is StoredFile {
  return typeof value === 'object' && value !== null && 'sha256' in value && 'original' in value;
}
