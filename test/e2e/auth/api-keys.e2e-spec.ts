import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

const PROBLEM = 'application/problem+json';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}
interface CreatedApiKey extends ApiKey {
  key: string;
}
interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string; code: string; message: string }[];
}

// Routes the document opens to access tokens but not to API keys, as (method, path, has body).
const document = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { security?: Record<string, unknown>[]; requestBody?: unknown }>>;
};
const routesClosedToKeys = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([, { security = [] }]) => security.some((s) => 'bearer' in s) && !security.some((s) => 'apiKey' in s))
    .map(([method, operation]) => [method.toUpperCase(), path, operation.requestBody !== undefined] as const),
);

describe('API keys', () => {
  let t: TestApp;
  let owner: UserSession;

  const createKey = async (
    user: UserSession,
    body: { name?: string; scopes?: string[]; expiresAt?: string } = {},
  ): Promise<CreatedApiKey> => {
    const response = await user.json('POST', '/auth/api-keys', { name: 'integration', scopes: ['profile:read'], ...body });
    if (response.status !== 201) throw new Error(`create key failed: ${response.status} ${await response.text()}`);
    return json<CreatedApiKey>(response);
  };
  const withKey = (key: string, path: string, init: { method?: string; body?: unknown } = {}) =>
    t.request(`/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { 'x-api-key': key, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const listKeys = async (user: UserSession) => json<ApiKey[]>(await user.request('/auth/api-keys'));
  const expectProblem = async (response: Response, status: number): Promise<Problem> => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain(PROBLEM);
    const body = await json<Problem>(response);
    expect(body.status).toBe(status);
    return body;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
    owner = await signedInUser(t);
  });
  afterAll(() => t?.close());

  it('shows a new key once, prefixed blk_, and never again in the list', async () => {
    const response = await owner.json('POST', '/auth/api-keys', { name: 'billing sync', scopes: ['profile:read'] });
    expect(response.status).toBe(201);
    const created = await json<CreatedApiKey>(response);
    expect(created).toEqual({
      id: expect.any(String),
      name: 'billing sync',
      prefix: created.key.slice(0, 12),
      scopes: ['profile:read'],
      expiresAt: null,
      lastUsedAt: null,
      createdAt: expect.any(String),
      key: expect.stringMatching(/^blk_[A-Za-z0-9_-]{43}$/),
    });

    const listResponse = await owner.request('/auth/api-keys');
    expect(listResponse.status).toBe(200);
    const text = await listResponse.text();
    expect(text).not.toContain(created.key);
    const listed = (JSON.parse(text) as ApiKey[]).find((key) => key.id === created.id);
    expect(listed).toEqual({
      id: created.id,
      name: 'billing sync',
      prefix: created.prefix,
      scopes: ['profile:read'],
      expiresAt: null,
      lastUsedAt: null,
      createdAt: created.createdAt,
    });
  });

  it('reads the owner’s profile with profile:read but may not change it', async () => {
    const { key } = await createKey(owner, { scopes: ['profile:read'] });
    const me = await withKey(key, '/users/me');
    expect(me.status).toBe(200);
    expect(await json(me)).toMatchObject({ id: owner.userId, email: owner.email });

    const patch = await expectProblem(await withKey(key, '/users/me', { method: 'PATCH', body: { displayName: 'Read Only' } }), 403);
    expect(patch.type).toBe('https://backlot.dev/problems/forbidden');
    expect(patch.detail).toContain('profile:write');
    expect(await json(await owner.request('/users/me'))).toMatchObject({ displayName: null });
  });

  it('changes the profile with profile:write, and cannot read it without profile:read', async () => {
    const { key } = await createKey(owner, { scopes: ['profile:write'] });
    const patch = await withKey(key, '/users/me', { method: 'PATCH', body: { displayName: 'Written By Key' } });
    expect(patch.status).toBe(200);
    expect(await json(patch)).toMatchObject({ id: owner.userId, displayName: 'Written By Key' });
    await expectProblem(await withKey(key, '/users/me'), 403);
  });

  let everyScopeKey: string | undefined;
  it.each(routesClosedToKeys)(
    'refuses a key with every scope on %s %s (403): keys reach only routes that name a scope',
    async (method, path, hasBody) => {
      // One key for every route: a user may hold at most 50 active keys, and there are more routes than that.
      everyScopeKey ??= (await createKey(owner, { scopes: ['profile:read', 'profile:write'] })).key;
      const key = everyScopeKey;
      const url = path.replace(/\{[^}]+\}/g, () => randomUUID());
      const response = await t.request(url, {
        method,
        headers: { 'x-api-key': key, ...(hasBody && { 'content-type': 'application/json' }) },
        body: hasBody ? '{}' : undefined,
      });
      const problem = await expectProblem(response, 403);
      expect(problem.detail).toMatch(/API keys cannot call this route/);
    },
  );

  it('cannot mint or revoke keys with a key', async () => {
    const { key, id } = await createKey(owner, { scopes: ['profile:read', 'profile:write'] });
    const before = (await listKeys(owner)).length;
    await expectProblem(await withKey(key, '/auth/api-keys', { method: 'POST', body: { name: 'minted', scopes: ['profile:read'] } }), 403);
    await expectProblem(await withKey(key, `/auth/api-keys/${id}`, { method: 'DELETE' }), 403);
    const after = await listKeys(owner);
    expect(after).toHaveLength(before);
    expect(after.map((k) => k.name)).not.toContain('minted');
    expect((await withKey(key, '/users/me')).status).toBe(200);
  });

  it('stops a revoked key at once, even right after it was used', async () => {
    const { key, id } = await createKey(owner);
    expect((await withKey(key, '/users/me')).status).toBe(200);
    expect((await owner.request(`/auth/api-keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    const refused = await expectProblem(await withKey(key, '/users/me'), 401);
    expect(refused.type).toBe('https://backlot.dev/problems/unauthenticated');
    expect((await listKeys(owner)).map((k) => k.id)).not.toContain(id);
    await expectProblem(await owner.request(`/auth/api-keys/${id}`, { method: 'DELETE' }), 404);
  });

  it('stops a key once its expiresAt has passed', async () => {
    const expiresAt = new Date(Date.now() + 3_000);
    const created = await createKey(owner, { expiresAt: expiresAt.toISOString() });
    expect(created.expiresAt).toBe(expiresAt.toISOString());
    expect((await withKey(created.key, '/users/me')).status).toBe(200);
    await sleep(expiresAt.getTime() - Date.now() + 500);
    await expectProblem(await withKey(created.key, '/users/me'), 401);
  });

  it('refuses to create a key that has already expired', async () => {
    const problem = await expectProblem(
      await owner.json('POST', '/auth/api-keys', {
        name: 'stale',
        scopes: ['profile:read'],
        expiresAt: new Date(Date.now() - 60_000).toISOString(),
      }),
      400,
    );
    expect(problem.detail).toMatch(/future/);
    expect((await listKeys(owner)).map((k) => k.name)).not.toContain('stale');
  });

  it('refuses an unknown scope, naming the field', async () => {
    const problem = await expectProblem(
      await owner.json('POST', '/auth/api-keys', { name: 'too much', scopes: ['profile:read', 'admin:everything'] }),
      400,
    );
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'scopes', code: 'isIn' })]);
  });

  it.each([
    ['a word', 'nope'],
    ['the prefix alone', 'blk_'],
    ['a short key', 'blk_abc'],
    ['a well-formed key nobody was given', `blk_${'A'.repeat(43)}`],
    ['a key with another prefix', `key_${'A'.repeat(43)}`],
    ['a key one character too long', `blk_${'A'.repeat(44)}`],
    ['characters outside base64url', `blk_${'%'.repeat(43)}`],
    ['4 KB of text', 'x'.repeat(4096)],
  ])('answers 401 to a malformed or unknown key: %s', async (_label, key) => {
    const problem = await expectProblem(await withKey(key, '/users/me'), 401);
    expect(problem.type).toBe('https://backlot.dev/problems/unauthenticated');
  });

  it('finds the routes closed to keys in openapi.json', () => {
    expect(routesClosedToKeys.length).toBeGreaterThanOrEqual(10);
    expect(routesClosedToKeys).toEqual(
      expect.arrayContaining([
        ['POST', '/api/v1/auth/api-keys', true],
        ['GET', '/api/v1/auth/sessions', false],
      ]),
    );
  });

  it('does not take a key sent as a bearer token', async () => {
    const { key } = await createKey(owner);
    await expectProblem(await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${key}` } }), 401);
  });

  it('stops a key once its owner deleted the account, even right after it was used', async () => {
    const leaving = await signedInUser(t);
    const { key } = await createKey(leaving);
    expect((await withKey(key, '/users/me')).status).toBe(200);
    expect((await leaving.json('DELETE', '/users/me', { password: leaving.password })).status).toBe(204);
    await expectProblem(await withKey(key, '/users/me'), 401);
  });

  it('answers 401 to a real key altered by one character', async () => {
    const { key } = await createKey(owner);
    const altered = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    await expectProblem(await withKey(altered, '/users/me'), 401);
  });

  it('records when a key was last used', async () => {
    const created = await createKey(owner);
    expect((await listKeys(owner)).find((k) => k.id === created.id)?.lastUsedAt).toBeNull();
    expect((await withKey(created.key, '/users/me')).status).toBe(200);
    // The app writes last-used in the background, so poll for it (bounded) instead of racing it.
    let lastUsedAt: string | null | undefined = null;
    for (let attempt = 0; attempt < 50 && !lastUsedAt; attempt++) {
      if (attempt > 0) await sleep(100);
      lastUsedAt = (await listKeys(owner)).find((k) => k.id === created.id)?.lastUsedAt;
    }
    expect(lastUsedAt).toEqual(expect.any(String));
    expect(new Date(lastUsedAt!).getTime()).toBeGreaterThanOrEqual(new Date(created.createdAt).getTime());
  });

  it('keeps each user’s keys to themselves: another user cannot list or revoke them', async () => {
    const alice = await signedInUser(t);
    const mallory = await signedInUser(t);
    const aliceKey = await createKey(alice, { name: 'alice only' });
    await createKey(mallory, { name: 'mallory' });

    expect((await listKeys(mallory)).map((k) => k.id)).not.toContain(aliceKey.id);
    const attempt = await expectProblem(await mallory.request(`/auth/api-keys/${aliceKey.id}`, { method: 'DELETE' }), 404);
    expect(attempt.type).toBe('https://backlot.dev/problems/not-found');
    // The same answer as for an id that does not exist at all.
    const unknown = await expectProblem(await mallory.request(`/auth/api-keys/${randomUUID()}`, { method: 'DELETE' }), 404);
    expect(unknown.detail).toBe(attempt.detail);

    expect((await listKeys(alice)).map((k) => k.id)).toContain(aliceKey.id);
    const me = await withKey(aliceKey.key, '/users/me');
    expect(me.status).toBe(200);
    expect(await json(me)).toMatchObject({ id: alice.userId, email: alice.email });
  });

  it.each([
    ['a missing name', { scopes: ['profile:read'] }, ['name']],
    ['an empty name', { name: '', scopes: ['profile:read'] }, ['name']],
    ['a 200-character name', { name: 'n'.repeat(200), scopes: ['profile:read'] }, ['name']],
    ['a name with a control character', { name: 'bad\u0000name', scopes: ['profile:read'] }, ['name']],
    ['a numeric name', { name: 42, scopes: ['profile:read'] }, ['name']],
    ['missing scopes', { name: 'k' }, ['scopes']],
    ['scopes as a string', { name: 'k', scopes: 'profile:read' }, ['scopes']],
    ['empty scopes', { name: 'k', scopes: [] }, ['scopes']],
    ['scopes of the wrong type', { name: 'k', scopes: [1, true] }, ['scopes']],
    ['scopes as an object', { name: 'k', scopes: { 'profile:read': true } }, ['scopes']],
    ['expiresAt as a number', { name: 'k', scopes: ['profile:read'], expiresAt: 1893456000000 }, ['expiresAt']],
    ['expiresAt as prose', { name: 'k', scopes: ['profile:read'], expiresAt: 'next tuesday' }, ['expiresAt']],
    ['expiresAt as an ISO week date', { name: 'k', scopes: ['profile:read'], expiresAt: '2099-W01' }, ['expiresAt']],
    ['expiresAt in the basic format', { name: 'k', scopes: ['profile:read'], expiresAt: '20991101' }, ['expiresAt']],
    ['an unknown property', { name: 'k', scopes: ['profile:read'], userId: randomUUID() }, ['userId']],
    ['everything wrong at once', { name: null, scopes: null, expiresAt: false }, ['name', 'scopes', 'expiresAt']],
  ])('refuses to create a key with %s (400, errors[] names the fields)', async (_label, body, paths) => {
    const problem = await expectProblem(await owner.json('POST', '/auth/api-keys', body), 400);
    expect(problem.type).toBe('https://backlot.dev/problems/validation');
    expect([...new Set(problem.errors!.map((error) => error.path))].sort()).toEqual([...paths].sort());
  });

  it('answers 400 to DELETE with an id that is not a uuid', async () => {
    await expectProblem(await owner.request('/auth/api-keys/not-a-uuid', { method: 'DELETE' }), 400);
    await expectProblem(await owner.request(`/auth/api-keys/${randomUUID()}x`, { method: 'DELETE' }), 400);
    await expectProblem(await owner.request(`/auth/api-keys/${encodeURIComponent("1' OR '1'='1")}`, { method: 'DELETE' }), 400);
  });
});
