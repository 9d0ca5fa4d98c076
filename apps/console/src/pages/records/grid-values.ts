import type { CollectionInfo } from '../collections';

export type FieldInfo = CollectionInfo['fields'][number];

/** A record as the list routes return it: system fields and the selected data fields. */
export interface GridRecord {
  id: string;
  owner: string | null;
  version: number;
  created: string;
  updated: string;
  deleted?: string;
  [field: string]: unknown;
}

/** Columns every collection has besides its fields. */
export const SYSTEM_COLUMNS = ['id', 'owner', 'created', 'updated'] as const;

/** The longest text a cell shows; the rest is cut (the record's page shows all of it). */
const MAX_CELL = 120;

/** The fields a grid can show: hidden fields are never returned, so they have no column. */
export function shownFields(fields: FieldInfo[]): FieldInfo[] {
  return fields.filter((field) => !field.hidden);
}

/** The columns shown when the address chooses none: the first few fields, then when it was made. */
export function defaultColumns(fields: FieldInfo[]): string[] {
  return [
    ...shownFields(fields)
      .slice(0, 5)
      .map((field) => field.name),
    'created',
  ];
}

/** Whether the API sorts by this column (not files, JSON, lists or encrypted values). */
export function sortable(name: string, field: FieldInfo | undefined): boolean {
  if (!field) return (SYSTEM_COLUMNS as readonly string[]).includes(name);
  return !field.encrypted && !field.multiple && field.type !== 'json' && field.type !== 'file';
}

function cut(text: string): string {
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL)}…` : text;
}

/** A stored file's name as the operator uploaded it, or its stored name. */
function fileName(file: unknown): string {
  if (file && typeof file === 'object') {
    const { original, name } = file as { original?: unknown; name?: unknown };
    if (typeof original === 'string') return original;
    if (typeof name === 'string') return name;
  }
  return typeof file === 'string' ? file : '';
}

/**
 * A value as one line of plain text for a cell: files by name, relations by id, lists joined,
 * JSON cut short. The caller renders it as text, so a stored value never becomes markup.
 */
export function cellText(value: unknown, field: FieldInfo | undefined): string {
  if (value === null || value === undefined) return '';
  if (field?.type === 'file') return cut((Array.isArray(value) ? value : [value]).map(fileName).join(', '));
  if (field?.type === 'json') return cut(JSON.stringify(value));
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) return cut(value.map(String).join(', '));
  if (typeof value === 'object') return cut(JSON.stringify(value));
  return cut(String(value));
}
