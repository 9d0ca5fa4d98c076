import type { OpenAPIObject } from '@nestjs/swagger';
import { PrismaService } from '@backlot/database';
import { totpCode } from '@backlot/security';
import { login, PASSWORD, postJson, registerAndVerify, sessionFor, signedInUser, type UserSession } from '@backlot/testing/auth';
import { OpenApiContract } from '@backlot/testing/openapi-contract';
import { startSmtpInbox, type SmtpInbox } from '@backlot/testing/smtp-inbox';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

interface UserBody {
  id: string;
  email: string;
  emailVerified: boolean;
  role: string;
  displayName: string | null;
  bio: string | null;
  locale: string | null;
  timezone: string | null;
  avatarUrl: string | null;
  mfaEnabled: boolean;
  createdAt: string;
  updatedAt: string;
}

interface ProblemBody {
  errors?: { path: string; code: string; message: string }[];
}

interface ExportBody {
  profile: UserBody;
  mfa: { enabled: boolean; enabledAt: string | null; unusedRecoveryCodes: number };
  sessions: { id: string; device: string }[];
  apiKeys: { id: string; name: string; prefix: string; scopes: string[] }[];
  auditEvents: { action: string; outcome: string; ip: string | null; userAgent: string | null }[];
}

const NEW_PASSWORD = 'a different passphrase, also long';
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

