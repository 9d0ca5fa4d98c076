import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema } from '../collections/collection-schema';
import type { FieldDefinition } from '../collections/field-definition';
import { type RecordMode, recordJsonSchema } from '../collections/record-validator';
import { toOpenApiSchema } from './json-schema-to-openapi';

type Operation = Record<string, unknown> & { parameters?: { in: string; name: string }[]; responses?: Record<string, unknown> };
type PathItem = Record<string, Operation>;

/**
 * The OpenAPI document as the live schema makes it: every collection gets concrete paths
 * (`/api/v1/collections/tasks/records`…) and typed schemas (`TasksRecord`, `TasksCreate`,
 * `TasksPatch`), built from the same JSON Schema the validator compiles. The result is
 * memoized per set of collection versions, so it is rebuilt only after a schema change.
 */
@Injectable()
export class CollectionOpenApi {
  private memo?: { key: string; document: OpenAPIObject };

  constructor(private readonly catalog: CollectionCatalog) {}

  async extend(base: OpenAPIObject): Promise<OpenAPIObject> {
    const collections = await this.catalog.all();
    const key = collections.map((c) => `${c.id}:${c.version}:${c.row.updatedAt}`).join(',');
    if (this.memo?.key === key) return this.memo.document;
    const document = structuredClone(base);
    const paths: OpenAPIObject['paths'] = {};
    const schemas = (document.components ??= {}).schemas ?? {};
    for (const collection of collections) {
      const typeName = pascal(collection.name);
      schemas[`${typeName}Record`] = recordSchema(collection);
      for (const mode of ['create', 'replace', 'patch'] as const)
        schemas[`${typeName}${MODE_SUFFIX[mode]}`] = inputSchema(collection, mode);
      schemas[`${typeName}Page`] = {
        type: 'object',
        required: ['items', 'nextCursor'],
        properties: {
          items: { type: 'array', items: { $ref: `#/components/schemas/${typeName}Record` } },
          nextCursor: { type: 'string', nullable: true },
          total: { type: 'number' },
        },
      };
      Object.assign(schemas, batchSchemas(typeName, schemas));
      Object.assign(paths, collectionPaths(collection, typeName, base.paths));
    }
    document.components.schemas = schemas;
    document.paths = { ...paths, ...document.paths };
    (document.tags ??= []).push(
      ...collections.map((c) => ({
        name: `collection: ${c.name}`,
        description: c.row.description || `Records of the ${c.name} collection.`,
      })),
    );
    this.memo = { key, document };
    return document;
  }
}

const MODE_SUFFIX: Record<RecordMode, string> = { create: 'Create', replace: 'Replace', patch: 'Patch' };

function recordSchema(collection: CollectionSchema): object {
  const visible = collection.row.fields.filter((field) => !field.hidden);
  const data = toOpenApiSchema(recordJsonSchema(visible, 'patch')) as { properties?: object };
  return {
    type: 'object',
    required: ['id', 'owner', 'version', 'created', 'updated'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      owner: { type: 'string', format: 'uuid', nullable: true },
      version: { type: 'integer', minimum: 1 },
      created: { type: 'string', format: 'date-time' },
      updated: { type: 'string', format: 'date-time' },
      deleted: { type: 'string', format: 'date-time' },
      ...data.properties,
      ...Object.fromEntries(
        visible.filter((field) => field.type === 'file').map((field) => [field.name, storedFileSchema(field.multiple)]),
      ),
      expand: { type: 'object', additionalProperties: true },
    },
  };
}

const STORED_FILE = {
  type: 'object',
  required: ['name', 'original', 'size', 'type', 'sha256', 'url'],
  properties: {
    name: { type: 'string', description: 'Unique stored name (use it to keep or remove the file in a write).' },
    original: { type: 'string', description: 'The name it was uploaded under.' },
    size: { type: 'integer' },
    type: { type: 'string', description: 'The media type its bytes were recognised as.' },
    sha256: { type: 'string' },
    url: { type: 'string', description: 'Download URL (the record’s view rule applies; `?thumb=WxH` for declared thumbnail sizes).' },
  },
};

