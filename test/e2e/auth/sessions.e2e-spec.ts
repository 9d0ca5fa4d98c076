import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { startSmtpInbox, type SmtpInbox } from '@backlot/testing/smtp-inbox';
import { login, postJson, registerAndVerify, sessionFor, signedInUser } from '@backlot/testing/auth';

describe('sessions and refresh-token rotation', () => {
  let t: TestApp;
  let inbox: SmtpInbox;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    t = await startTestApp({ env: { SMTP_URL: inbox.url, REFRESH_REUSE_GRACE_SECONDS: '0', AUTH_RATE_LIMIT_MAX: '1000' } });
  });
  afterAll(async () => {
    await t?.close();
    await inbox?.close();
  });

  it('register → verify → login → me → refresh → reuse of the old refresh token → 401 and the family revoked', async () => {
    const { email, password } = await registerAndVerify(t, inbox);
    const first = await login(t, email, password);

    const me = await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${first.accessToken}` } });
    expect(me.status).toBe(200);
    expect(await json(me)).toMatchObject({ email, emailVerified: true, role: 'user', mfaEnabled: false });

    const refreshed = await postJson(t, '/auth/refresh', { refreshToken: first.refreshToken });
    expect(refreshed.status).toBe(200);
    const second = await json<{ accessToken: string; refreshToken: string; sessionId: string }>(refreshed);
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.refreshToken).not.toBe(first.refreshToken);

    const reused = await postJson(t, '/auth/refresh', { refreshToken: first.refreshToken });
    expect(reused.status).toBe(401);
    expect(reused.headers.get('content-type')).toContain('application/problem+json');

    // The whole family is gone: the newest refresh token and the access token fail too.
    expect((await postJson(t, '/auth/refresh', { refreshToken: second.refreshToken })).status).toBe(401);
    expect((await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${second.accessToken}` } })).status).toBe(401);
  });

  it('lists sessions with the current one marked, and revoking one makes its access token fail at once', async () => {
    const user = await signedInUser(t, { userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0' });
    const other = sessionFor(t, user, await login(t, user.email, user.password));

    const list = await json<{ id: string; current: boolean; device: string }[]>(await user.request('/auth/sessions'));
    expect(list).toHaveLength(2);
    expect(list.find((s) => s.id === user.sessionId)).toMatchObject({ current: true, device: 'Firefox on Linux' });

    expect((await other.request('/users/me')).status).toBe(200);
    expect((await user.request(`/auth/sessions/${other.sessionId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await other.request('/users/me')).status).toBe(401);
    expect((await user.request('/users/me')).status).toBe(200);
  });

  it('revokes every other session', async () => {
    const user = await signedInUser(t);
    const second = sessionFor(t, user, await login(t, user.email, user.password));
    const third = sessionFor(t, user, await login(t, user.email, user.password));
    const response = await user.json('POST', '/auth/sessions/revoke-others');
    expect(await json(response)).toEqual({ revoked: 2 });
    expect((await second.request('/users/me')).status).toBe(401);
    expect((await third.request('/users/me')).status).toBe(401);
    expect((await user.request('/users/me')).status).toBe(200);
  });

  it('never shows or revokes another user’s sessions', async () => {
    const alice = await signedInUser(t);
    const mallory = await signedInUser(t);
    const list = await json<{ id: string }[]>(await mallory.request('/auth/sessions'));
    expect(list.map((s) => s.id)).toEqual([mallory.sessionId]);
    const attempt = await mallory.request(`/auth/sessions/${alice.sessionId}`, { method: 'DELETE' });
    expect(attempt.status).toBe(404);
    expect((await alice.request('/users/me')).status).toBe(200);
  });

  it('logout ends the session of the refresh token', async () => {
    const user = await signedInUser(t);
    expect((await postJson(t, '/auth/logout', { refreshToken: user.refreshToken })).status).toBe(204);
    expect((await user.request('/users/me')).status).toBe(401);
    expect((await postJson(t, '/auth/refresh', { refreshToken: user.refreshToken })).status).toBe(401);
  });

  it('spends a refresh token once even when it is presented many times at the same moment', async () => {
    const user = await signedInUser(t);
    const responses = await Promise.all(Array.from({ length: 8 }, () => postJson(t, '/auth/refresh', { refreshToken: user.refreshToken })));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(7);
    // The others were reuse (grace window off here): the family is revoked, the winner's tokens too.
    const winner = await json<{ refreshToken: string }>(responses[statuses.indexOf(200)]);
    expect((await postJson(t, '/auth/refresh', { refreshToken: winner.refreshToken })).status).toBe(401);
  });
});
