import { AppleStandIn } from '@backlot/testing/apple-standin';
import { postJson } from '@backlot/testing/auth';
import { authorizePath, VERIFIER } from '@backlot/testing/provider-flow';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

const PUBLIC_URL = 'http://backlot.test';
const SPA_PAGE = 'http://spa.test/auth/done';
const CLIENT_ID = 'com.example.backlot.web';

describe('Sign in with Apple (form_post callback, client secret signed by the team key) against a loopback stand-in', () => {
  let t: TestApp;
  let apple: AppleStandIn;

  beforeAll(async () => {
    apple = await AppleStandIn.start(CLIENT_ID);
    t = await startTestApp({
      env: {
        PUBLIC_URL,
        OAUTH_REDIRECT_URLS: SPA_PAGE,
        AUTH_PROVIDERS: 'apple',
        AUTH_APPLE_ISSUER: apple.url,
        AUTH_APPLE_CLIENT_ID: CLIENT_ID,
        AUTH_APPLE_TEAM_ID: apple.teamId,
        AUTH_APPLE_KEY_ID: apple.keyId,
        // As a one-line environment value, with \n for the line breaks.
        AUTH_APPLE_PRIVATE_KEY: apple.privateKeyPem().replace(/\n/g, '\\n'),
        AUTH_RATE_LIMIT_MAX: '100000',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await apple?.close();
  });

  /** Starts a sign-in, lets Apple answer, and posts its form to the app as the browser would; answers the SPA page. */
  async function signIn(): Promise<URL> {
    const started = await t.request(authorizePath('apple', SPA_PAGE), { redirect: 'manual' });
    expect(started.status).toBe(302);
    const authorize = new URL(started.headers.get('location')!);
    expect(authorize.searchParams.get('response_mode')).toBe('form_post');
    const { action, fields } = await apple.signIn(authorize.href);
    expect(action).toBe(`${PUBLIC_URL}/api/v1/auth/providers/apple/callback`);
    const back = await t.request(new URL(action).pathname, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://appleid.apple.com' },
      body: fields.toString(),
    });
    expect(back.status).toBe(302);
    return new URL(back.headers.get('location')!);
  }

  it('creates the account with the name Apple posts once, and signs the same account in afterwards', async () => {
    apple.setUser({
      sub: '000111.firstapple',
      email: 'relay-one@privaterelay.appleid.com',
      name: { firstName: 'Ada', lastName: 'Lovelace' },
    });
    const page = await signIn();
    expect(page.searchParams.get('error_description')).toBeNull();
    const exchanged = await postJson(t, '/auth/providers/exchange', { code: page.searchParams.get('code'), verifier: VERIFIER });
    expect(exchanged.status).toBe(200);
    const { accessToken } = await json<{ accessToken: string }>(exchanged);
    const me = await json<{ id: string; email: string; displayName: string; emailVerified: boolean }>(
      await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${accessToken}` } }),
    );
    // Apple's email_verified is the string "true".
    expect(me).toMatchObject({ email: 'relay-one@privaterelay.appleid.com', displayName: 'Ada Lovelace', emailVerified: true });

    const again = await signIn();
    const second = await json<{ accessToken: string }>(
      await postJson(t, '/auth/providers/exchange', { code: again.searchParams.get('code'), verifier: VERIFIER }),
    );
    const meAgain = await json<{ id: string }>(
      await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${second.accessToken}` } }),
    );
    expect(meAgain.id).toBe(me.id);
  });

  it('takes a form only on the callback: other routes still answer 415, and an oversized form 413', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const login = await t.request('/api/v1/auth/login', { method: 'POST', headers: form, body: 'email=a%40b.c&password=x' });
    expect(login.status).toBe(415);
    expect(login.headers.get('content-type')).toContain('application/problem+json');
    const huge = await t.request('/api/v1/auth/providers/apple/callback', {
      method: 'POST',
      headers: form,
      body: `state=${'x'.repeat(70_000)}`,
    });
    expect(huge.status).toBe(413);
    const unknownState = await t.request('/api/v1/auth/providers/apple/callback', {
      method: 'POST',
      headers: form,
      body: 'state=nope&code=x',
    });
    expect(unknownState.status).toBe(400);
    expect(unknownState.headers.get('content-type')).toContain('application/problem+json');
    const json = await t.request('/api/v1/auth/providers/apple/callback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"state":"x"}',
    });
    expect(json.status).toBe(400);
  });
});