function storedFileSchema(multiple: boolean | undefined): object {
  return multiple ? { type: 'array', items: STORED_FILE } : { ...STORED_FILE, nullable: true };
}

/** In JSON, a file field takes the stored names to keep (uploads come as multipart). */
function fileNamesSchema(field: FieldDefinition): object {
  const description = 'Names of stored files to keep, in order; null removes all. Upload files with multipart/form-data.';
  return field.multiple
    ? { type: 'array', items: { type: 'string' }, nullable: true, description }
    : { type: 'string', nullable: true, description };
}

/**
 * The multipart/form-data body of a write: record fields as form fields (or all of them as JSON
 * in `@json`), files as parts named after their field (`field+` adds to a multiple field,
 * `field-` names files to remove).
 */
function formSchema(collection: CollectionSchema, mode: RecordMode): object {
  const json = inputSchema(collection, mode) as { properties?: Record<string, object> };
  const properties: Record<string, object> = { '@json': { type: 'string', description: 'Record fields as one JSON object.' } };
  for (const field of collection.row.fields) {
    if (field.type !== 'file') {
      properties[field.name] = json.properties?.[field.name] ?? { type: 'string' };
      continue;
    }
    const binary = { type: 'string', format: 'binary' };
    properties[field.name] = field.multiple ? { type: 'array', items: binary } : binary;
    if (field.multiple) {
      properties[`${field.name}+`] = { type: 'array', items: binary, description: `Files added to ${field.name}.` };
      properties[`${field.name}-`] = { type: 'array', items: { type: 'string' }, description: `Stored names removed from ${field.name}.` };
    }
  }
  return { type: 'object', properties };
}

function inputSchema(collection: CollectionSchema, mode: RecordMode): object {
  const schema = toOpenApiSchema(recordJsonSchema(collection.row.fields, mode)) as { properties?: Record<string, Record<string, unknown>> };
  // Hidden fields can be written but are never returned.
  for (const name of collection.hidden) if (schema.properties?.[name]) schema.properties[name].writeOnly = true;
  for (const field of collection.row.fields)
    if (field.type === 'file' && schema.properties) {
      schema.properties[field.name] = fileNamesSchema(field) as Record<string, unknown>;
      if (field.multiple && mode === 'patch')
        schema.properties[`${field.name}-`] = {
          type: 'array',
          items: { type: 'string' },
          description: `Stored names removed from ${field.name}.`,
        };
    }
  return schema;
}

/** How a collection's copy of a generic record route is typed: its body, its success answer, and which write it is (for multipart). */
interface Typing {
  body?: string;
  ok?: [status: string, schema: string];
  mode?: RecordMode;
}

/**
 * Every record route a collection has (after `/api/v1/collections/{name}`), with the schemas
 * (suffixes of the collection's type name) its copy uses. Routes without typing keep the
 * generic bodies and answers: history data may hold values of fields since changed, exports
 * are streamed text, aggregates name their own columns.
 */
const RECORD_ROUTES: [suffix: string, method: string, id: string, typing: Typing][] = [
  ['/records', 'get', 'list', { ok: ['200', 'Page'] }],
  ['/records', 'post', 'create', { body: 'Create', ok: ['201', 'Record'], mode: 'create' }],
  ['/records/{id}', 'get', 'get', { ok: ['200', 'Record'] }],
  ['/records/{id}', 'put', 'replace', { body: 'Replace', ok: ['200', 'Record'], mode: 'replace' }],
  ['/records/{id}', 'patch', 'update', { body: 'Patch', ok: ['200', 'Record'], mode: 'patch' }],
  ['/records/{id}', 'delete', 'delete', {}],
  ['/records/{id}/history', 'get', 'history', {}],
  ['/records/{id}/history/{version}/restore', 'post', 'restoreRevision', { ok: ['200', 'Record'] }],
  ['/trash', 'get', 'trash', { ok: ['200', 'Page'] }],
  ['/trash/{id}/restore', 'post', 'untrash', { ok: ['200', 'Record'] }],
  ['/trash/{id}', 'delete', 'purge', {}],
  ['/batch', 'post', 'batch', { body: 'Batch', ok: ['200', 'BatchResults'] }],
  ['/export', 'get', 'export', {}],
  ['/import', 'post', 'import', {}],
  ['/aggregate', 'get', 'aggregate', {}],
];

