import { FIELD_NAME, type FilterField } from '../query/filter-fields';
import { FILE_OPTIONS, fileFieldProblems } from './file-field-options';

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

/** One field of a collection, as an admin defines it. */
export interface FieldDefinition {
  name: string;
  type: FieldType;
  required?: boolean;
  default?: unknown;
  /** number, integer: value bounds; datetime: ISO bounds. */
  min?: number | string;
  max?: number | string;
  /** text, email, url: length bounds (characters). */
  minLength?: number;
  maxLength?: number;
  /** text: a regular expression the whole value must match. */
  pattern?: string;
  /** select: the allowed values. */
  values?: string[];
  /** select, relation, file: a list of values instead of one. */
  multiple?: boolean;
  /** relation: the target collection. */
  collection?: string;
  onDelete?: 'cascade' | 'setNull' | 'restrict';
  unique?: boolean;
  indexed?: boolean;
  hidden?: boolean;
  encrypted?: boolean;
  searchable?: boolean;
  /** file (multiple): the most files the field holds. */
  maxFiles?: number;
  /** file: the largest file, in bytes (never above STORAGE_MAX_FILE_BYTES). */
  maxSize?: number;
  /** file: the media types allowed, exact (`image/png`) or by kind (`image/*`), checked against the bytes. */
  mimeTypes?: string[];
  /** file: the thumbnail sizes that may be asked for, `WxH` (`100x100`; a 0 keeps the aspect ratio: `480x0`). */
  thumbs?: string[];
  /** file: downloads need a file token (a signed, short-lived grant) as well as the view rule. */
  protected?: boolean;
}

// System fields and words of the filter language cannot name a field.
const RESERVED = new Set(['id', 'owner', 'created', 'updated', 'version', 'deleted', 'expand', 'true', 'false', 'null', 'in', 'not']);
const TEXTUAL = new Set<FieldType>(['text', 'email', 'url']);
const MAX_TEXT_LENGTH = 1_000_000;
const MAX_PATTERN_LENGTH = 200;
export const MAX_FIELDS = 100;

export interface DefinitionProblem {
  path: string;
  code: string;
  message: string;
}

