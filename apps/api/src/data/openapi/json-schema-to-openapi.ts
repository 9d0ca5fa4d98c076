/**
 * JSON Schema (as Ajv validates records) → OpenAPI 3.0 schema objects: `type: [t, 'null']`
 * becomes `nullable`, a null in an enum becomes `nullable`, and keywords 3.0 lacks are dropped.
 */
export function toOpenApiSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'type' && Array.isArray(value)) {
      const types = value.filter((t) => t !== 'null');
      if (types.length === 1) out.type = types[0];
      if (types.length !== value.length) out.nullable = true;
    } else if (key === 'enum' && Array.isArray(value)) {
      const values = value.filter((v) => v !== null);
      out.enum = values;
      if (values.length !== value.length) out.nullable = true;
    } else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [name, toOpenApiSchema(property as Record<string, unknown>)]),
      );
    } else if (key === 'items' && value && typeof value === 'object') {
      out.items = toOpenApiSchema(value as Record<string, unknown>);
    } else if (key !== '$schema' && key !== 'const') {
      out[key] = value;
    }
  }
  if (out.nullable && out.enum && !out.type) out.type = 'string';
  return out;
}
