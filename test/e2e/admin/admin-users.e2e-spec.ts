import { PrismaService } from '@backlot/database';
import { totpCode } from '@backlot/security';
import { v7 as uuidv7 } from 'uuid';
import { UserModerationService } from '../../../apps/api/src/users/user-moderation.service';
import { createUser, login, PASSWORD, postJson, sessionFor, signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, SHARED_SERVICES, startTestApp, startTwoInstances, type TestApp } from '@backlot/testing/test-app';
import { ADMIN_TEST_ENV, type AdminApp, auditEvents, problem, startAdminApp } from './admin-helpers';

interface AdminUser {
  id: string;
  email: string;
  role: string;
  displayName: string | null;
  disabled: boolean;
  disabledAt: string | null;
  emailVerified: boolean;
  mfaEnabled: boolean;
  createdAt: string;
}

interface UserPage {
  items: AdminUser[];
  nextCursor: string | null;
  total?: number;
}

const META = { ip: '127.0.0.1', userAgent: 'jest', requestId: 'test' };

describe('admin: users', () => {
  let app: AdminApp;
  let t: TestApp;
  let admin: UserSession;

  beforeAll(async () => {
    app = await startAdminApp();
    ({ t, admin } = app);
  });
  afterAll(() => t.close());

  const get = async (path: string) => app.conforms('GET', path, await admin.request(path));
  const call = async (method: string, path: string, body?: unknown) => app.conforms(method, path, await admin.json(method, path, body));
  const me = (user: { accessToken: string }) => t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${user.accessToken}` } });
  const refresh = (refreshToken: string) => postJson(t, '/auth/refresh', { refreshToken });

  describe('GET /admin/users', () => {
    const label = `search-${Date.now().toString(36)}`;
    let people: UserSession[];

    beforeAll(async () => {
      people = [];
      for (const name of ['100% Ada', 'Ada_Lovelace', 'Grace Hopper', 'Adam Smith']) {
        const person = await signedInUser(t, { email: `${label}-${people.length}@example.test` });
        expect((await person.json('PATCH', '/users/me', { displayName: name })).status).toBe(200);
        people.push(person);
      }
    });

    const search = async (query: Record<string, string>) =>
      json<UserPage>(await get(`/admin/users?${new URLSearchParams(query).toString()}`));
    const names = (page: UserPage) => page.items.map((user) => user.displayName).sort();

    it('finds users by part of the email or display name, in any case', async () => {
      expect(names(await search({ q: 'ADA' }))).toEqual(['100% Ada', 'Ada_Lovelace', 'Adam Smith']);
      expect((await search({ q: `${label}-2@` })).items.map((user) => user.id)).toEqual([people[2].userId]);
    });

    it('treats % and _ as themselves, not as wildcards', async () => {
      expect(names(await search({ q: '%' }))).toEqual(['100% Ada']);
      expect(names(await search({ q: 'a_l' }))).toEqual(['Ada_Lovelace']);
      expect(names(await search({ q: label, limit: '200' })).length).toBe(4);
      expect((await search({ q: `${label}_` })).items).toEqual([]);
    });

    it('filters by role, disabled, verified, MFA and creation time', async () => {
      const admins = await search({ role: 'admin', limit: '200' });
      expect(admins.items.map((user) => user.id)).toContain(admin.userId);
      expect(admins.items.every((user) => user.role === 'admin')).toBe(true);

      expect((await call('POST', `/admin/users/${people[3].userId}/disable`)).status).toBe(200);
      expect((await search({ q: label, disabled: 'true' })).items.map((user) => user.id)).toEqual([people[3].userId]);
      expect((await search({ q: label, disabled: 'false' })).items).toHaveLength(3);
      expect((await call('POST', `/admin/users/${people[3].userId}/enable`)).status).toBe(200);

      const unverified = await createUser(t, { email: `${label}-u@example.test` });
      await t.app.get(PrismaService).user.update({ where: { id: unverified.userId }, data: { emailVerifiedAt: null } });
      expect((await search({ q: label, verified: 'false' })).items.map((user) => user.id)).toEqual([unverified.userId]);
      expect((await search({ q: label, verified: 'true' })).items).toHaveLength(4);
      expect((await search({ q: label, mfa: 'true' })).items).toEqual([]);
      expect((await search({ q: label, mfa: 'false' })).items).toHaveLength(5);

      const created = (await search({ q: label, limit: '200' })).items.map((user) => user.createdAt).sort();
      const middle = await search({ q: label, createdFrom: created[1], createdTo: created[3], limit: '200' });
      expect(middle.items.map((user) => user.createdAt).sort()).toEqual(created.slice(1, 4));
    });

    it('pages newest first with an opaque cursor, and counts on request', async () => {
      const seen: AdminUser[] = [];
      let cursor: string | null = null;
      let first = true;
      do {
        const page: UserPage = await search({ q: label, limit: '2', ...(first && { count: 'true' }), ...(cursor && { cursor }) });
        if (first) expect(page.total).toBe(5);
        first = false;
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(5);
      expect(new Set(seen.map((user) => user.id)).size).toBe(5);
      const order = seen.map((user) => `${user.createdAt}|${user.id}`);
      expect(order).toEqual([...order].sort().reverse());
      expect((await search({ q: label })).total).toBeUndefined();
    });

    it('refuses malformed filters and paging with 400 naming the parameter', async () => {
      const cases: [Record<string, string>, string][] = [
        [{ limit: '0' }, 'limit'],
        [{ limit: '201' }, 'limit'],
        [{ limit: 'abc' }, 'limit'],
        [{ limit: '1.5' }, 'limit'],
        [{ cursor: 'not a cursor!' }, 'cursor'],
        [{ cursor: Buffer.from('["yesterday","x"]').toString('base64url') }, 'cursor'],
        [{ cursor: Buffer.from('{}').toString('base64url') }, 'cursor'],
        [{ role: 'owner' }, 'role'],
        [{ disabled: 'yes' }, 'disabled'],
        [{ verified: '1' }, 'verified'],
        [{ mfa: '' }, 'mfa'],
        [{ count: 'maybe' }, 'count'],
        [{ createdFrom: 'yesterday' }, 'createdFrom'],
        [{ createdTo: '2026-13-45T00:00:00Z' }, 'createdTo'],
        [{ createdFrom: '2026-W01' }, 'createdFrom'],
        [{ createdTo: '20261101' }, 'createdTo'],
        [{ createdFrom: '2026-02-01T00:00:00Z', createdTo: '2026-01-01T00:00:00Z' }, 'createdFrom'],
        [{ q: 'a'.repeat(255) }, 'q'],
        [{ q: 'tab\tinside' }, 'q'],
        [{ sort: 'email' }, 'sort'],
      ];
      for (const [query, path] of cases) {
        const body = await problem(await get(`/admin/users?${new URLSearchParams(query).toString()}`), 400);
        expect({ query, paths: body.errors?.map((error) => error.path) }).toEqual({ query, paths: expect.arrayContaining([path]) });
      }
    });
  });

  describe('GET /admin/users/:id', () => {
    it('shows the account with its access state, live sessions and last sign-in', async () => {
      const user = await signedInUser(t);
      await login(t, user.email, user.password);
      const detail = await json<AdminUser & { activeSessions: number; lastSignInAt: string | null }>(
        await get(`/admin/users/${user.userId}`),
      );
      expect(detail).toMatchObject({ id: user.userId, email: user.email, role: 'user', disabled: false, disabledAt: null });
      expect(detail.activeSessions).toBe(2);
      expect(Date.parse(detail.lastSignInAt!)).not.toBeNaN();
      expect(detail).not.toHaveProperty('passwordHash');
      expect(detail).not.toHaveProperty('mfaSecret');
    });

    it('answers 400 for a malformed id and 404 for an unknown one', async () => {
      await problem(await get('/admin/users/not-a-uuid'), 400);
      await problem(await get(`/admin/users/${uuidv7()}`), 404);
    });
  });

  describe('PATCH /admin/users/:id/role', () => {
    it('promotes and demotes; the user’s current token follows at once', async () => {
      const user = await signedInUser(t);
      expect((await user.request('/admin/stats')).status).toBe(403);
      const promoted = await call('PATCH', `/admin/users/${user.userId}/role`, { role: 'admin' });
      expect(await json(promoted)).toMatchObject({ id: user.userId, role: 'admin' });
      expect((await user.request('/admin/stats')).status).toBe(200);
      expect((await call('PATCH', `/admin/users/${user.userId}/role`, { role: 'user' })).status).toBe(200);
      expect((await user.request('/admin/stats')).status).toBe(403);

      const events = await auditEvents(admin, { action: 'user.role-changed', targetId: user.userId });
      expect(events.map((event) => event.details)).toEqual([
        { from: 'admin', to: 'user' },
        { from: 'user', to: 'admin' },
      ]);
      expect(events.every((event) => event.actorId === admin.userId && event.targetType === 'user')).toBe(true);
    });

    it('refuses to let an admin demote themselves (409)', async () => {
      const body = await problem(await call('PATCH', `/admin/users/${admin.userId}/role`, { role: 'user' }), 409);
      expect(body.detail).toMatch(/your own/);
      expect((await admin.request('/admin/stats')).status).toBe(200);
    });

    it('refuses bad bodies and ids', async () => {
      const user = await createUser(t);
      const path = `/admin/users/${user.userId}/role`;
      for (const body of [{}, { role: 'owner' }, { role: 1 }, { role: null }, { role: 'admin', extra: true }, [], 'admin']) {
        await problem(await call('PATCH', path, body), 400);
      }
      await problem(await admin.request(path, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"role":' }), 400);
      await problem(await call('PATCH', '/admin/users/123/role', { role: 'admin' }), 400);
      await problem(await call('PATCH', `/admin/users/${uuidv7()}/role`, { role: 'admin' }), 404);
      expect(await json(await get(`/admin/users/${user.userId}`))).toMatchObject({ role: 'user' });
    });
  });

  describe('disable and enable', () => {
    it('ends the user’s sessions at once: access token, refresh token, API key and sign-in all fail', async () => {
      const user = await signedInUser(t);
      const key = await json<{ key: string }>(await user.json('POST', '/auth/api-keys', { name: 'k', scopes: ['profile:read'] }));
      expect((await t.request('/api/v1/users/me', { headers: { 'x-api-key': key.key } })).status).toBe(200);
      expect((await me(user)).status).toBe(200);

      const disabled = await call('POST', `/admin/users/${user.userId}/disable`);
      expect(await json(disabled)).toMatchObject({ id: user.userId, disabled: true, disabledAt: expect.any(String) });

      await problem(await me(user), 401);
      await problem(await refresh(user.refreshToken), 401);
      await problem(await t.request('/api/v1/users/me', { headers: { 'x-api-key': key.key } }), 401);
      await problem(await postJson(t, '/auth/login', { email: user.email, password: user.password }), 403);

      // Disabling twice changes nothing.
      expect(await json(await call('POST', `/admin/users/${user.userId}/disable`))).toMatchObject({ disabled: true });

      const enabled = await call('POST', `/admin/users/${user.userId}/enable`);
      expect(await json(enabled)).toMatchObject({ disabled: false, disabledAt: null });
      const tokens = await login(t, user.email, user.password);
      expect((await me(tokens)).status).toBe(200);
      // What ended stays ended.
      await problem(await me(user), 401);
      await problem(await refresh(user.refreshToken), 401);
      expect((await t.request('/api/v1/users/me', { headers: { 'x-api-key': key.key } })).status).toBe(200);

      const actions = (await auditEvents(admin, { targetId: user.userId, action: 'user.*' })).map((event) => event.action);
      expect(actions).toEqual(['user.enabled', 'user.disabled']);
    });

    it('refuses to let an admin disable themselves (409)', async () => {
      await problem(await call('POST', `/admin/users/${admin.userId}/disable`), 409);
      expect((await admin.request('/admin/stats')).status).toBe(200);
    });

    it('answers 400 and 404 for bad ids', async () => {
      for (const action of ['disable', 'enable']) {
        await problem(await call('POST', `/admin/users/nope/${action}`), 400);
        await problem(await call('POST', `/admin/users/${uuidv7()}/${action}`), 404);
      }
    });
  });

  describe('POST /admin/users/:id/logout', () => {
    it('revokes every session; the user can sign in again', async () => {
      const user = await signedInUser(t);
      const second = await login(t, user.email, user.password);
      expect((await call('POST', `/admin/users/${user.userId}/logout`)).status).toBe(204);
      await problem(await me(user), 401);
      await problem(await me(second), 401);
      await problem(await refresh(second.refreshToken), 401);
      expect((await me(await login(t, user.email, user.password))).status).toBe(200);
      const [event] = await auditEvents(admin, { action: 'user.sessions-revoked', targetId: user.userId });
      expect(event).toMatchObject({ actorId: admin.userId, details: { reason: 'admin-logout' } });
    });

    it('answers 400 and 404 for bad ids', async () => {
      await problem(await call('POST', '/admin/users/x/logout'), 400);
      await problem(await call('POST', `/admin/users/${uuidv7()}/logout`), 404);
    });
  });

  describe('DELETE /admin/users/:id/mfa', () => {
    it('removes the secret and recovery codes; sessions stay; the next sign-in asks for no code', async () => {
      const user = await signedInUser(t);
      const { secret } = await json<{ secret: string }>(await user.json('POST', '/auth/mfa/setup'));
      expect((await user.json('POST', '/auth/mfa/enable', { code: totpCode(secret, Date.now()) })).status).toBe(200);
      const challenge = await json<{ mfaRequired?: boolean }>(await postJson(t, '/auth/login', { email: user.email, password: PASSWORD }));
      expect(challenge.mfaRequired).toBe(true);

      expect((await call('DELETE', `/admin/users/${user.userId}/mfa`)).status).toBe(204);

      expect((await me(user)).status).toBe(200);
      expect(await json(await get(`/admin/users/${user.userId}`))).toMatchObject({ mfaEnabled: false });
      const stored = await t.app
        .get(PrismaService)
        .user.findUniqueOrThrow({ where: { id: user.userId }, include: { recoveryCodes: true } });
      expect(stored).toMatchObject({ mfaSecret: null, mfaPendingSecret: null, mfaEnabledAt: null, recoveryCodes: [] });
      const tokens = await login(t, user.email, PASSWORD);
      expect(tokens.accessToken).toEqual(expect.any(String));
      const [event] = await auditEvents(admin, { action: 'user.mfa-reset', targetId: user.userId });
      expect(event).toMatchObject({ actorId: admin.userId, details: { wasEnabled: true } });
    });

    it('answers 400 and 404 for bad ids', async () => {
      await problem(await call('DELETE', '/admin/users/x/mfa'), 400);
      await problem(await call('DELETE', `/admin/users/${uuidv7()}/mfa`), 404);
    });
  });

  describe('DELETE /admin/users/:id', () => {
    it('deletes the account as self-deletion does: sessions end, data goes, the trail keeps who did it', async () => {
      const user = await signedInUser(t);
      expect((await call('DELETE', `/admin/users/${user.userId}`)).status).toBe(204);
      await problem(await me(user), 401);
      await problem(await get(`/admin/users/${user.userId}`), 404);
      await problem(await postJson(t, '/auth/login', { email: user.email, password: user.password }), 401);
      expect(await t.app.get(PrismaService).session.count({ where: { userId: user.userId } })).toBe(0);
      const [event] = await auditEvents(admin, { action: 'user.deleted', targetId: user.userId });
      expect(event).toMatchObject({ actorType: 'user', actorId: admin.userId, outcome: 'success' });
      // The user's own earlier events stay, without what identified their device.
      const own = await t.app.get(PrismaService).auditEvent.findMany({ where: { actorId: user.userId } });
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((row) => row.ip === null && row.userAgent === null)).toBe(true);
    });

    it('refuses to let an admin delete themselves (409), and answers 400/404 for bad ids', async () => {
      await problem(await call('DELETE', `/admin/users/${admin.userId}`), 409);
      await problem(await call('DELETE', '/admin/users/not-a-uuid'), 400);
      await problem(await call('DELETE', `/admin/users/${uuidv7()}`), 404);
      expect((await admin.request('/admin/stats')).status).toBe(200);
    });
  });
});

describe('admin: the last enabled admin', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: ADMIN_TEST_ENV });
  });
  afterAll(() => t.close());

  it('cannot be demoted, disabled or deleted, whoever asks (409, nothing changed)', async () => {
    const only = await signedInUser(t, { role: 'admin' });
    const other = { kind: 'session' as const, userId: uuidv7(), role: 'admin' as const, sessionId: uuidv7() };
    const service = t.app.get(UserModerationService);
    await expect(service.setRole(other, only.userId, 'user', META)).rejects.toThrow(/last enabled admin/);
    await expect(service.disable(other, only.userId, META)).rejects.toThrow(/last enabled admin/);
    await expect(service.delete(other, only.userId, META)).rejects.toThrow(/last enabled admin/);
    const selfDeletion = await only.json('DELETE', '/users/me', { password: only.password });
    expect((await problem(selfDeletion, 409)).detail).toMatch(/last enabled admin/);
    expect(await json(await only.request(`/admin/users/${only.userId}`))).toMatchObject({ role: 'admin', disabled: false });
  });

  it('two admins demoting each other at once leave one admin', async () => {
    const a = await signedInUser(t, { role: 'admin' });
    const b = await signedInUser(t, { role: 'admin' });
    const prisma = t.app.get(PrismaService);
    // Only these two are enabled admins.
    await prisma.user.updateMany({ where: { role: 'admin', id: { notIn: [a.userId, b.userId] } }, data: { role: 'user' } });
    const [ab, ba] = await Promise.all([
      a.json('PATCH', `/admin/users/${b.userId}/role`, { role: 'user' }),
      b.json('PATCH', `/admin/users/${a.userId}/role`, { role: 'user' }),
    ]);
    expect([ab.status, ba.status].sort()).toEqual([200, expect.any(Number)]);
    expect([403, 409]).toContain(Math.max(ab.status, ba.status));
    expect(await prisma.user.count({ where: { role: 'admin', disabledAt: null } })).toBe(1);
  });
});

// Both instances read session state from the shared cache: a disablement on one is seen by the other at once.
(SHARED_SERVICES ? describe : describe.skip)('admin: disabling on one instance, two instances on PostgreSQL + Redis', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await startTwoInstances({ env: ADMIN_TEST_ENV });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('the user’s token stops working on the other instance too', async () => {
    const admin = await signedInUser(a, { role: 'admin' });
    const account = await createUser(a);
    const tokens = await login(b, account.email, account.password);
    const onB = sessionFor(b, account, tokens);
    expect((await onB.request('/users/me')).status).toBe(200);
    expect((await onB.request('/users/me')).status).toBe(200);
    expect((await admin.json('POST', `/admin/users/${account.userId}/disable`)).status).toBe(200);
    await problem(await onB.request('/users/me'), 401);
    await problem(await postJson(b, '/auth/refresh', { refreshToken: tokens.refreshToken }), 401);
    await problem(await postJson(b, '/auth/login', { email: account.email, password: account.password }), 403);
  });
});