/** Concrete paths for one collection, copies of the generic routes' parameters and responses so both stay in step. */
function collectionPaths(collection: CollectionSchema, typeName: string, generic: OpenAPIObject['paths']): Record<string, PathItem> {
  const ref = (suffix: string) => ({ $ref: `#/components/schemas/${typeName}${suffix}` });
  const hasFiles = collection.row.fields.some((field) => field.type === 'file');
  const paths: Record<string, PathItem> = {};
  for (const [suffix, method, id, typing] of RECORD_ROUTES) {
    const operation = (generic[`/api/v1/collections/{name}${suffix}`] as PathItem | undefined)?.[method];
    if (!operation) continue;
    const copy = structuredClone(operation);
    copy.operationId = `${collection.name}_${id}`;
    copy.tags = [`collection: ${collection.name}`];
    copy.parameters = (copy.parameters ?? []).filter((p) => !(p.in === 'path' && p.name === 'name'));
    if (typing.body) {
      const content: Record<string, object> = { 'application/json': { schema: ref(typing.body) } };
      if (typing.mode && hasFiles) content['multipart/form-data'] = { schema: formSchema(collection, typing.mode) };
      copy.requestBody = { required: true, content };
    }
    if (typing.ok) {
      const [status, schema] = typing.ok;
      copy.responses = { ...copy.responses, [status]: { description: 'OK', content: { 'application/json': { schema: ref(schema) } } } };
    }
    (paths[`/api/v1/collections/${collection.name}${suffix}`] ??= {})[method] = copy;
  }
  return paths;
}

/**
 * A batch of this collection's records: each operation's data typed for its action (create,
 * update = patch, replace), and each result's record as the collection's record.
 */
function batchSchemas(typeName: string, generic: Record<string, unknown>): Record<string, object> {
  const ref = (suffix: string) => ({ $ref: `#/components/schemas/${typeName}${suffix}` });
  const base = generic.BatchDto as { properties: { operations: object } } | undefined;
  const id = { type: 'string', format: 'uuid', description: 'The record.' };
  const ifMatch = { type: 'number', description: 'The version the record must be at (like If-Match).' };
  const operation = (action: string, extra: Record<string, object>, required: string[]) => ({
    type: 'object',
    required: ['action', ...required],
    properties: { action: { type: 'string', enum: [action] }, ...extra },
  });
  return {
    [`${typeName}Batch`]: {
      type: 'object',
      required: ['operations'],
      properties: {
        operations: {
          ...(base?.properties.operations ?? { type: 'array' }),
          items: {
            oneOf: [
              operation('create', { data: ref('Create') }, ['data']),
              operation('update', { id, data: ref('Patch'), ifMatch }, ['id', 'data']),
              operation('replace', { id, data: ref('Replace'), ifMatch }, ['id', 'data']),
              operation('delete', { id, ifMatch }, ['id']),
            ],
          },
        },
      },
    },
    [`${typeName}BatchResults`]: {
      type: 'object',
      required: ['results'],
      properties: {
        results: {
          type: 'array',
          items: {
            type: 'object',
            required: ['action', 'id'],
            properties: {
              action: { type: 'string', enum: ['create', 'update', 'replace', 'delete'] },
              id: { type: 'string', format: 'uuid' },
              record: ref('Record'),
            },
          },
        },
      },
    },
  };
}

function pascal(name: string): string {
  return name
    .split('_')
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}
