import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema } from '../collections/collection-schema';
import type { FieldDefinition } from '../collections/field-definition';
import { type RecordMode, recordJsonSchema } from '../collections/record-validator';
import { toOpenApiSchema } from './json-schema-to-openapi';

type Operation = Record<string, unknown> & { parameters?: { in: string; name: string }[]; responses?: Record<string, unknown> };
type PathItem = Record<string, Operation>;

const GENERIC_LIST = '/api/v1/collections/{name}/records';
const GENERIC_ONE = '/api/v1/collections/{name}/records/{id}';

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

/** Concrete paths for one collection, reusing the generic routes' parameters and responses so both stay in step. */
function collectionPaths(collection: CollectionSchema, typeName: string, generic: OpenAPIObject['paths']): Record<string, PathItem> {
  const list = generic[GENERIC_LIST] as PathItem | undefined;
  const one = generic[GENERIC_ONE] as PathItem | undefined;
  if (!list || !one) return {};
  const ref = (suffix: string) => ({ $ref: `#/components/schemas/${typeName}${suffix}` });
  const tag = `collection: ${collection.name}`;
  const hasFiles = collection.row.fields.some((field) => field.type === 'file');
  const specialize = (
    operation: Operation | undefined,
    id: string,
    body?: object,
    ok?: { status: string; schema: object },
    mode?: RecordMode,
  ): Operation | undefined => {
    if (!operation) return undefined;
    const copy = structuredClone(operation);
    copy.operationId = `${collection.name}_${id}`;
    copy.tags = [tag];
    copy.parameters = (copy.parameters ?? []).filter((p) => !(p.in === 'path' && p.name === 'name'));
    if (body) {
      const content: Record<string, object> = { 'application/json': { schema: body } };
      if (mode && hasFiles) content['multipart/form-data'] = { schema: formSchema(collection, mode) };
      copy.requestBody = { required: true, content };
    }
    if (ok)
      copy.responses = { ...copy.responses, [ok.status]: { description: 'OK', content: { 'application/json': { schema: ok.schema } } } };
    return copy;
  };
  const prune = (item: Record<string, Operation | undefined>): PathItem =>
    Object.fromEntries(Object.entries(item).filter((entry): entry is [string, Operation] => entry[1] !== undefined));
  return {
    [`/api/v1/collections/${collection.name}/records`]: prune({
      get: specialize(list.get, 'list', undefined, { status: '200', schema: ref('Page') }),
      post: specialize(list.post, 'create', ref('Create'), { status: '201', schema: ref('Record') }, 'create'),
    }),
    [`/api/v1/collections/${collection.name}/records/{id}`]: prune({
      get: specialize(one.get, 'get', undefined, { status: '200', schema: ref('Record') }),
      put: specialize(one.put, 'replace', ref('Replace'), { status: '200', schema: ref('Record') }, 'replace'),
      patch: specialize(one.patch, 'update', ref('Patch'), { status: '200', schema: ref('Record') }, 'patch'),
      delete: specialize(one.delete, 'delete'),
    }),
  };
}

function pascal(name: string): string {
  return name
    .split('_')
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}
