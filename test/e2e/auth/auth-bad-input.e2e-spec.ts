import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { login, postJson, sessionFor, signedInUser, uniqueEmail, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@backlot/testing/test-env';

const STRONG = 'a new passphrase 1';
const TOKEN = 'A'.repeat(43);
const MALFORMED_BODY = 'https://backlot.dev/problems/malformed-body';
const VALIDATION = 'https://backlot.dev/problems/validation';

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string; code: string; message: string }[];
}

interface Route {
  method: 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** Needs the signed-in user's access token. */
  auth?: boolean;
  /** A body that passes validation (the unknown-property case adds to it). */
  valid: Record<string, unknown>;
  /** Every field with a value of the wrong type. */
  wrongTypes: Record<string, unknown>;
}

// Every auth and users route that takes a body.
const ROUTES: Route[] = [
  {
    method: 'POST',
    path: '/auth/register',
    valid: { email: 'ada@example.com', password: STRONG },
    wrongTypes: { email: 42, password: ['x'] },
  },
  {
    method: 'POST',
    path: '/auth/login',
    valid: { email: 'ada@example.com', password: STRONG },
    wrongTypes: { email: {}, password: 1, cookie: 'yes' },
  },
  { method: 'POST', path: '/auth/refresh', valid: { refreshToken: TOKEN }, wrongTypes: { refreshToken: 123 } },
  { method: 'POST', path: '/auth/logout', valid: { refreshToken: TOKEN }, wrongTypes: { refreshToken: true } },
  { method: 'POST', path: '/auth/verify-email', valid: { token: TOKEN }, wrongTypes: { token: 1 } },
  { method: 'POST', path: '/auth/verify-email/resend', valid: { email: 'ada@example.com' }, wrongTypes: { email: [] } },
  { method: 'POST', path: '/auth/password/forgot', valid: { email: 'ada@example.com' }, wrongTypes: { email: false } },
  { method: 'POST', path: '/auth/password/reset', valid: { token: TOKEN, password: STRONG }, wrongTypes: { token: 1, password: 2 } },
  { method: 'POST', path: '/auth/otp', valid: { email: 'ada@example.com' }, wrongTypes: { email: 7 } },
  {
    method: 'POST',
    path: '/auth/otp/verify',
    valid: { email: 'ada@example.com', code: '123456' },
    wrongTypes: { email: {}, code: 123456, cookie: 'yes' },
  },
  {
    method: 'POST',
    path: '/auth/providers/exchange',
    valid: { code: TOKEN, verifier: TOKEN },
    wrongTypes: { code: 43, verifier: 43, cookie: 'yes' },
  },
  {
    method: 'POST',
    path: '/users/me/identities',
    auth: true,
    valid: { provider: 'github', redirect: 'https://app.example.com/done', challenge: TOKEN },
    wrongTypes: { provider: 1, redirect: ['x'], challenge: 43 },
  },
  {
    method: 'POST',
    path: '/users/me/identities/confirm',
    auth: true,
    valid: { code: TOKEN, verifier: TOKEN },
    wrongTypes: { code: 1, verifier: {} },
  },
  {
    method: 'POST',
    path: '/auth/mfa/verify',
    valid: { challengeToken: TOKEN, code: '123456' },
    wrongTypes: { challengeToken: 1, code: 123456, cookie: 1 },
  },
  { method: 'POST', path: '/auth/mfa/enable', auth: true, valid: { code: '123456' }, wrongTypes: { code: 123456 } },
  { method: 'POST', path: '/auth/mfa/disable', auth: true, valid: { code: '123456' }, wrongTypes: { code: 1, password: 2 } },
  { method: 'POST', path: '/auth/mfa/recovery-codes', auth: true, valid: { code: '123456' }, wrongTypes: { code: {} } },
  {
    method: 'POST',
    path: '/auth/api-keys',
    auth: true,
    valid: { name: 'k', scopes: ['profile:read'] },
    wrongTypes: { name: 1, scopes: 'profile:read', expiresAt: 2 },
  },
  {
    method: 'PATCH',
    path: '/users/me',
    auth: true,
    valid: { displayName: 'Ada' },
    wrongTypes: { displayName: 1, bio: 2, locale: 3, timezone: 4, avatarUrl: 5 },
  },
  { method: 'DELETE', path: '/users/me', auth: true, valid: { password: STRONG }, wrongTypes: { password: 1, code: 2 } },
  {
    method: 'POST',
    path: '/users/me/password',
    auth: true,
    valid: { currentPassword: STRONG, newPassword: STRONG },
    wrongTypes: { currentPassword: 1, newPassword: 2 },
  },
  {
    method: 'POST',
    path: '/users/me/email',
    auth: true,
    valid: { newEmail: 'ada@example.com', password: STRONG },
    wrongTypes: { newEmail: 1, password: 2 },
  },
  { method: 'POST', path: '/users/email-change/confirm', valid: { token: TOKEN }, wrongTypes: { token: 1 } },
];
const route = (method: Route['method'], path: string) => ROUTES.find((r) => r.method === method && r.path === path)!;
const EMAIL_ROUTES: (Route & { field: string })[] = [
  { ...route('POST', '/auth/register'), field: 'email' },
  { ...route('POST', '/auth/login'), field: 'email' },
  { ...route('POST', '/auth/verify-email/resend'), field: 'email' },
  { ...route('POST', '/auth/password/forgot'), field: 'email' },
  { ...route('POST', '/auth/otp'), field: 'email' },
  { ...route('POST', '/auth/otp/verify'), field: 'email' },
  { ...route('POST', '/users/me/email'), field: 'newEmail' },
];
const NEW_PASSWORD_ROUTES: (Route & { field: string })[] = [
  { ...route('POST', '/auth/register'), field: 'password' },
  { ...route('POST', '/auth/password/reset'), field: 'password' },
  { ...route('POST', '/users/me/password'), field: 'newPassword' },
];