/** Every problem of a field list at once (for a 400 with all paths), or an empty list. */
export function checkFieldDefinitions(fields: readonly FieldDefinition[]): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const fail = (index: number, key: string, code: string, message: string) =>
    problems.push({ path: `fields.${index}${key ? `.${key}` : ''}`, code, message });
  if (fields.length > MAX_FIELDS)
    problems.push({ path: 'fields', code: 'tooMany', message: `a collection has at most ${MAX_FIELDS} fields` });
  const seen = new Set<string>();
  fields.forEach((field, index) => {
    if (!FIELD_NAME.test(field.name))
      fail(index, 'name', 'invalidName', 'name must be lower-case letters, digits and _, starting with a letter (max 63)');
    else if (RESERVED.has(field.name)) fail(index, 'name', 'reservedName', `${field.name} is reserved`);
    else if (seen.has(field.name)) fail(index, 'name', 'duplicateName', `${field.name} is defined twice`);
    seen.add(field.name);
    if (!FIELD_TYPES.includes(field.type)) return fail(index, 'type', 'invalidType', `type must be one of ${FIELD_TYPES.join(', ')}`);
    const only = (key: keyof FieldDefinition, allowed: boolean, what: string) => {
      if (field[key] !== undefined && !allowed) fail(index, key, 'notApplicable', `${key} applies to ${what} fields only`);
    };
    const numeric = field.type === 'number' || field.type === 'integer';
    only('min', numeric || field.type === 'datetime', 'number, integer and datetime');
    only('max', numeric || field.type === 'datetime', 'number, integer and datetime');
    only('minLength', TEXTUAL.has(field.type), 'text, email and url');
    only('maxLength', TEXTUAL.has(field.type), 'text, email and url');
    only('pattern', field.type === 'text', 'text');
    only('values', field.type === 'select', 'select');
    only('multiple', field.type === 'select' || field.type === 'relation' || field.type === 'file', 'select, relation and file');
    for (const key of FILE_OPTIONS) only(key, field.type === 'file', 'file');
    if (field.type === 'file') problems.push(...fileFieldProblems(field, `fields.${index}`));
    only('collection', field.type === 'relation', 'relation');
    only('onDelete', field.type === 'relation', 'relation');
    only('searchable', field.type === 'text', 'text');
    if (
      field.type === 'select' &&
      (!Array.isArray(field.values) || field.values.length === 0 || new Set(field.values).size !== field.values.length)
    ) {
      fail(index, 'values', 'required', 'a select field needs a list of distinct values');
    }
    if (field.type === 'relation' && (typeof field.collection !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(field.collection))) {
      fail(index, 'collection', 'required', 'a relation field names its target collection');
    }
    for (const key of ['minLength', 'maxLength'] as const) {
      const value = field[key];
      if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > MAX_TEXT_LENGTH))
        fail(index, key, 'outOfRange', `${key} must be an integer from 0 to ${MAX_TEXT_LENGTH}`);
    }
    if (field.minLength !== undefined && field.maxLength !== undefined && field.minLength > field.maxLength)
      fail(index, 'minLength', 'outOfRange', 'minLength is above maxLength');
    if (field.pattern !== undefined) {
      if (typeof field.pattern !== 'string' || field.pattern.length > MAX_PATTERN_LENGTH)
        fail(index, 'pattern', 'invalid', `pattern must be at most ${MAX_PATTERN_LENGTH} characters`);
      else if (!compiles(field.pattern)) fail(index, 'pattern', 'invalid', 'pattern is not a valid regular expression');
    }
    if (numeric) {
      for (const key of ['min', 'max'] as const)
        if (field[key] !== undefined && !Number.isFinite(field[key])) fail(index, key, 'invalid', `${key} must be a finite number`);
      if (typeof field.min === 'number' && typeof field.max === 'number' && field.min > field.max)
        fail(index, 'min', 'outOfRange', 'min is above max');
    }
    if (field.type === 'datetime') {
      for (const key of ['min', 'max'] as const)
        if (field[key] !== undefined && (typeof field[key] !== 'string' || Number.isNaN(Date.parse(field[key] as string))))
          fail(index, key, 'invalid', `${key} must be an ISO 8601 date`);
    }
    if (field.encrypted) {
      if (!TEXTUAL.has(field.type) && field.type !== 'json')
        fail(index, 'encrypted', 'notApplicable', 'only text, email, url and json fields can be encrypted');
      for (const key of ['unique', 'indexed', 'searchable'] as const)
        if (field[key]) fail(index, key, 'conflict', `an encrypted field cannot be ${key}: its plaintext is not in the database`);
    }
    // The search vector is readable by anyone who may list: a hidden value in it could be found by guessing words.
    if (field.hidden && field.searchable)
      fail(index, 'searchable', 'conflict', `${field.name} is hidden: making it searchable would reveal its values`);
    if ((field.unique || field.indexed) && (field.type === 'json' || field.multiple))
      fail(index, field.unique ? 'unique' : 'indexed', 'notApplicable', 'json and multi-value fields cannot be unique or indexed');
  });
  return problems;
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/**
 * The fields whose text feeds full-text search. Hidden fields never do, whatever a definition
 * says (one stored before hidden + searchable was refused, or restored from an old backup).
 */
export function searchableFields(fields: readonly FieldDefinition[]): FieldDefinition[] {
  return fields.filter((field) => field.searchable && !field.hidden);
}

/** How the filter compiler sees a field. */
export function toFilterField(field: FieldDefinition): FilterField {
  // A file field holds metadata objects: only `= null` / `!= null` mean anything in a filter.
  if (field.type === 'file') return { name: field.name, type: 'json', hidden: field.hidden };
  const type = field.multiple
    ? 'multi'
    : field.type === 'number' || field.type === 'integer'
      ? 'number'
      : field.type === 'boolean' || field.type === 'datetime' || field.type === 'json'
        ? field.type
        : 'text';
  return { name: field.name, type, hidden: field.hidden, encrypted: field.encrypted };
}
