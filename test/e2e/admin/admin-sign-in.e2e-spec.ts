import type { OpenAPIObject } from '@nestjs/swagger';
import { PrismaService } from '@backlot/database';
import { postJson, signedInUser, type UserSession } from '@backlot/testing/auth';
import { TestOidcProvider } from '@backlot/testing/oidc-provider';
import { OpenApiContract } from '@backlot/testing/openapi-contract';
import { authorizePath, VERIFIER } from '@backlot/testing/provider-flow';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

const PUBLIC_URL = 'http://backlot.test';
const SPA_PAGE = 'https://app.example.com/signed-in';
const SECRET = 'client-secret-that-must-never-come-back';

describe('admin API: sign-in providers and return pages at run time, users’ identities', () => {
  let t: TestApp;
  let idp: TestOidcProvider;
  let admin: UserSession;
  let contract: OpenApiContract;

  beforeAll(async () => {
    idp = await TestOidcProvider.start({
      clients: [{ clientId: 'runtime', clientSecret: SECRET, redirectUris: [`${PUBLIC_URL}/api/v1/auth/providers/acme/callback`] }],
      accounts: [{ sub: 'acme-1', email: 'someone@acme.test', email_verified: true, name: 'Someone' }],
    });
    t = await startTestApp({
      env: {
        PUBLIC_URL,
        AUTH_PROVIDERS: 'fixed',
        AUTH_FIXED_ISSUER: 'https://accounts.example.com',
        AUTH_FIXED_CLIENT_ID: 'fixed-client',
        AUTH_FIXED_CLIENT_SECRET: SECRET,
        OAUTH_REDIRECT_URLS: 'https://env.example.com/done',
      },
    });
    admin = await signedInUser(t, { role: 'admin' });
    contract = new OpenApiContract((await (await t.request('/docs-json')).json()) as OpenAPIObject);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  async function call(method: string, path: string, body?: unknown, as: UserSession = admin): Promise<Response> {
    const response = await as.json(method, path, body);
    expect(await contract.check(method, `/api/v1${path}`, response)).toEqual([]);
    return response;
  }

  it('adds a provider whose secret is sealed and never returned, and signs a user in with it end to end', async () => {
    const created = await call('POST', '/admin/sign-in/providers', {
      name: 'acme',
      preset: 'oidc',
      displayName: 'Acme SSO',
      issuer: idp.issuer,
      clientId: 'runtime',
      clientSecret: SECRET,
    });
    expect(created.status).toBe(201);
    const body = await created.text();
    expect(body).not.toContain(SECRET);
    expect(JSON.parse(body)).toMatchObject({
      name: 'acme',
      hasClientSecret: true,
      scopes: 'openid email profile',
      source: 'admin',
      callbackPath: '/api/v1/auth/providers/acme/callback',
    });
    const stored = await t.app.get(PrismaService).authProvider.findUniqueOrThrow({ where: { name: 'acme' } });
    expect(stored.clientSecret).not.toContain(SECRET);

    const listed = await call('GET', '/admin/sign-in/providers');
    expect(await listed.text()).not.toContain(SECRET);

    expect((await call('PUT', '/admin/sign-in/redirect-urls', { urls: [SPA_PAGE] })).status).toBe(200);
    const started = await t.request(authorizePath('acme', SPA_PAGE), { redirect: 'manual' });
    expect(started.status).toBe(302);
    const callback = new URL(await idp.signIn(started.headers.get('location')!, 'acme-1'));
    const back = await t.request(`${callback.pathname}${callback.search}`, { redirect: 'manual' });
    const page = new URL(back.headers.get('location')!);
    expect(page.searchParams.get('error_description')).toBeNull();
    const tokens = await json<{ accessToken: string }>(
      await postJson(t, '/auth/providers/exchange', { code: page.searchParams.get('code'), verifier: VERIFIER }),
    );
    const me = await json<{ id: string; email: string }>(
      await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${tokens.accessToken}` } }),
    );
    expect(me.email).toBe('someone@acme.test');

    // Admins see the identity and can cut it off even though it is the account's only way in.
    const identities = await json<Array<{ id: string; provider: string }>>(await call('GET', `/admin/users/${me.id}/identities`));
    expect(identities).toEqual([expect.objectContaining({ provider: 'acme' })]);
    expect((await call('DELETE', `/admin/users/${me.id}/identities/${identities[0].id}`)).status).toBe(204);
    expect((await call('DELETE', `/admin/users/${me.id}/identities/${identities[0].id}`)).status).toBe(404);

    // Disabled: gone from the public list and refused at the start.
    expect((await call('PATCH', '/admin/sign-in/providers/acme', { enabled: false })).status).toBe(200);
    expect(await json(await t.request('/api/v1/auth/providers'))).toEqual([{ name: 'fixed', displayName: 'Fixed', preset: 'oidc' }]);
    const refused = await t.request(authorizePath('acme', SPA_PAGE), { redirect: 'manual' });
    expect(refused.status).toBe(404);
  });

  it('keeps providers and return pages from the environment read-only', async () => {
    const fixed = await json<{ source: string; hasClientSecret: boolean }>(await call('GET', '/admin/sign-in/providers/fixed'));
    expect(fixed).toMatchObject({ source: 'env', hasClientSecret: true });
    expect((await call('PATCH', '/admin/sign-in/providers/fixed', { enabled: false })).status).toBe(409);
    expect((await call('DELETE', '/admin/sign-in/providers/fixed')).status).toBe(409);
    expect((await call('POST', '/admin/sign-in/providers', { name: 'fixed', preset: 'google', clientId: 'x' })).status).toBe(409);
    expect(await json(await call('GET', '/admin/sign-in/redirect-urls'))).toMatchObject({ fromEnv: ['https://env.example.com/done'] });
  });

  it('refuses bad settings with a 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'Bad Name', preset: 'oidc', issuer: 'https://x.example', clientId: 'x' }, 'name'],
      [{ name: 'x1', preset: 'facebook', clientId: 'x' }, 'preset'],
      [{ name: 'x2', preset: 'oidc', clientId: 'x' }, 'issuer'],
      [{ name: 'x3', preset: 'microsoft', issuer: 'https://login.microsoftonline.com/common', clientId: 'x' }, 'issuer'],
      [{ name: 'x4', preset: 'oidc', issuer: 'javascript:alert(1)', clientId: 'x' }, 'issuer'],
      [{ name: 'x5', preset: 'google', clientId: 'x'.repeat(501) }, 'clientId'],
      [{ name: 'x6', preset: 'google', clientId: 'x', scopes: 'openid "quoted"' }, 'scopes'],
      [{ name: 'x7', preset: 'google', clientId: 12 }, 'clientId'],
      [{ name: 'x8', preset: 'google', clientId: 'x\uD800' }, 'clientId'],
      [{ name: 'x9', preset: 'apple', clientId: 'x', teamId: 'ABCDE12345', keyId: 'short', clientSecret: 'not a key' }, 'keyId'],
      [
        { name: 'x10', preset: 'apple', clientId: 'x', teamId: 'ABCDE12345', keyId: 'KEY1234567', clientSecret: 'not a key' },
        'clientSecret',
      ],
      [{ name: 'x11', preset: 'google', clientId: 'x', displayName: null }, 'displayName'],
    ];
    for (const [body, field] of cases) {
      const response = await call('POST', '/admin/sign-in/providers', body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      const problem = await json<{ errors?: Array<{ path: string }> }>(response);
      expect(problem.errors?.map((error) => error.path) ?? []).toContain(field);
    }
    const badUrls = await call('PUT', '/admin/sign-in/redirect-urls', {
      urls: ['https://ok.example/done', 'https://x.example/#frag', 'nope'],
    });
    expect(badUrls.status).toBe(400);
    expect((await json<{ errors: Array<{ path: string }> }>(badUrls)).errors.map((error) => error.path)).toEqual(['urls.1', 'urls.2']);
    expect((await call('POST', '/admin/sign-in/providers', { name: 'nulls', preset: 'google', clientId: 'x' })).status).toBe(201);
    for (const field of ['displayName', 'issuer', 'clientId', 'scopes', 'enabled']) {
      const response = await call('PATCH', '/admin/sign-in/providers/nulls', { [field]: null });
      expect({ field, status: response.status }).toEqual({ field, status: 400 });
    }
    expect((await call('GET', '/admin/sign-in/providers/Not%20A%20Name')).status).toBe(400);
    expect((await call('GET', '/admin/sign-in/providers/unknown')).status).toBe(404);
  });

  it('is for admins only, and every call is audited', async () => {
    const user = await signedInUser(t);
    expect((await call('GET', '/admin/sign-in/providers', undefined, user)).status).toBe(403);
    expect((await t.request('/api/v1/admin/sign-in/providers')).status).toBe(401);
    const events = await t.app.get(PrismaService).auditEvent.findMany({ where: { action: { startsWith: 'admin.sign-in.' } } });
    expect(events.map((event) => event.action)).toEqual(
      expect.arrayContaining(['admin.sign-in.providers.create', 'admin.sign-in.providers.update', 'admin.sign-in.redirect-urls.replace']),
    );
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });
});
