import { login, signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';
import { v7 as uuidv7 } from 'uuid';
import { type AdminApp, auditEvents, problem, startAdminApp } from './admin-helpers';

interface AdminSession {
  id: string;
  device: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
}

describe('admin: a user’s sessions', () => {
  let app: AdminApp;
  let t: TestApp;
  let admin: UserSession;

  beforeAll(async () => {
    app = await startAdminApp();
    ({ t, admin } = app);
  });
  afterAll(() => t.close());

  const sessionsOf = async (id: string) =>
    app.conforms('GET', `/admin/users/${id}/sessions`, await admin.request(`/admin/users/${id}/sessions`));

  it('lists the live sessions with device and user agent, never a token or its hash', async () => {
    const user = await signedInUser(t, { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' });
    const second = await login(t, user.email, user.password, { 'user-agent': '<script>alert(1)</script>' });
    const response = await sessionsOf(user.userId);
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const secret of [user.accessToken, user.refreshToken, second.accessToken, second.refreshToken]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/hash|token/i);
    const sessions = JSON.parse(text) as AdminSession[];
    expect(sessions.map((session) => session.id).sort()).toEqual([user.sessionId, second.sessionId].sort());
    expect(sessions.find((session) => session.id === user.sessionId)).toMatchObject({
      device: 'Firefox on Linux',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    });
    expect(sessions.find((session) => session.id === second.sessionId)?.userAgent).toBe('<script>alert(1)</script>');
    const events = await auditEvents(admin, { action: 'admin.users.sessions', targetId: user.userId });
    expect(events[0]).toMatchObject({ outcome: 'success' });
  });

  it('leaves out ended sessions: after a force logout the list is empty', async () => {
    const user = await signedInUser(t);
    expect(await json<AdminSession[]>(await sessionsOf(user.userId))).toHaveLength(1);
    expect((await admin.request(`/admin/users/${user.userId}/logout`, { method: 'POST' })).status).toBe(204);
    expect(await json<AdminSession[]>(await sessionsOf(user.userId))).toEqual([]);
  });

  it('answers 404 for an unknown user and 400 for an id that is not a UUID', async () => {
    await problem(await sessionsOf(uuidv7()), 404);
    const bad = await problem(await sessionsOf('not-a-uuid'), 400);
    expect(bad.errors?.[0]).toMatchObject({ path: 'id' });
  });

  it('refuses a non-admin (403), even for their own sessions, and an anonymous caller (401)', async () => {
    const user = await signedInUser(t);
    await problem(await user.request(`/admin/users/${user.userId}/sessions`), 403);
    await problem(await t.request(`/api/v1/admin/users/${user.userId}/sessions`), 401);
  });
});
