import { randomBytes } from 'node:crypto';
import { totpCode } from '@backlot/security';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@backlot/testing/test-env';

const shared = TEST_DATABASE_URL && TEST_REDIS_URL;

// GET /users/me is served from the shared cache; every write must be visible through the other instance at once.
(shared ? describe : describe.skip)('the cached profile across two instances', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp({ env: { JWT_SECRET: randomBytes(32).toString('base64url') } });
    b = await startTestApp({ sameEnvironmentAs: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const meThrough = async (t: TestApp, user: UserSession) =>
    json(await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${user.accessToken}` } }));

  it('shows a profile change made on one instance through the other', async () => {
    const user = await signedInUser(a);
    expect(await meThrough(b, user)).toMatchObject({ displayName: null });
    expect((await user.json('PATCH', '/users/me', { displayName: 'Ada', timezone: 'utc' })).status).toBe(200);
    expect(await meThrough(b, user)).toMatchObject({ displayName: 'Ada', timezone: 'UTC' });
  });

  it('shows MFA turned on at once', async () => {
    const user = await signedInUser(a);
    expect(await meThrough(b, user)).toMatchObject({ mfaEnabled: false });
    const { secret } = await json<{ secret: string }>(await user.json('POST', '/auth/mfa/setup'));
    expect((await user.json('POST', '/auth/mfa/enable', { code: totpCode(secret, Date.now()) })).status).toBe(200);
    expect(await meThrough(b, user)).toMatchObject({ mfaEnabled: true });
  });
});