describe('the signed-in user’s own account (/users/me)', () => {
  let t: TestApp;
  let inbox: SmtpInbox;
  let contract: OpenApiContract;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    // Many sign-ins from one address: the per-IP credential limit is not what this file tests.
    t = await startTestApp({ env: { SMTP_URL: inbox.url, AUTH_RATE_LIMIT_MAX: '1000' } });
    contract = new OpenApiContract((await (await t.request('/docs-json')).json()) as OpenAPIObject);
    // The helper's Ajv has no formats registered and warns (with a stack) for each one it skips.
    const warn = console.warn.bind(console);
    jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      if (!String(args[0]).startsWith('unknown format')) warn(...args);
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
    await inbox?.close();
  });

  /** Sends a request as the user; every JSON answer must match what the OpenAPI document declares. */
  async function call(user: UserSession, method: string, path: string, body?: unknown): Promise<Response> {
    const response = await user.json(method, path, body);
    await expectDocumented(method, path, response);
    return response;
  }

  async function expectDocumented(method: string, path: string, response: Response): Promise<void> {
    if (!(response.headers.get('content-type') ?? '').includes('json')) return;
    const problems = await contract.check(method, `/api/v1${path}`, response);
    expect({ method, path, status: response.status, problems }).toEqual({ method, path, status: response.status, problems: [] });
  }

  /** A 400 problem whose errors[] name exactly these fields, each with (at least) this code. */
  async function expectValidationErrors(response: Response, paths: Record<string, string>): Promise<void> {
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const { errors = [] } = await json<ProblemBody>(response);
    expect([...new Set(errors.map((error) => error.path))].sort()).toEqual(Object.keys(paths).sort());
    for (const [path, code] of Object.entries(paths)) expect(errors).toContainEqual({ path, code, message: expect.any(String) });
  }

  const me = async (user: UserSession) => json<UserBody>(await call(user, 'GET', '/users/me'));

  async function enableMfa(user: UserSession): Promise<{ secret: string; recoveryCodes: string[] }> {
    const { secret } = await json<{ secret: string }>(await call(user, 'POST', '/auth/mfa/setup'));
    const enabled = await call(user, 'POST', '/auth/mfa/enable', { code: totpCode(secret, Date.now()) });
    expect(enabled.status).toBe(200);
    return { secret, recoveryCodes: (await json<{ recoveryCodes: string[] }>(enabled)).recoveryCodes };
  }

  describe('GET /users/me', () => {
    it('returns the caller’s profile with the documented fields and nothing else', async () => {
      const user = await signedInUser(t);
      const body = await me(user);
      expect(Object.keys(body).sort()).toEqual(
        [
          'id',
          'email',
          'emailVerified',
          'role',
          'displayName',
          'bio',
          'locale',
          'timezone',
          'avatarUrl',
          'mfaEnabled',
          'createdAt',
          'updatedAt',
        ].sort(),
      );
      // The contract helper's Ajv checks no formats, so the ones that matter are checked here.
      expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      for (const at of [body.createdAt, body.updatedAt]) expect(new Date(at).toISOString()).toBe(at);
      expect(body).toMatchObject({
        id: user.userId,
        email: user.email,
        emailVerified: true,
        role: 'user',
        displayName: null,
        bio: null,
        locale: null,
        timezone: null,
        avatarUrl: null,
        mfaEnabled: false,
      });
    });

    it('answers 401 without credentials', async () => {
      const response = await t.request('/api/v1/users/me');
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('never shows another user’s data: each caller, by token or API key, gets only their own', async () => {
      const alice = await signedInUser(t, { userAgent: USER_AGENT });
      const bob = await signedInUser(t);
      const aliceKey = await json<{ id: string; key: string }>(
        await call(alice, 'POST', '/auth/api-keys', { name: 'alice key', scopes: ['profile:read'] }),
      );
      expect((await call(alice, 'PATCH', '/users/me', { displayName: 'Alice' })).status).toBe(200);
      expect((await call(bob, 'PATCH', '/users/me', { displayName: 'Bob' })).status).toBe(200);

      expect(await me(alice)).toMatchObject({ id: alice.userId, email: alice.email, displayName: 'Alice' });
      expect(await me(bob)).toMatchObject({ id: bob.userId, email: bob.email, displayName: 'Bob' });
      const byKey = await t.request('/api/v1/users/me', { headers: { 'x-api-key': aliceKey.key } });
      await expectDocumented('GET', '/users/me', byKey);
      expect(await json(byKey)).toMatchObject({ id: alice.userId, email: alice.email });

      const exported = await call(bob, 'GET', '/users/me/export');
      expect(exported.status).toBe(200);
      const text = await exported.text();
      for (const foreign of [alice.userId, alice.email, alice.sessionId, aliceKey.id, 'Alice']) expect(text).not.toContain(foreign);
    });
  });

  describe('PATCH /users/me', () => {
    it('changes the given fields, leaves absent ones alone, and null clears one', async () => {
      const user = await signedInUser(t);
      const fields = {
        displayName: 'Ada Lovelace',
        bio: 'Wrote the first program.',
        locale: 'en-GB',
        timezone: 'Europe/London',
        avatarUrl: 'https://example.com/ada.png',
      };
      const updated = await call(user, 'PATCH', '/users/me', fields);
      expect(updated.status).toBe(200);
      expect(await json(updated)).toMatchObject({ id: user.userId, email: user.email, ...fields });

      const partly = await call(user, 'PATCH', '/users/me', { bio: null, locale: 'fr-FR' });
      expect(partly.status).toBe(200);
      const expected = { ...fields, bio: null, locale: 'fr-FR' };
      expect(await json(partly)).toMatchObject(expected);
      expect(await me(user)).toMatchObject(expected);

      const cleared = await call(user, 'PATCH', '/users/me', {
        displayName: null,
        bio: null,
        locale: null,
        timezone: null,
        avatarUrl: null,
      });
      expect(await json(cleared)).toMatchObject({ displayName: null, bio: null, locale: null, timezone: null, avatarUrl: null });
    });

    it('reports every invalid field with its path and leaves the profile unchanged', async () => {
      const user = await signedInUser(t);
      const response = await call(user, 'PATCH', '/users/me', {
        displayName: '',
        bio: 'x'.repeat(501),
        locale: 'english please',
        timezone: 'Mars/Olympus_Mons',
        avatarUrl: 'http://example.com/insecure.png',
      });
      await expectValidationErrors(response, {
        displayName: 'minLength',
        bio: 'maxLength',
        locale: 'matches',
        timezone: 'isTimeZone',
        avatarUrl: 'isUrl',
      });
      expect(await me(user)).toMatchObject({ displayName: null, bio: null, locale: null, timezone: null, avatarUrl: null });
    });

    it('rejects values of the wrong type and control characters in the display name', async () => {
      const user = await signedInUser(t);
      await expectValidationErrors(await call(user, 'PATCH', '/users/me', { displayName: 'Ada\u0007', bio: 42 }), {
        displayName: 'matches',
        bio: 'isString',
      });
      await expectValidationErrors(await call(user, 'PATCH', '/users/me', { avatarUrl: 'javascript:alert(1)' }), { avatarUrl: 'isUrl' });
    });

    it('refuses text the database cannot store (a NUL character) with a 400 naming the field, not a 500', async () => {
      const user = await signedInUser(t);
      const response = await user.json('PATCH', '/users/me', { bio: 'before\u0000after' });
      expect(response.status).toBe(400);
      await expectDocumented('PATCH', '/users/me', response);
      const { errors = [] } = await json<ProblemBody>(response);
      expect(errors.map((error) => error.path)).toContain('bio');
      expect(await me(user)).toMatchObject({ bio: null });
    });

    it('rejects unknown fields, and role or email cannot be changed here', async () => {
      const user = await signedInUser(t);
      await expectValidationErrors(await call(user, 'PATCH', '/users/me', { nickname: 'ada' }), { nickname: 'unknownProperty' });
      await expectValidationErrors(
        await call(user, 'PATCH', '/users/me', { role: 'admin', email: 'other@example.test', displayName: 'Ada' }),
        { role: 'unknownProperty', email: 'unknownProperty' },
      );
      expect(await me(user)).toMatchObject({ role: 'user', email: user.email, displayName: null });
    });
  });

  describe('POST /users/me/password', () => {
    it('changes the password, keeps the calling session and signs every other session out', async () => {
      const user = await signedInUser(t);
      const other = sessionFor(t, user, await login(t, user.email, user.password));

      expect((await call(user, 'POST', '/users/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(204);

      expect((await user.request('/users/me')).status).toBe(200);
      expect((await postJson(t, '/auth/refresh', { refreshToken: user.refreshToken })).status).toBe(200);
      expect((await other.request('/users/me')).status).toBe(401);
      expect((await postJson(t, '/auth/refresh', { refreshToken: other.refreshToken })).status).toBe(401);

      expect((await postJson(t, '/auth/login', { email: user.email, password: PASSWORD })).status).toBe(401);
      const fresh = await postJson(t, '/auth/login', { email: user.email, password: NEW_PASSWORD });
      expect(fresh.status).toBe(200);
      await expectDocumented('POST', '/auth/login', fresh);
    });

    it('refuses a wrong current password with 400 and changes nothing', async () => {
      const user = await signedInUser(t);
      const other = sessionFor(t, user, await login(t, user.email, user.password));
      const response = await call(user, 'POST', '/users/me/password', {
        currentPassword: 'not the password at all',
        newPassword: NEW_PASSWORD,
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');

      expect((await other.request('/users/me')).status).toBe(200);
      expect((await postJson(t, '/auth/login', { email: user.email, password: NEW_PASSWORD })).status).toBe(401);
      expect((await postJson(t, '/auth/login', { email: user.email, password: PASSWORD })).status).toBe(200);
    });

    it('applies the password policy to the new password', async () => {
      const user = await signedInUser(t);
      await expectValidationErrors(await call(user, 'POST', '/users/me/password', { currentPassword: PASSWORD, newPassword: 'short' }), {
        newPassword: 'isNewPassword',
      });
      await expectValidationErrors(await call(user, 'POST', '/users/me/password', { newPassword: NEW_PASSWORD }), {
        currentPassword: 'isString',
      });
      expect((await postJson(t, '/auth/login', { email: user.email, password: PASSWORD })).status).toBe(200);
    });
  });

  describe('GET /users/me/export', () => {
    it('holds the profile, MFA state, sessions, API keys and audit events — and no secret or hash', async () => {
      const user = await signedInUser(t, { userAgent: USER_AGENT });
      const other = sessionFor(t, user, await login(t, user.email, user.password));
      const created = await call(user, 'POST', '/auth/api-keys', { name: 'export check', scopes: ['profile:read', 'profile:write'] });
      expect(created.status).toBe(201);
      const apiKey = await json<{ id: string; key: string; prefix: string }>(created);
      const mfa = await enableMfa(user);
      const refreshed = await postJson(t, '/auth/refresh', { refreshToken: other.refreshToken });
      const { refreshToken: rotated } = await json<{ refreshToken: string }>(refreshed);

      const response = await call(user, 'GET', '/users/me/export');
      expect(response.status).toBe(200);
      const text = await response.clone().text();
      const body = await json<ExportBody>(response);

      expect(body.profile).toEqual({ ...(await me(user)), updatedAt: expect.any(String) });
      expect(body.mfa).toEqual({ enabled: true, enabledAt: expect.any(String), unusedRecoveryCodes: mfa.recoveryCodes.length });
      expect(body.sessions.map((s) => s.id).sort()).toEqual([user.sessionId, other.sessionId].sort());
      expect(body.sessions.find((s) => s.id === user.sessionId)).toMatchObject({ device: 'Firefox on Linux' });
      expect(body.apiKeys).toEqual([expect.objectContaining({ id: apiKey.id, name: 'export check', prefix: apiKey.prefix })]);
      expect(body.auditEvents.map((event) => event.action)).toEqual(
        expect.arrayContaining(['auth.login', 'auth.session.created', 'auth.api-key.created', 'auth.mfa.enabled']),
      );

      const prisma = t.app.get(PrismaService);
      const stored = await prisma.user.findUniqueOrThrow({ where: { id: user.userId } });
      const tokenHashes = (await prisma.refreshToken.findMany({ where: { session: { userId: user.userId } } })).map((r) => r.tokenHash);
      const keyHashes = (await prisma.apiKey.findMany({ where: { userId: user.userId } })).map((k) => k.keyHash);
      const codeHashes = (await prisma.recoveryCode.findMany({ where: { userId: user.userId } })).map((c) => c.codeHash);
      expect(tokenHashes.length).toBeGreaterThanOrEqual(3);
      const secrets = [
        PASSWORD,
        stored.passwordHash,
        stored.mfaSecret!,
        mfa.secret,
        ...mfa.recoveryCodes,
        user.refreshToken,
        other.refreshToken,
        rotated,
        apiKey.key,
        ...tokenHashes,
        ...keyHashes,
        ...codeHashes,
      ];
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/"(passwordHash|password_hash|tokenHash|keyHash|codeHash|mfaSecret|mfaPendingSecret|recoveryCodes)"/i);
    });

    it('is for the account holder only, not for API keys', async () => {
      const user = await signedInUser(t);
      const { key } = await json<{ key: string }>(await call(user, 'POST', '/auth/api-keys', { name: 'reader', scopes: ['profile:read'] }));
      expect((await t.request('/api/v1/users/me/export', { headers: { 'x-api-key': key } })).status).toBe(403);
    });
  });

  describe('DELETE /users/me', () => {
    it('refuses a wrong password with 401 and keeps the account', async () => {
      const user = await signedInUser(t);
      const response = await call(user, 'DELETE', '/users/me', { password: 'not the password at all' });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(await me(user)).toMatchObject({ id: user.userId });
      expect((await postJson(t, '/auth/login', { email: user.email, password: PASSWORD })).status).toBe(200);
    });

    it('deletes the account: its tokens and keys fail, login fails, the audit trail is anonymized, the email is free again', async () => {
      const user = await signedInUser(t, { userAgent: USER_AGENT });
      const other = sessionFor(t, user, await login(t, user.email, user.password, { 'user-agent': USER_AGENT }));
      const { key } = await json<{ key: string }>(await call(user, 'POST', '/auth/api-keys', { name: 'doomed', scopes: ['profile:read'] }));
      expect((await t.request('/api/v1/users/me', { headers: { 'x-api-key': key } })).status).toBe(200);
      const prisma = t.app.get(PrismaService);
      const trail = { OR: [{ actorId: user.userId }, { targetType: 'user', targetId: user.userId }] };
      expect(await prisma.auditEvent.count({ where: { ...trail, NOT: { ip: null } } })).toBeGreaterThan(0);

      expect((await call(user, 'DELETE', '/users/me', { password: PASSWORD })).status).toBe(204);

      expect((await user.request('/users/me')).status).toBe(401);
      expect((await other.request('/users/me')).status).toBe(401);
      expect((await t.request('/api/v1/users/me', { headers: { 'x-api-key': key } })).status).toBe(401);
      expect((await postJson(t, '/auth/refresh', { refreshToken: user.refreshToken })).status).toBe(401);
      expect((await postJson(t, '/auth/login', { email: user.email, password: PASSWORD })).status).toBe(401);

      expect(await prisma.user.count({ where: { id: user.userId } })).toBe(0);
      expect(await prisma.session.count({ where: { userId: user.userId } })).toBe(0);
      expect(await prisma.apiKey.count({ where: { userId: user.userId } })).toBe(0);
      const events = await prisma.auditEvent.findMany({ where: trail });
      expect(events.map((event) => event.action)).toEqual(expect.arrayContaining(['auth.login', 'auth.session.created', 'user.deleted']));
      expect(events.filter((event) => event.ip !== null || event.userAgent !== null)).toEqual([]);

      const again = await registerAndVerify(t, inbox, user.email, NEW_PASSWORD);
      const revived = sessionFor(t, { ...again, userId: '' }, await login(t, again.email, again.password));
      const profile = await me(revived);
      expect(profile).toMatchObject({ email: user.email, role: 'user', emailVerified: true, displayName: null });
      expect(profile.id).not.toBe(user.userId);
    });

    it('asks an MFA user for a code as well as the password', async () => {
      const user = await signedInUser(t);
      const { secret } = await enableMfa(user);

      const withoutCode = await call(user, 'DELETE', '/users/me', { password: PASSWORD });
      expect(withoutCode.status).toBe(401);
      // A code the authenticator shows at no step near now; the account must survive it.
      const near = [-1, 0, 1, 2].map((step) => totpCode(secret, Date.now() + step * 30_000));
      const wrong = ['000000', '111111', '222222', '333333', '444444'].find((code) => !near.includes(code))!;
      expect((await call(user, 'DELETE', '/users/me', { password: PASSWORD, code: wrong })).status).toBe(401);
      expect(await me(user)).toMatchObject({ id: user.userId, mfaEnabled: true });

      // The next time step: the step the enable code used is spent.
      const response = await call(user, 'DELETE', '/users/me', { password: PASSWORD, code: totpCode(secret, Date.now() + 30_000) });
      expect(response.status).toBe(204);
      expect((await user.request('/users/me')).status).toBe(401);
    });
  });
});
