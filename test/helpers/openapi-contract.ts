import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * Checks a live response against the operation the OpenAPI document declares for it:
 * the status must be documented, with the response's content type, and the body must
 * validate against the schema (components resolved).
 */
export class OpenApiContract {
  private readonly ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(private readonly document: OpenAPIObject) {
    this.ajv.addSchema({ components: document.components ?? {} }, 'openapi');
  }

  async check(method: string, path: string, response: Response): Promise<string[]> {
    const operation = this.operation(method, path);
    if (!operation) return [`${method} ${path} is not in the document`];
    const declared = operation.responses?.[String(response.status)] as { content?: Record<string, { schema?: object }> } | undefined;
    if (!declared) return [`${method} ${path}: status ${response.status} is not documented`];
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0];
    // An answer without a body (204, 304) matches a declaration without content.
    if (!mediaType && !declared.content && (await response.clone().text()) === '') return [];
    const content = declared.content?.[mediaType];
    if (!content) return [`${method} ${path} ${response.status}: content type ${mediaType} is not documented`];
    if (!mediaType.includes('json') || !content.schema) return [];
    const body: unknown = await response.clone().json();
    const validate = this.compile(JSON.stringify(content.schema));
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
  }

  private operation(method: string, path: string): { responses?: Record<string, unknown> } | undefined {
    for (const [template, item] of Object.entries(this.document.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (pattern.test(path)) return (item as Record<string, { responses?: Record<string, unknown> }>)[method.toLowerCase()];
    }
    return undefined;
  }

  private compile(schema: string): ValidateFunction {
    let validate = this.cache.get(schema);
    if (!validate) {
      // Rewrite local refs so they resolve inside the registered "openapi" schema.
      validate = this.ajv.compile(JSON.parse(schema.replaceAll('"#/components/', '"openapi#/components/')) as object);
      this.cache.set(schema, validate);
    }
    return validate;
  }
}
