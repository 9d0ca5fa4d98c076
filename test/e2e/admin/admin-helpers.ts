import type { ModuleMetadata } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { OpenApiContract } from '@backlot/testing/openapi-contract';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

export interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string; code: string; message: string }[];
}

export interface AuditEvent {
  id: string;
  at: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  userAgent?: string | null;
  details: Record<string, unknown> | null;
}

export interface AdminApp {
  t: TestApp;
  admin: UserSession;
  document: OpenAPIObject;
  contract: OpenApiContract;
  /** Fails the test when a response does not match the operation the document declares. */
  conforms(method: string, path: string, response: Response): Promise<Response>;
}

// Many sign-ins and requests per file: keep the rate limits out of the way.
export const ADMIN_TEST_ENV = { AUTH_RATE_LIMIT_MAX: '10000', RATE_LIMIT_MAX: '100000' };

export async function startAdminApp(
  options: { env?: Record<string, string>; imports?: NonNullable<ModuleMetadata['imports']> } = {},
): Promise<AdminApp> {
  const t = await startTestApp({ env: { ...ADMIN_TEST_ENV, ...options.env }, imports: options.imports });
  const admin = await signedInUser(t, { role: 'admin' });
  const document = await json<OpenAPIObject>(await t.request('/docs-json'));
  const contract = new OpenApiContract(document);
  return {
    t,
    admin,
    document,
    contract,
    conforms: async (method, path, response) => {
      const route = `/api/v1${path.split('?')[0]}`;
      // A 204 has no body and a file is not JSON (the contract would parse NDJSON as one document):
      // for those, the status and media type must be documented, that is all.
      const mediaType = (response.headers.get('content-type') ?? '').split(';')[0];
      const problems =
        response.status === 204 || !/^application\/(problem\+)?json$/.test(mediaType)
          ? undocumented(document, method, route, response.status, response.status === 204 ? undefined : mediaType)
          : await contract.check(method, route, response);
      expect({ method, path, problems }).toEqual({ method, path, problems: [] });
      return response;
    },
  };
}

/** Asserts a problem+json answer with this status and returns its body. */
export async function problem(response: Response, status: number): Promise<Problem> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(text).not.toMatch(/\n\s+at |node_modules|\.[jt]s:\d+/);
  const body = JSON.parse(text) as Problem;
  expect(body.status).toBe(status);
  return body;
}

/** The audit events matching `query` (an admin reads them through the API). */
export async function auditEvents(admin: UserSession, query: Record<string, string>): Promise<AuditEvent[]> {
  const response = await admin.request(`/admin/audit?${new URLSearchParams({ limit: '200', ...query }).toString()}`);
  expect(response.status).toBe(200);
  return (await json<{ items: AuditEvent[] }>(response)).items;
}

/** Waits for a condition that another part of the system brings about asynchronously. */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The document's operation for a concrete path (templates matched segment by segment). */
export function operationOf(document: OpenAPIObject, method: string, path: string): Record<string, unknown> | undefined {
  for (const [template, item] of Object.entries(document.paths)) {
    if (new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path))
      return (item as Record<string, Record<string, unknown>>)[method.toLowerCase()];
  }
  return undefined;
}

function undocumented(document: OpenAPIObject, method: string, path: string, status: number, mediaType?: string): string[] {
  const declared = (operationOf(document, method, path)?.responses as Record<string, { content?: Record<string, unknown> }> | undefined)?.[
    String(status)
  ];
  if (!declared) return [`${method} ${path}: status ${status} is not documented`];
  if (mediaType && !declared.content?.[mediaType]) return [`${method} ${path} ${status}: content type ${mediaType} is not documented`];
  return [];
}
