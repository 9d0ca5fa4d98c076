import { API_KEY_SCOPES, AuditService } from '@backlot/security';
import { v7 as uuidv7 } from 'uuid';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';
import { type AdminApp, auditEvents, eventually, problem, startAdminApp } from './admin-helpers';

interface Operation {
  method: string;
  /** The documented template, e.g. /api/v1/admin/users/{id}. */
  template: string;
  /** A concrete path for it. */
  path: string;
  spec: { security?: Record<string, string[]>[]; responses?: Record<string, unknown>; tags?: string[] };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

// Every route under /api/v1/admin, read from the OpenAPI document: none may answer anyone but an admin.
describe('admin: authorization matrix (every admin route in the document)', () => {
  let app: AdminApp;
  let t: TestApp;
  let admin: UserSession;
  let user: UserSession;
  let operations: Operation[];
  let userKey: string;
  let adminKey: string;

  beforeAll(async () => {
    app = await startAdminApp();
    ({ t, admin } = app);
    user = await signedInUser(t);
    const scopes = Object.keys(API_KEY_SCOPES);
    userKey = (await json<{ key: string }>(await user.json('POST', '/auth/api-keys', { name: 'all scopes', scopes }))).key;
    adminKey = (await json<{ key: string }>(await admin.json('POST', '/auth/api-keys', { name: 'admin key', scopes }))).key;
    operations = Object.entries(app.document.paths)
      .filter(([template]) => template.startsWith('/api/v1/admin'))
      .flatMap(([template, item]) =>
        METHODS.filter((method) => (item as Record<string, unknown>)[method]).map((method) => ({
          method: method.toUpperCase(),
          template,
          path: template.replace(/\{[^}]+\}/g, () => uuidv7()),
          spec: (item as Record<string, Operation['spec']>)[method],
        })),
      );
  });
  afterAll(() => t.close());

  const send = (operation: Operation, headers: Record<string, string>) =>
    t.request(operation.path, {
      method: operation.method,
      headers: { ...headers, ...(WITH_BODY.has(operation.method) && { 'content-type': 'application/json' }) },
      ...(WITH_BODY.has(operation.method) && { body: '{}' }),
    });

  it('the document has the whole admin surface', () => {
    const routes = operations.map((operation) => `${operation.method} ${operation.template}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /api/v1/admin/users',
        'GET /api/v1/admin/users/{id}',
        'PATCH /api/v1/admin/users/{id}/role',
        'POST /api/v1/admin/users/{id}/disable',
        'POST /api/v1/admin/users/{id}/enable',
        'POST /api/v1/admin/users/{id}/logout',
        'DELETE /api/v1/admin/users/{id}/mfa',
        'DELETE /api/v1/admin/users/{id}',
        'GET /api/v1/admin/audit',
        'GET /api/v1/admin/audit/export',
        'GET /api/v1/admin/stats',
        'GET /api/v1/admin/cache',
        'DELETE /api/v1/admin/cache',
        'DELETE /api/v1/admin/cache/{name}',
        'GET /api/v1/admin/jobs',
        'GET /api/v1/admin/jobs/schedules',
        'GET /api/v1/admin/jobs/{id}',
        'POST /api/v1/admin/jobs/{id}/retry',
        'DELETE /api/v1/admin/jobs/{id}',
      ]),
    );
  });

  it('every admin operation declares bearer security with the admin role, documents 401 and 403, and is tagged admin', () => {
    for (const { method, template, spec } of operations) {
      const declared = {
        route: `${method} ${template}`,
        bearer: (spec.security ?? []).some((requirement) => 'bearer' in requirement),
        apiKey: (spec.security ?? []).some((requirement) => 'apiKey' in requirement),
        has401: '401' in (spec.responses ?? {}),
        has403: '403' in (spec.responses ?? {}),
        admin: spec.tags?.includes('admin') ?? false,
        roles: (spec as Record<string, unknown>)['x-required-roles'],
      };
      expect(declared).toEqual({
        route: declared.route,
        bearer: true,
        apiKey: false,
        has401: true,
        has403: true,
        admin: true,
        roles: ['admin'],
      });
    }
  });

  it('anonymous callers and bad tokens get 401, and each refusal is audited as access.denied by an anonymous actor', async () => {
    const before = new Date();
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-token' }, { 'x-api-key': 'blk_not_a_key' }];
    for (const operation of operations) {
      for (const headers of attempts) {
        const response = await send(operation, headers);
        expect({ route: `${operation.method} ${operation.path}`, status: response.status }).toMatchObject({ status: 401 });
        await problem(response, 401);
      }
    }
    const { items } = await t.app.get(AuditService).query({ action: 'access.denied', from: before }, { limit: 200 });
    const anonymous = items.filter((event) => event.actorType === 'anonymous');
    for (const { method, template } of operations) {
      const route = template.replace(/\{([^}]+)\}/g, ':$1');
      const refusals = anonymous.filter((event) => {
        const details = event.details as { method?: string; route?: string };
        return details.method === method && details.route === route;
      });
      expect({ route: `${method} ${route}`, refusals: refusals.length }).toEqual({
        route: `${method} ${route}`,
        refusals: attempts.length,
      });
    }
    // What they tried is not kept: neither the forged token nor the key.
    expect(JSON.stringify(anonymous)).not.toMatch(/not-a-token|blk_not_a_key/);
  });

  it('a signed-in non-admin gets 403, and each refusal is audited as access.denied', async () => {
    for (const operation of operations) {
      const response = await send(operation, { authorization: `Bearer ${user.accessToken}` });
      expect({ route: `${operation.method} ${operation.path}`, status: response.status }).toMatchObject({ status: 403 });
      await problem(response, 403);
    }
    const denied = await auditEvents(admin, { action: 'access.denied', actorId: user.userId });
    for (const { method, template } of operations) {
      expect(denied).toContainEqual(
        expect.objectContaining({
          outcome: 'denied',
          details: expect.objectContaining({ method, route: template.replace(/\{([^}]+)\}/g, ':$1'), requiredRoles: ['admin'] }),
        }),
      );
    }
  });

  it('API keys, even an admin’s with every scope, get 403', async () => {
    for (const key of [userKey, adminKey]) {
      for (const operation of operations) {
        const response = await send(operation, { 'x-api-key': key });
        expect({ route: `${operation.method} ${operation.path}`, status: response.status }).toMatchObject({ status: 403 });
        await problem(response, 403);
      }
    }
  });

  it('every admin call, succeeding or failing, leaves one admin.* audit event naming the route', async () => {
    const before = new Date();
    const calls: { method: string; route: string; status: number }[] = [];
    for (const operation of operations) {
      const response = await send(operation, { authorization: `Bearer ${admin.accessToken}` });
      await response.arrayBuffer();
      expect({ route: `${operation.method} ${operation.path}`, status: response.status }).toEqual({
        route: `${operation.method} ${operation.path}`,
        status: expect.any(Number),
      });
      expect(response.status).toBeLessThan(500);
      calls.push({ method: operation.method, route: operation.template.replace(/\{([^}]+)\}/g, ':$1'), status: response.status });
    }
    // Read straight from the service: reading through GET /admin/audit would add events of its own.
    const audit = t.app.get(AuditService);
    const events = await eventually(async () => {
      const { items } = await audit.query({ action: 'admin.*', actorId: admin.userId, from: before }, { limit: 200 });
      return items.length >= calls.length && items;
    });
    for (const call of calls) {
      const matching = events.filter((event) => {
        const details = event.details as { method?: string; route?: string } | null;
        return details?.method === call.method && details.route === call.route;
      });
      expect({ ...call, events: matching.length }).toEqual({ ...call, events: 1 });
      expect({ ...call, outcome: matching[0].outcome }).toEqual({ ...call, outcome: call.status < 400 ? 'success' : 'failure' });
    }
  });
});
