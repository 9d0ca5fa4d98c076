import type { OpenAPIObject } from '@nestjs/swagger';

/** A JSON Schema as the document holds it (only what the abuse suite reads). */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  additionalProperties?: boolean | Schema;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

/** One operation of the document, flattened for the walk. */
export interface Operation {
  method: string;
  /** The template, e.g. `/api/v1/collections/{name}/records/{id}`. */
  template: string;
  parameters: Parameter[];
  /** The JSON body's schema, components resolved at the top level. */
  body?: Schema;
  /** A body of another media type (import: NDJSON or CSV). */
  rawBodyTypes: string[];
  /** Whether a caller without credentials is refused: `security` lists requirements, none of them empty (`[]` is a public operation). */
  needsCredentials: boolean;
  admin: boolean;
  documentedStatuses: Set<number>;
}

/** Every operation of the document (static routes and each collection's own), in document order. */
export function operationsOf(document: OpenAPIObject): Operation[] {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(item as Record<string, Record<string, unknown>>)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const content = (raw.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content ?? {};
      const security = raw.security as Record<string, string[]>[] | undefined;
      operations.push({
        method: method.toUpperCase(),
        template,
        parameters: ((raw.parameters as Parameter[] | undefined) ?? []).map((p) => ({ ...p, schema: resolve(document, p.schema) })),
        body: content['application/json'] ? resolve(document, content['application/json'].schema) : undefined,
        rawBodyTypes: Object.keys(content).filter((type) => type !== 'application/json'),
        needsCredentials:
          security !== undefined && security.length > 0 && !security.some((requirement) => Object.keys(requirement).length === 0),
        admin: template.startsWith('/api/v1/admin/'),
        documentedStatuses: new Set(Object.keys((raw.responses as Record<string, unknown>) ?? {}).map(Number)),
      });
    }
  }
  return operations;
}

/** A schema with its `$ref`s and single-member `allOf`s replaced by what they point at (recursively, bounded). */
export function resolve(document: OpenAPIObject, schema: Schema | undefined, depth = 0): Schema | undefined {
  if (!schema || depth > 6) return schema;
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return resolve(document, (document.components?.schemas as Record<string, Schema>)[name], depth + 1);
  }
  if (schema.allOf?.length === 1) return resolve(document, { ...schema.allOf[0], ...schema, allOf: undefined }, depth + 1);
  const resolved: Schema = { ...schema };
  if (schema.properties)
    resolved.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, resolve(document, v, depth + 1)!]));
  if (schema.items) resolved.items = resolve(document, schema.items, depth + 1);
  return resolved;
}

/** The type a schema declares, when it declares exactly one. */
export function typeOf(schema: Schema | undefined): string | undefined {
  if (!schema) return undefined;
  if (Array.isArray(schema.type)) return schema.type.length === 1 ? schema.type[0] : undefined;
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  return undefined;
}
