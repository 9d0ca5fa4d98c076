import { type FieldDefinition, type FieldType, optionsOf } from './schema';

/** A field as its form holds it: text for every typed option, so a half-typed number stays as typed. */
export interface FieldDraft {
  name: string;
  type: FieldType;
  required: boolean;
  hidden: boolean;
  unique: boolean;
  indexed: boolean;
  searchable: boolean;
  encrypted: boolean;
  multiple: boolean;
  protected: boolean;
  min: string;
  max: string;
  minLength: string;
  maxLength: string;
  pattern: string;
  values: string;
  collection: string;
  onDelete: 'setNull' | 'cascade' | 'restrict';
  maxFiles: string;
  maxSize: string;
  mimeTypes: string;
  thumbs: string;
  default: string;
}

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
const list = (value: string[] | undefined) => (value ?? []).join(', ');

export function draftOf(field?: FieldDefinition): FieldDraft {
  return {
    name: field?.name ?? '',
    type: field?.type ?? 'text',
    required: field?.required === true,
    hidden: field?.hidden === true,
    unique: field?.unique === true,
    indexed: field?.indexed === true,
    searchable: field?.searchable === true,
    encrypted: field?.encrypted === true,
    multiple: field?.multiple === true,
    protected: field?.protected === true,
    min: text(field?.min),
    max: text(field?.max),
    minLength: text(field?.minLength),
    maxLength: text(field?.maxLength),
    pattern: field?.pattern ?? '',
    values: (field?.values ?? []).join('\n'),
    collection: field?.collection ?? '',
    onDelete: field?.onDelete ?? 'setNull',
    maxFiles: text(field?.maxFiles),
    maxSize: text(field?.maxSize),
    mimeTypes: list(field?.mimeTypes),
    thumbs: list(field?.thumbs),
    default: field?.default === undefined ? '' : typeof field.default === 'string' ? field.default : JSON.stringify(field.default),
  };
}

/**
 * The definition to send, with only the options that apply to its type; `problems` holds what
 * cannot even be sent (a default that is not JSON, a bound that is not a number), by option.
 */
export function fieldOf(draft: FieldDraft): { field: FieldDefinition; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const applies = optionsOf(draft.type, draft.multiple);
  const field: FieldDefinition = { name: draft.name.trim(), type: draft.type };
  const number = (key: keyof FieldDraft) => {
    const value = (draft[key] as string).trim();
    if (value === '') return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) problems[key] = `${key} must be a number`;
    return parsed;
  };
  const words = (value: string) =>
    value
      .split(/[\n,]/)
      .map((word) => word.trim())
      .filter(Boolean);
  if (draft.required) field.required = true;
  if (draft.hidden) field.hidden = true;
  if (applies.indexable && draft.unique) field.unique = true;
  if (applies.indexable && draft.indexed) field.indexed = true;
  if (applies.searchable && draft.searchable) field.searchable = true;
  if (applies.encrypted && draft.encrypted) field.encrypted = true;
  if (applies.multiple && draft.multiple) field.multiple = true;
  if (applies.bounds) {
    field.min = draft.type === 'datetime' ? draft.min.trim() || undefined : number('min');
    field.max = draft.type === 'datetime' ? draft.max.trim() || undefined : number('max');
  }
  if (applies.lengths) {
    field.minLength = number('minLength');
    field.maxLength = number('maxLength');
  }
  if (applies.pattern && draft.pattern !== '') field.pattern = draft.pattern;
  if (applies.values) field.values = words(draft.values);
  if (applies.relation) {
    field.collection = draft.collection;
    field.onDelete = draft.onDelete;
  }
  if (applies.file) {
    if (draft.multiple) field.maxFiles = number('maxFiles');
    field.maxSize = number('maxSize');
    if (draft.mimeTypes.trim()) field.mimeTypes = words(draft.mimeTypes);
    if (draft.thumbs.trim()) field.thumbs = words(draft.thumbs);
    if (draft.protected) field.protected = true;
  }
  if (applies.defaultable && draft.default !== '') field.default = defaultOf(draft, problems);
  for (const key of Object.keys(field) as (keyof FieldDefinition)[]) if (field[key] === undefined) delete field[key];
  return { field, problems };
}

/** The default as a value of the field's type: numbers, true/false, JSON, comma-separated lists for multi-value fields. */
function defaultOf(draft: FieldDraft, problems: Record<string, string>): unknown {
  const value = draft.default.trim();
  switch (draft.type) {
    case 'number':
    case 'integer':
      if (!Number.isFinite(Number(value))) problems.default = 'the default must be a number';
      return Number(value);
    case 'boolean':
      if (value !== 'true' && value !== 'false') problems.default = 'the default must be true or false';
      return value === 'true';
    case 'json':
      try {
        return JSON.parse(value) as unknown;
      } catch {
        problems.default = 'the default must be JSON';
        return undefined;
      }
    default:
      return draft.multiple
        ? value
            .split(',')
            .map((word) => word.trim())
            .filter(Boolean)
        : draft.default;
  }
}
