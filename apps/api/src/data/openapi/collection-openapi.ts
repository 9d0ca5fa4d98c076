import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { CollectionCatalog } from '../collections/collection-catalog';
import type { CollectionSchema } from '../collections/collection-schema';
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
      ...collections.map((c) => ({ name: `collection: ${c.name}`, description: c.row.description || undefined })),
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
      expand: { type: 'object', additionalProperties: true },
    },
  };
}

function inputSchema(collection: CollectionSchema, mode: RecordMode): object {
  const schema = toOpenApiSchema(recordJsonSchema(collection.row.fields, mode)) as { properties?: Record<string, Record<string, unknown>> };
  // Hidden fields can be written but are never returned.
  for (const name of collection.hidden) if (schema.properties?.[name]) schema.properties[name].writeOnly = true;
  return schema;
}

/** Concrete paths for one collection, reusing the generic routes' parameters and responses so both stay in step. */
function collectionPaths(collection: CollectionSchema, typeName: string, generic: OpenAPIObject['paths']): Record<string, PathItem> {
  const list = generic[GENERIC_LIST] as PathItem | undefined;
  const one = generic[GENERIC_ONE] as PathItem | undefined;
  if (!list || !one) return {};
  const ref = (suffix: string) => ({ $ref: `#/components/schemas/${typeName}${suffix}` });
  const tag = `collection: ${collection.name}`;
  const specialize = (
    operation: Operation | undefined,
    id: string,
    body?: object,
    ok?: { status: string; schema: object },
  ): Operation | undefined => {
    if (!operation) return undefined;
    const copy = structuredClone(operation);
    copy.operationId = `${collection.name}_${id}`;
    copy.tags = [tag];
    copy.parameters = (copy.parameters ?? []).filter((p) => !(p.in === 'path' && p.name === 'name'));
    if (body) copy.requestBody = { required: true, content: { 'application/json': { schema: body } } };
    if (ok)
      copy.responses = { ...copy.responses, [ok.status]: { description: 'OK', content: { 'application/json': { schema: ok.schema } } } };
    return copy;
  };
  const prune = (item: Record<string, Operation | undefined>): PathItem =>
    Object.fromEntries(Object.entries(item).filter((entry): entry is [string, Operation] => entry[1] !== undefined));
  return {
    [`/api/v1/collections/${collection.name}/records`]: prune({
      get: specialize(list.get, 'list', undefined, { status: '200', schema: ref('Page') }),
      post: specialize(list.post, 'create', ref('Create'), { status: '201', schema: ref('Record') }),
    }),
    [`/api/v1/collections/${collection.name}/records/{id}`]: prune({
      get: specialize(one.get, 'get', undefined, { status: '200', schema: ref('Record') }),
      put: specialize(one.put, 'replace', ref('Replace'), { status: '200', schema: ref('Record') }),
      patch: specialize(one.patch, 'update', ref('Patch'), { status: '200', schema: ref('Record') }),
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
