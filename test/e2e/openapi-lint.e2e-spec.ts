import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { API_KEY_SCOPES } from '@backlot/security';
import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import { signedInUser } from '@backlot/testing/auth';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

const ROOT = resolve(__dirname, '../..');

/** The linters CI runs on openapi.json (redocly.yaml, .spectral.yaml), each failing on warnings too. */
type Linter = 'redocly' | 'spectral';
const LINTERS: Record<Linter, (file: string) => [bin: string, args: string[]]> = {
  redocly: (file: string) => ['redocly', ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'stylish']],
  spectral: (file: string) => ['spectral', ['lint', file, '--ruleset', join(ROOT, '.spectral.yaml'), '--fail-severity=warn']],
};

/** A linter's findings on a document, or '' when it lints clean. */
async function lint(linter: Linter, document: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, document);
    const [bin, args] = LINTERS[linter](file);
    await promisify(execFile)(join(ROOT, 'node_modules/.bin', bin), args, {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    return '';
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return `${failed.stdout ?? ''}${failed.stderr ?? ''}` || failed.message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('OpenAPI: the served document lints clean (Redocly strict, Spectral oas), collections included', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await signedInUser(t, { role: 'admin' });
    const define = (name: string, fields: Record<string, unknown>[]) =>
      admin.json('POST', '/collections', { name, fields, rules: OWNER_ONLY_RULES });
    expect((await define('authors', [{ name: 'name', type: 'text', required: true }])).status).toBe(201);
    const everyType = await define('articles', [
      { name: 'title', type: 'text', required: true, maxLength: 200, searchable: true },
      { name: 'score', type: 'number', min: 0 },
      { name: 'pages', type: 'integer' },
      { name: 'published', type: 'boolean' },
      { name: 'due', type: 'datetime' },
      { name: 'contact', type: 'email' },
      { name: 'link', type: 'url' },
      { name: 'status', type: 'select', values: ['draft', 'live'] },
      { name: 'labels', type: 'select', values: ['a', 'b'], multiple: true },
      { name: 'meta', type: 'json' },
      { name: 'author', type: 'relation', collection: 'authors' },
      { name: 'editors', type: 'relation', collection: 'authors', multiple: true },
      { name: 'reviewer', type: 'user' },
      { name: 'cover', type: 'file', mimeTypes: ['image/*'], thumbs: ['100x100'], protected: true },
      { name: 'attachments', type: 'file', multiple: true, maxFiles: 5 },
      { name: 'secret', type: 'text', hidden: true },
    ]);
    expect(everyType.status).toBe(201);
  });
  afterAll(() => t.close());

  it.each(Object.keys(LINTERS) as Linter[])('has no errors and no warnings (%s)', async (linter) => {
    const document = await (await t.request('/docs-json')).text();
    expect(document).toContain('"/api/v1/collections/articles/records"');
    expect(await lint(linter, document)).toBe('');
  });

  it('would say so if it did not (an operation without responses, or without a description, fails the lint)', async () => {
    const broken = JSON.parse(await (await t.request('/docs-json')).text()) as {
      paths: Record<string, Record<string, { responses?: unknown; description?: string }>>;
    };
    delete broken.paths['/api/v1/health/live'].get.responses;
    delete broken.paths['/api/v1/collections/articles/records'].get.description;
    expect(await lint('redocly', JSON.stringify(broken))).toMatch(/responses/);
    expect(await lint('spectral', JSON.stringify(broken))).toMatch(/operation-description/);
  });

  it('names API key scopes in an extension, never as scopes of the apiKey requirement (OpenAPI 3.0 allows those only for OAuth2)', async () => {
    const document = (await (await t.request('/docs-json')).json()) as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; 'x-required-scopes'?: string[] }>>;
    };
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    const forKeys = operations.filter((operation) => operation.security?.some((requirement) => 'apiKey' in requirement));
    expect(forKeys.length).toBeGreaterThan(10);
    for (const operation of forKeys) {
      expect(operation.security!.find((requirement) => 'apiKey' in requirement)).toEqual({ apiKey: [] });
      expect(operation['x-required-scopes']).toHaveLength(1);
      expect(Object.keys(API_KEY_SCOPES)).toContain(operation['x-required-scopes']![0]);
    }
  });
});
