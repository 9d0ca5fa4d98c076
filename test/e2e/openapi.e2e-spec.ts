import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenApiContract } from '@backlot/testing/openapi-contract';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

describe('OpenAPI document', () => {
  let t: TestApp;
  let document: OpenAPIObject;

  beforeAll(async () => {
    t = await startTestApp();
    document = (await (await t.request('/docs-json')).json()) as OpenAPIObject;
  });
  afterAll(() => t?.close());

  it('is a valid OpenAPI 3 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\./);
  });

  it('matches the committed openapi.json (run `npm run openapi` after changing routes or DTOs)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8')) as OpenAPIObject;
    expect(document).toEqual(committed);
  });

  it('declares the security schemes API consumers use', () => {
    expect(Object.keys(document.components?.securitySchemes ?? {})).toEqual(expect.arrayContaining(['bearer', 'apiKey', 'metricsToken']));
  });

  it('gives every operation an id, a summary and documented responses', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(
        item as Record<string, { operationId?: string; summary?: string; responses?: object }>,
      )) {
        expect({ path, method, operationId: operation.operationId, summary: Boolean(operation.summary) }).toEqual({
          path,
          method,
          operationId: expect.any(String),
          summary: true,
        });
        expect(Object.keys(operation.responses ?? {}).length).toBeGreaterThan(0);
      }
    }
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await t.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('swagger');
  });

  it('describes the responses the app actually sends', async () => {
    const contract = new OpenApiContract(document);
    const calls: [string, string, RequestInit?][] = [
      ['GET', '/api/v1/health/live'],
      ['GET', '/api/v1/health/ready'],
      ['GET', '/metrics'],
    ];
    for (const [method, path, init] of calls) {
      const res = await t.request(path, { method, ...init });
      expect({ path, problems: await contract.check(method, path, res) }).toEqual({ path, problems: [] });
    }
  });
});