// A syntactically valid address of 260 characters (labels within their own limits).
const LONG_EMAIL = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`;
const LONG_PASSWORD = 'Long passphrase '.repeat(8) + 'x';

describe('bad input on auth and users routes', () => {
  let t: TestApp;
  let user: UserSession;
  let clients = 0;

  // Each request comes from its own forwarded address, so the per-IP limits on account
  // routes (5–10 a minute) cannot turn the 400s under test into 429s.
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: '127.0.0.1', AUTH_RATE_LIMIT_MAX: '1000' } });
    user = await signedInUser(t);
  });
  afterAll(() => t?.close());

  const send = (r: Route, body: string) => {
    clients += 1;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-forwarded-for': `10.${(clients >> 16) & 255}.${(clients >> 8) & 255}.${clients & 255}`,
    };
    if (r.auth) headers.authorization = `Bearer ${user.accessToken}`;
    return t.request(`/api/v1${r.path}`, { method: r.method, headers, body });
  };
  const expectProblem = async (response: Response, type: string): Promise<Problem> => {
    const body = await json<Problem>(response);
    expect({ status: response.status, type: body.type }).toEqual({ status: 400, type });
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    return body;
  };
  const errorPaths = (problem: Problem) => [...new Set((problem.errors ?? []).map((error) => error.path))].sort();

  // JSON bodies; the one form route (a provider's form_post callback) has its tests with the Apple sign-in.
  it('covers every auth and users route with a JSON body in openapi.json', () => {
    const document = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'openapi.json'), 'utf8')) as {
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } }>>;
    };
    const documented = Object.entries(document.paths)
      .filter(([path]) => /^\/api\/v1\/(auth|users)\//.test(path))
      .flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([, operation]) => operation.requestBody?.content?.['application/json'] !== undefined)
          .map(([method]) => `${method.toUpperCase()} ${path.slice('/api/v1'.length)}`),
      );
    expect(ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(documented.sort());
  });

  describe.each(ROUTES)('$method $path', (r) => {
    it.each([
      ['a truncated object', '{"email": '],
      ['single quotes', `{'email': 'ada@example.com'}`],
      ['unquoted keys', '{email: 1}'],
      ['a trailing brace', '{"a":1}}'],
      ['a bare word', 'nul'],
      ['an empty body', ''],
    ])('answers 400 malformed-body to JSON with %s', async (_label, body) => {
      await expectProblem(await send(r, body), MALFORMED_BODY);
    });

    it.each([
      ['__proto__', '{"__proto__": {"role": "admin"}}'],
      ['constructor.prototype', '{"constructor": {"prototype": {"role": "admin"}}}'],
    ])('refuses a %s key (prototype poisoning) with 400', async (_label, body) => {
      const response = await send(r, body);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it.each([['[]'], ['"text"'], ['42'], ['true'], ['[{"email":"ada@example.com"}]']])(
      'answers 400, never 500, to the JSON value %s instead of an object',
      async (body) => {
        const response = await send(r, body);
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      },
    );

    // Nest's validation pipe reads a null body as no body at all, i.e. as {}.
    it('answers a JSON null body exactly as an empty object, never 500', async () => {
      const empty = await send(r, '{}');
      const nullBody = await send(r, 'null');
      expect(nullBody.status).toBe(empty.status);
      expect(nullBody.status).toBeLessThan(500);
    });

    it('answers 400 with the path of every field of the wrong type', async () => {
      const problem = await expectProblem(await send(r, JSON.stringify(r.wrongTypes)), VALIDATION);
      expect(errorPaths(problem)).toEqual(Object.keys(r.wrongTypes).sort());
    });

    it('answers 400 to an unknown property, naming it', async () => {
      const problem = await expectProblem(await send(r, JSON.stringify({ ...r.valid, role: 'admin' })), VALIDATION);
      expect(problem.errors).toEqual([{ path: 'role', code: 'unknownProperty', message: expect.any(String) }]);
    });
  });

  it.each([
    ['an email over 254 characters', 'POST /auth/register', { email: LONG_EMAIL, password: STRONG }, 'email'],
    ['an email over 254 characters', 'POST /auth/login', { email: LONG_EMAIL, password: STRONG }, 'email'],
    ['an email over 254 characters', 'POST /auth/verify-email/resend', { email: LONG_EMAIL }, 'email'],
    ['an email over 254 characters', 'POST /auth/password/forgot', { email: LONG_EMAIL }, 'email'],
    ['an email over 254 characters', 'POST /auth/otp', { email: LONG_EMAIL }, 'email'],
    ['an email over 254 characters', 'POST /auth/otp/verify', { email: LONG_EMAIL, code: '123456' }, 'email'],
    ['a token of 1000 characters', 'POST /auth/otp/verify', { token: 'A'.repeat(1000) }, 'token'],
    ['an email over 254 characters', 'POST /users/me/email', { newEmail: LONG_EMAIL, password: STRONG }, 'newEmail'],
    ['a password over 128 characters', 'POST /auth/register', { email: 'ada@example.com', password: LONG_PASSWORD }, 'password'],
    ['a password over 128 characters', 'POST /auth/login', { email: 'ada@example.com', password: LONG_PASSWORD }, 'password'],
    ['a password over 128 characters', 'POST /auth/password/reset', { token: TOKEN, password: LONG_PASSWORD }, 'password'],
    ['a password over 128 characters', 'POST /auth/mfa/disable', { password: LONG_PASSWORD }, 'password'],
    ['a password over 128 characters', 'DELETE /users/me', { password: LONG_PASSWORD }, 'password'],
    ['a password over 128 characters', 'POST /users/me/email', { newEmail: 'ada@example.com', password: LONG_PASSWORD }, 'password'],
    [
      'a current password over 128 characters',
      'POST /users/me/password',
      { currentPassword: LONG_PASSWORD, newPassword: STRONG },
      'currentPassword',
    ],
    [
      'a new password over 128 characters',
      'POST /users/me/password',
      { currentPassword: STRONG, newPassword: LONG_PASSWORD },
      'newPassword',
    ],
    ['a displayName over 100 characters', 'PATCH /users/me', { displayName: 'd'.repeat(101) }, 'displayName'],
    ['a bio over 500 characters', 'PATCH /users/me', { bio: 'b'.repeat(501) }, 'bio'],
    ['an avatarUrl over 2048 characters', 'PATCH /users/me', { avatarUrl: `https://example.com/${'a'.repeat(2048)}.png` }, 'avatarUrl'],
    ['an API key name over 100 characters', 'POST /auth/api-keys', { name: 'n'.repeat(101), scopes: ['profile:read'] }, 'name'],
    ['a token of 1000 characters', 'POST /auth/verify-email', { token: 'A'.repeat(1000) }, 'token'],
    ['a token of 1000 characters', 'POST /auth/password/reset', { token: 'A'.repeat(1000), password: STRONG }, 'token'],
    ['a token of 1000 characters', 'POST /users/email-change/confirm', { token: 'A'.repeat(1000) }, 'token'],
    [
      'a challenge token of 1000 characters',
      'POST /auth/mfa/verify',
      { challengeToken: 'A'.repeat(1000), code: '123456' },
      'challengeToken',
    ],
    ['a refresh token over 64 characters', 'POST /auth/refresh', { refreshToken: 'A'.repeat(65) }, 'refreshToken'],
    ['a refresh token over 64 characters', 'POST /auth/logout', { refreshToken: 'A'.repeat(65) }, 'refreshToken'],
  ])('refuses %s on %s with 400', async (_label, target, body, path) => {
    const [method, url] = target.split(' ') as [Route['method'], string];
    const problem = await expectProblem(await send(route(method, url), JSON.stringify(body)), VALIDATION);
    expect(errorPaths(problem)).toEqual([path]);
  });

  describe.each(NEW_PASSWORD_ROUTES)('new password on $method $path', ({ field, ...r }) => {
    it.each([
      ['too short', 'short1!', /at least 10 characters/],
      ['a common password', 'password123', /commonly used/],
      ['a common password in other letter case', 'PASSWORD123', /commonly used/],
      ['one letter repeated', 'aaaaaaaaaaaa', /too repetitive/],
      ['two characters alternating', 'abababababab', /too repetitive/],
    ])('refuses a password that is %s, naming the rule', async (_label, password, rule) => {
      const problem = await expectProblem(await send(r, JSON.stringify({ ...r.valid, [field]: password })), VALIDATION);
      expect(problem.errors).toEqual([{ path: field, code: 'isNewPassword', message: expect.stringMatching(rule) }]);
    });
  });

  it('does not apply the new-password policy to sign-in: a short wrong password is just wrong', async () => {
    const response = await send(route('POST', '/auth/login'), JSON.stringify({ email: uniqueEmail(), password: 'short' }));
    expect(response.status).toBe(401);
  });

  describe.each(EMAIL_ROUTES)('email on $method $path', ({ field, ...r }) => {
    it.each([
      ['no @', 'ada.example.com'],
      ['nothing before the @', '@example.com'],
      ['nothing after the @', 'ada@'],
      ['no dot in the domain', 'ada@localhost'],
      ['a space inside', 'ada lovelace@example.com'],
      ['two @', 'ada@@example.com'],
      ['a header injection', 'ada@example.com\r\nBcc: eve@example.com'],
      ['an empty string', ''],
    ])('refuses an address with %s', async (_label, email) => {
      const problem = await expectProblem(await send(r, JSON.stringify({ ...r.valid, [field]: email })), VALIDATION);
      expect(errorPaths(problem)).toEqual([field]);
    });
  });

  describe('PATCH /users/me', () => {
    const patch = route('PATCH', '/users/me');

    it.each([
      ['timezone', 'Mars/Olympus_Mons'],
      ['timezone', 'Europe/Pariss'],
      ['timezone', ''],
      ['timezone', `Europe/${'x'.repeat(64)}`],
      ['locale', 'english'],
      ['locale', 'en_GB'],
      ['locale', 'e'],
      ['locale', 'en-GB; DROP TABLE users'],
      ['avatarUrl', 'http://example.com/me.png'],
      ['avatarUrl', 'javascript:alert(1)'],
      ['avatarUrl', 'JavaScript:alert(document.cookie)'],
      ['avatarUrl', 'data:image/png;base64,iVBORw0KGgo='],
      ['avatarUrl', 'ftp://example.com/me.png'],
      ['avatarUrl', '//example.com/me.png'],
      ['avatarUrl', 'https://'],
      ['displayName', ''],
      ['displayName', 'Ada\u0007Lovelace'],
      ['displayName', 'Ada\nLovelace'],
    ])('refuses %s %j with 400 naming the field', async (field, value) => {
      const problem = await expectProblem(await send(patch, JSON.stringify({ [field]: value })), VALIDATION);
      expect(errorPaths(problem)).toEqual([field]);
    });

    it('accepts well-formed values and null to clear them (so the refusals above are about the values)', async () => {
      const profile = {
        displayName: 'Ada Lovelace',
        locale: 'en-GB',
        timezone: 'Europe/Paris',
        avatarUrl: 'https://example.com/me.png',
        bio: 'Analyst',
      };
      const set = await send(patch, JSON.stringify(profile));
      expect(set.status).toBe(200);
      expect(await json(set)).toMatchObject(profile);

      const cleared = await send(patch, JSON.stringify({ displayName: null, locale: null, timezone: null, avatarUrl: null, bio: null }));
      expect(cleared.status).toBe(200);
      expect(await json(cleared)).toMatchObject({ displayName: null, locale: null, timezone: null, avatarUrl: null, bio: null });
    });
  });
});

