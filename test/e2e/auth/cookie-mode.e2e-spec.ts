import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { createUser, login, postJson, sessionFor, signedInUser } from '@backlot/testing/auth';

const APP_URL = 'https://app.backlot.test';
const CORS_ORIGIN = 'https://admin.backlot.test';
const COOKIE = 'backlot_refresh';

interface CookieTokens {
  accessToken: string;
  refreshToken?: string;
  sessionId: string;
}

/** The value of the refresh cookie a response sets, and the raw Set-Cookie header. */
function refreshCookie(response: Response): { value: string; header: string } {
  const headers = response.headers.getSetCookie().filter((header) => header.startsWith(`${COOKIE}=`));
  expect(headers).toHaveLength(1);
  const [pair] = headers[0].split(';');
  return { value: pair.slice(COOKIE.length + 1), header: headers[0] };
}

/** The attributes of a Set-Cookie header, by lower-case name (flags map to true). */
function attributes(header: string): Record<string, string | true> {
  return Object.fromEntries(
    header
      .split(';')
      .slice(1)
      .map((part) => part.trim().split('='))
      .map(([name, value]) => [name.toLowerCase(), value ?? true]),
  );
}

describe('SPA cookie mode', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { APP_URL, CORS_ORIGINS: CORS_ORIGIN, REFRESH_REUSE_GRACE_SECONDS: '0', AUTH_RATE_LIMIT_MAX: '10000' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  function sameSite(origin = t.baseUrl): Record<string, string> {
    return { origin, 'x-backlot-csrf': '1' };
  }

  function me(accessToken: string): Promise<Response> {
    return t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${accessToken}` } });
  }

  function refreshWith(cookie: string, headers = sameSite()): Promise<Response> {
    return postJson(t, '/auth/refresh', {}, { ...headers, cookie: `${COOKIE}=${cookie}` });
  }

  async function cookieLogin(): Promise<{ cookie: string; tokens: CookieTokens }> {
    const account = await createUser(t);
    const response = await postJson(t, '/auth/login', { email: account.email, password: account.password, cookie: true }, sameSite());
    expect(response.status).toBe(200);
    return { cookie: refreshCookie(response).value, tokens: await json<CookieTokens>(response) };
  }

  it('login with cookie: true sets an HttpOnly, Secure, SameSite=Strict cookie on the auth path and leaves the refresh token out of the body', async () => {
    const account = await createUser(t);
    const response = await postJson(t, '/auth/login', { email: account.email, password: account.password, cookie: true }, sameSite());
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');

    const body = await json<CookieTokens>(response);
    expect(body).toMatchObject({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      sessionId: expect.any(String),
      refreshTokenExpiresAt: expect.any(String),
    });
    expect(body).not.toHaveProperty('refreshToken');

    const { value, header } = refreshCookie(response);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(attributes(header)).toMatchObject({ httponly: true, secure: true, samesite: 'Strict', path: '/api/v1/auth' });
    expect(Number(attributes(header)['max-age'])).toBeGreaterThan(0);
    expect((await me(body.accessToken)).status).toBe(200);
  });

  it('refresh from the cookie rotates it; the old cookie value then fails with 401', async () => {
    const { cookie, tokens } = await cookieLogin();

    const refreshed = await refreshWith(cookie);
    expect(refreshed.status).toBe(200);
    const body = await json<CookieTokens>(refreshed);
    expect(body).not.toHaveProperty('refreshToken');
    expect(body.sessionId).toBe(tokens.sessionId);
    const next = refreshCookie(refreshed);
    expect(next.value).not.toBe(cookie);
    expect(attributes(next.header)).toMatchObject({ httponly: true, secure: true, samesite: 'Strict', path: '/api/v1/auth' });
    expect((await me(body.accessToken)).status).toBe(200);

    const reused = await refreshWith(cookie);
    expect(reused.status).toBe(401);
    expect(reused.headers.get('content-type')).toContain('application/problem+json');
    // Reuse detection ends the session: the rotated cookie is dead too.
    expect((await refreshWith(next.value)).status).toBe(401);
  });

  it('refresh without a cookie or a body token is 401', async () => {
    const response = await postJson(t, '/auth/refresh', {}, sameSite());
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  describe.each([
    ['the x-backlot-csrf header is missing', (t: TestApp) => ({ origin: t.baseUrl })],
    ['the x-backlot-csrf header is not 1', (t: TestApp) => ({ origin: t.baseUrl, 'x-backlot-csrf': 'true' })],
    ['the Origin header is missing', () => ({ 'x-backlot-csrf': '1' })],
    ['the Origin is foreign', () => ({ origin: 'https://evil.example', 'x-backlot-csrf': '1' })],
  ])('refuses cookie mode with 403 when %s', (_, headersFor) => {
    it('on login, before the password is checked, and no session starts', async () => {
      const account = await createUser(t);
      const wrongPassword = await postJson(
        t,
        '/auth/login',
        { email: account.email, password: 'not the password', cookie: true },
        headersFor(t),
      );
      expect(wrongPassword.status).toBe(403);
      const response = await postJson(t, '/auth/login', { email: account.email, password: account.password, cookie: true }, headersFor(t));
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.headers.getSetCookie()).toEqual([]);

      const user = sessionFor(t, account, await login(t, account.email, account.password));
      expect(await json<unknown[]>(await user.request('/auth/sessions'))).toHaveLength(1);
    });

    it('on refresh, and the cookie keeps working', async () => {
      const { cookie } = await cookieLogin();
      const refused = await refreshWith(cookie, headersFor(t));
      expect(refused.status).toBe(403);
      expect(refused.headers.getSetCookie()).toEqual([]);
      expect((await refreshWith(cookie)).status).toBe(200);
    });

    it('on logout, and the session stays', async () => {
      const { cookie, tokens } = await cookieLogin();
      const refused = await postJson(t, '/auth/logout', {}, { ...headersFor(t), cookie: `${COOKIE}=${cookie}` });
      expect(refused.status).toBe(403);
      expect(refused.headers.getSetCookie()).toEqual([]);
      expect((await me(tokens.accessToken)).status).toBe(200);
    });
  });

  it('accepts the APP_URL origin and an origin listed in CORS_ORIGINS', async () => {
    for (const origin of [APP_URL, CORS_ORIGIN]) {
      const account = await createUser(t);
      const response = await postJson(
        t,
        '/auth/login',
        { email: account.email, password: account.password, cookie: true },
        sameSite(origin),
      );
      expect({ origin, status: response.status }).toEqual({ origin, status: 200 });
      const refreshed = await refreshWith(refreshCookie(response).value, sameSite(origin));
      expect({ origin, status: refreshed.status }).toEqual({ origin, status: 200 });
    }
  });

  it('logout from the cookie clears it and ends the session', async () => {
    const { cookie, tokens } = await cookieLogin();

    const response = await postJson(t, '/auth/logout', {}, { ...sameSite(), cookie: `${COOKIE}=${cookie}` });
    expect(response.status).toBe(204);
    const cleared = refreshCookie(response);
    expect(cleared.value).toBe('');
    expect(attributes(cleared.header)).toMatchObject({ 'max-age': '0', path: '/api/v1/auth', httponly: true, secure: true });

    expect((await me(tokens.accessToken)).status).toBe(401);
    expect((await refreshWith(cookie)).status).toBe(401);
  });

  it('body mode needs neither the CSRF header nor an Origin', async () => {
    const user = await signedInUser(t);
    const refreshed = await postJson(t, '/auth/refresh', { refreshToken: user.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.getSetCookie()).toEqual([]);
    expect(await json(refreshed)).toHaveProperty('refreshToken');
  });
});
