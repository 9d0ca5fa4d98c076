import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { defineCollection, OWNER_ONLY_RULES, problemOf } from '@backlot/testing/data';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

const APP = 'https://app.example.test';

function preflight(t: TestApp, origin: string, path = '/api/v1/auth/login'): Promise<Response> {
  return t.request(path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, idempotency-key' },
  });
}

describe('CORS', () => {
  describe('without CORS_ORIGINS', () => {
    let t: TestApp;
    beforeAll(async () => (t = await startTestApp()));
    afterAll(() => t?.close());

    it('refuses a preflight with a 403 problem that says how to enable cross-origin access', async () => {
      const response = await preflight(t, APP);
      const problem = await problemOf(response, 403);
      expect(problem.detail).toBe(
        `Cross-origin requests are not enabled; set CORS_ORIGINS=${APP} (a comma-separated list of the origins allowed to call this API).`,
      );
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('suggests a placeholder origin when the page has none CORS_ORIGINS could take', async () => {
      const problem = await problemOf(await preflight(t, 'null'), 403);
      expect(problem.detail).toContain('set CORS_ORIGINS=https://your.app ');
    });

    it('answers an OPTIONS request that is not a preflight with a 400 problem', async () => {
      const problem = await problemOf(await t.request('/api/v1/auth/login', { method: 'OPTIONS' }), 400);
      expect(problem.detail).toMatch(/only as a CORS preflight/);
    });
  });

  describe('with CORS_ORIGINS listing the app', () => {
    let t: TestApp;
    let alice: UserSession;
    beforeAll(async () => {
      t = await startTestApp({ env: { CORS_ORIGINS: APP, AUTH_RATE_LIMIT_MAX: '1000' } });
      const admin = await signedInUser(t, { role: 'admin' });
      alice = await signedInUser(t);
      await defineCollection(admin, 'notes', [{ name: 'title', type: 'text' }], OWNER_ONLY_RULES);
    });
    afterAll(() => t?.close());

    it('answers a preflight from the listed origin with 204 and the allow headers', async () => {
      const response = await preflight(t, APP, '/api/v1/collections/notes/records');
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(APP);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('access-control-allow-methods')).toContain('PATCH');
      expect(response.headers.get('access-control-allow-headers')).toBe('content-type, idempotency-key');
      expect(response.headers.get('access-control-max-age')).toBe('600');
    });

    it('refuses a preflight from an unlisted origin with a 403 problem naming the origin and CORS_ORIGINS', async () => {
      const response = await preflight(t, 'https://evil.example.net');
      const problem = await problemOf(response, 403);
      expect(problem.detail).toBe('The origin https://evil.example.net may not make cross-origin requests; add it to CORS_ORIGINS.');
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toBeNull();
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('answers an OPTIONS request that is not a preflight with a 400 problem', async () => {
      const problem = await problemOf(await t.request('/api/v1/auth/login', { method: 'OPTIONS', headers: { origin: APP } }), 400);
      expect(problem.detail).toMatch(/Access-Control-Request-Method/);
    });

    it('lets browser code read the replay, version, location and download headers', async () => {
      const create = () =>
        alice.request('/collections/notes/records', {
          method: 'POST',
          headers: { origin: APP, 'content-type': 'application/json', 'idempotency-key': 'cors-1' },
          body: JSON.stringify({ title: 'hello' }),
        });
      await create();
      const replayed = await create();
      expect(replayed.status).toBe(201);
      expect(replayed.headers.get('access-control-allow-origin')).toBe(APP);
      const exposed = exposedHeaders(replayed);
      for (const header of ['idempotent-replayed', 'etag', 'location', 'content-disposition', 'retry-after']) {
        expect({ header, exposed: exposed.includes(header) }).toEqual({ header, exposed: true });
        if (['idempotent-replayed', 'etag', 'location'].includes(header)) expect(replayed.headers.get(header)).toBeTruthy();
      }

      const download = await alice.request('/collections/notes/export?format=csv', { headers: { origin: APP } });
      expect(download.status).toBe(200);
      expect(download.headers.get('content-disposition')).toMatch(/^attachment/);
      expect(exposedHeaders(download)).toContain('content-disposition');
    });
  });

  describe('with CORS_ORIGINS=*', () => {
    let t: TestApp;
    beforeAll(async () => (t = await startTestApp({ env: { CORS_ORIGINS: '*' } })));
    afterAll(() => t?.close());

    it('answers any origin without credentials', async () => {
      const response = await preflight(t, 'https://anyone.example.org');
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    });
  });
});

function exposedHeaders(response: Response): string[] {
  return (response.headers.get('access-control-expose-headers') ?? '').split(',').map((name) => name.trim().toLowerCase());
}