const shared = TEST_DATABASE_URL && TEST_REDIS_URL;

// Two instances of one deployment need the shared PostgreSQL and Redis (see instances.e2e-spec.ts).
// Revocations go through A's services while B has cached the session. (In one process passport
// keeps a single JWT strategy, the last instance's, so bearer tokens resolve through B on both.)
(shared ? describe : describe.skip)('session revocation across two instances', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // Instances of one deployment share JWT_SECRET; a test app would otherwise make up its own.
    a = await startTestApp({ env: { JWT_SECRET: randomBytes(32).toString('base64url'), AUTH_RATE_LIMIT_MAX: '1000' } });
    b = await startTestApp({ sameEnvironmentAs: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** A second session of the user, signed in through A, whose token B has just served (so B cached it). */
  const servedByB = async (user: UserSession) => {
    const tokens = await login(a, user.email, user.password);
    const onB = sessionFor(b, user, tokens);
    expect((await onB.request('/users/me')).status).toBe(200);
    return onB;
  };

  it('a session revoked through one instance stops working on the other at once', async () => {
    const user = await signedInUser(a);
    const doomed = await servedByB(user);

    expect((await user.request(`/auth/sessions/${doomed.sessionId}`, { method: 'DELETE' })).status).toBe(204);

    expect((await doomed.request('/users/me')).status).toBe(401);
    expect((await sessionFor(b, user, user).request('/users/me')).status).toBe(200);
  });

  it('a logout through one instance ends the session on the other at once', async () => {
    const user = await signedInUser(a);
    const doomed = await servedByB(user);

    expect((await postJson(a, '/auth/logout', { refreshToken: doomed.refreshToken })).status).toBe(204);

    expect((await doomed.request('/users/me')).status).toBe(401);
  });

  it('revoking every other session through one instance ends them on the other at once', async () => {
    const user = await signedInUser(a);
    const [first, second] = [await servedByB(user), await servedByB(user)];

    expect(await json(await user.json('POST', '/auth/sessions/revoke-others'))).toEqual({ revoked: 2 });

    expect((await first.request('/users/me')).status).toBe(401);
    expect((await second.request('/users/me')).status).toBe(401);
    expect((await sessionFor(b, user, user).request('/users/me')).status).toBe(200);
  });
});
