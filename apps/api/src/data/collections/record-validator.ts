import type { FieldError } from '@backlot/http';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldDefinition } from './field-definition';
import { FILE_REF_SCHEMA } from '../files/file-ref';
import { MAX_FILES_PER_FIELD } from './file-field-options';

export type RecordMode = 'create' | 'replace' | 'patch';
type Schema = Record<string, unknown>;

const DEFAULT_TEXT_MAX = 10_000;
const MAX_RELATIONS = 1_000;

// One Ajv instance: compiled validators are cached per collection schema version by the caller.
const ajv = addFormats(new Ajv({ allErrors: true, strict: true, useDefaults: true, coerceTypes: false }), ['date-time', 'email', 'uri']);
// Ids only as the API writes them: ajv-formats' uuid also admits upper case and `urn:uuid:`,
// spellings the reference checks would not recognize (and so would let dangling ids through).
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/** The JSON Schema of a record's data: the validator uses it, and OpenAPI publishes it. */
export function recordJsonSchema(fields: readonly FieldDefinition[], mode: RecordMode): Schema {
  const properties: Record<string, Schema> = {};
  for (const field of fields) properties[field.name] = fieldSchema(field, mode !== 'patch');
  const required = mode === 'patch' ? [] : fields.filter((f) => f.required && f.default === undefined).map((f) => f.name);
  return { type: 'object', additionalProperties: false, properties, ...(required.length > 0 && { required }) };
}

function fieldSchema(field: FieldDefinition, withDefault: boolean): Schema {
  const schema = baseSchema(field);
  if (withDefault && field.default !== undefined) schema.default = field.default;
  if (field.required) return schema;
  // An optional field may be sent as null to clear it.
  if (Array.isArray(schema.enum)) return { ...schema, enum: [...(schema.enum as unknown[]), null] };
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  return schema;
}

function baseSchema(field: FieldDefinition): Schema {
  const text = (extra: Schema = {}): Schema => ({
    type: 'string',
    maxLength: field.maxLength ?? DEFAULT_TEXT_MAX,
    ...(field.minLength !== undefined && { minLength: field.minLength }),
    ...extra,
  });
  const list = (items: Schema, maxItems: number): Schema => ({ type: 'array', items, uniqueItems: true, maxItems });
  switch (field.type) {
    case 'text':
      return text(field.pattern ? { pattern: field.pattern } : {});
    case 'email':
      return text({ format: 'email', maxLength: Math.min(field.maxLength ?? 254, 254) });
    case 'url':
      return text({ format: 'uri', pattern: '^https?://', maxLength: field.maxLength ?? 2_048 });
    case 'number':
    case 'integer':
      return {
        type: field.type,
        minimum: typeof field.min === 'number' ? field.min : field.type === 'integer' ? Number.MIN_SAFE_INTEGER : -1e15,
        maximum: typeof field.max === 'number' ? field.max : field.type === 'integer' ? Number.MAX_SAFE_INTEGER : 1e15,
      };
    case 'boolean':
      return { type: 'boolean' };
    case 'datetime':
      return { type: 'string', format: 'date-time' };
    case 'select':
      return field.multiple ? list({ enum: field.values }, field.values?.length ?? 0) : { enum: field.values };
    case 'relation':
      return field.multiple ? list({ type: 'string', format: 'uuid' }, MAX_RELATIONS) : { type: 'string', format: 'uuid' };
    case 'user':
      return { type: 'string', format: 'uuid' };
    case 'json':
      return {};
    case 'file':
      // What a record holds once its files are stored (data/files): clients send files, not these.
      return field.multiple ? list(FILE_REF_SCHEMA as Schema, field.maxFiles ?? MAX_FILES_PER_FIELD) : { ...FILE_REF_SCHEMA };
  }
}

/**
 * Validates record data against a collection's fields (compiled once per schema), applies
 * defaults on create and replace, and normalizes datetimes to ISO-8601 UTC, the stored form the filter
 * compiler and the indexes rely on.
 */
export class RecordValidator {
  private readonly compiled = new Map<RecordMode, ValidateFunction>();
  private readonly datetimes: FieldDefinition[];

  constructor(private readonly fields: readonly FieldDefinition[]) {
    this.datetimes = fields.filter((field) => field.type === 'datetime');
  }

  validate(input: unknown, mode: RecordMode): { value: Record<string, unknown>; errors: FieldError[] } {
    const value = structuredClone(input) as Record<string, unknown>;
    const validate = this.validator(mode);
    if (!validate(value)) return { value, errors: (validate.errors ?? []).map(toFieldError) };
    const errors: FieldError[] = [];
    for (const field of this.datetimes) {
      const raw = value[field.name];
      if (typeof raw !== 'string') continue;
      const iso = new Date(raw).toISOString();
      value[field.name] = iso;
      if (typeof field.min === 'string' && iso < new Date(field.min).toISOString())
        errors.push({ path: field.name, code: 'minimum', message: `must be at or after ${field.min}` });
      if (typeof field.max === 'string' && iso > new Date(field.max).toISOString())
        errors.push({ path: field.name, code: 'maximum', message: `must be at or before ${field.max}` });
    }
    return { value, errors };
  }

  private validator(mode: RecordMode): ValidateFunction {
    let validate = this.compiled.get(mode);
    if (!validate) {
      validate = ajv.compile(recordJsonSchema(this.fields, mode));
      this.compiled.set(mode, validate);
    }
    return validate;
  }
}

function toFieldError(error: ErrorObject): FieldError {
  const path = error.instancePath.slice(1).replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { path: missing, code: 'required', message: `${missing} is required` };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { path: extra, code: 'unknownField', message: `${extra} is not a field of this collection` };
  }
  return { path: path || '(record)', code: error.keyword, message: `${path || 'the record'} ${error.message ?? 'is invalid'}` };
}
