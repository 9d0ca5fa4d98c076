import { ProblemError } from '@backlot/client';
import { describe } from '../../api';

export const FIELD_TYPES = [
  'text',
  'number',
  'integer',
  'boolean',
  'datetime',
  'email',
  'url',
  'select',
  'json',
  'relation',
  'user',
  'file',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** One field as the API defines it (docs/data-and-rules.md#fields). */
export interface FieldDefinition {
  name: string;
  type: FieldType;
  /** In a schema change: the field this one renames. */
  from?: string;
  required?: boolean;
  default?: unknown;
  min?: number | string;
  max?: number | string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  values?: string[];
  multiple?: boolean;
  collection?: string;
  onDelete?: 'cascade' | 'setNull' | 'restrict';
  unique?: boolean;
  indexed?: boolean;
  hidden?: boolean;
  encrypted?: boolean;
  searchable?: boolean;
  maxFiles?: number;
  maxSize?: number;
  mimeTypes?: string[];
  thumbs?: string[];
  protected?: boolean;
}

export const RULE_ACTIONS = ['list', 'view', 'create', 'update', 'delete'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];
/** null: admins only; '': anyone; otherwise a filter-language condition. */
export type Rules = Record<RuleAction, string | null>;

export interface CollectionInfo {
  id: string;
  name: string;
  description: string;
  fields: FieldDefinition[];
  rules?: Partial<Rules>;
  options?: Record<string, unknown>;
  version: number;
}

/** What a refused request says, sorted for a form: messages by path, positions of expression errors, and the rest. */
export interface Refusal {
  /** The problem's detail, or the error's message. */
  text: string;
  byPath: Record<string, string>;
  positions: Record<string, number>;
  /** A schema change the stored records cannot satisfy (409): the field and how many records stand in the way. */
  conflict?: { field?: string; records?: number };
}

export function refusalOf(error: unknown): Refusal {
  const refusal: Refusal = { text: describe(error), byPath: {}, positions: {} };
  if (!(error instanceof ProblemError)) return refusal;
  refusal.text = error.detail;
  for (const problem of error.errors as { path: string; message: string; position?: number }[]) {
    refusal.byPath[problem.path] = refusal.byPath[problem.path] ? `${refusal.byPath[problem.path]}; ${problem.message}` : problem.message;
    if (typeof problem.position === 'number') refusal.positions[problem.path] = problem.position;
  }
  const body = error.body as { field?: unknown; records?: unknown };
  if (error.status === 409 && (typeof body.field === 'string' || typeof body.records === 'number'))
    refusal.conflict = {
      field: typeof body.field === 'string' ? body.field : undefined,
      records: typeof body.records === 'number' ? body.records : undefined,
    };
  return refusal;
}

/** The messages of `refusal` under `prefix` (`fields.2`), keyed by what follows it (`min`), '' for the prefix itself. */
export function under(refusal: Refusal | null, prefix: string): Record<string, string> {
  const found: Record<string, string> = {};
  if (!refusal) return found;
  for (const [path, message] of Object.entries(refusal.byPath)) {
    if (path === prefix) found[''] = message;
    else if (path.startsWith(`${prefix}.`)) found[path.slice(prefix.length + 1)] = message;
  }
  return found;
}

/** Which options apply to a type (the API refuses the others with "applies to … fields only"). */
export function optionsOf(type: FieldType, multiple: boolean) {
  const textual = type === 'text' || type === 'email' || type === 'url';
  return {
    bounds: type === 'number' || type === 'integer' || type === 'datetime',
    lengths: textual,
    pattern: type === 'text',
    values: type === 'select',
    multiple: type === 'select' || type === 'relation' || type === 'file',
    relation: type === 'relation',
    file: type === 'file',
    searchable: type === 'text',
    encrypted: textual || type === 'json',
    indexable: type !== 'json' && type !== 'file' && !multiple,
    defaultable: type !== 'file',
  };
}

/** A field's options besides name, type and required, in words (for the fields table). */
export function optionSummary(field: FieldDefinition): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(field)) {
    if (key === 'name' || key === 'type' || key === 'required' || value === undefined || value === false) continue;
    parts.push(value === true ? key : `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return parts.join(', ');
}
