import { totpCode } from '@backlot/security';
import { PASSWORD, uniqueEmail } from '@backlot/testing/auth';
import { linksIn, startSmtpInbox, tokenFromLink, type SmtpInbox } from '@backlot/testing/smtp-inbox';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

type Json = Record<string, unknown>;

interface Exchange {
  status: number;
  body: Json;
  headers: Headers;
}

/** Fields that carry a credential, in request or response bodies. */
const SECRET_FIELDS = new Set([
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  'challengeToken',
  'secret',
  'otpauthUri',
  'key',
  'recoveryCodes',
  'code',
]);
// TOTP codes are six digits, valid for a minute: any run of digits in a log line (a UUID, a
// duration) could match one by chance, so they are left out. Everything else is long and random.
const TOTP_CODE = /^\d{6}$/;
const ADMIN_PASSWORD = 'bootstrap admin passphrase';
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

describe('secrets in the logs', () => {
  const lines: string[] = [];
  /** Every secret seen, with where it was seen (to name a leak without a needle in a haystack). */
  const secrets = new Map<string, string>();
  const errorResponses: { route: string; status: number; text: string }[] = [];
  let t: TestApp;
  let inbox: SmtpInbox;

  function remember(value: unknown, label: string): void {
    if (typeof value === 'string' && value.length >= 8 && !TOTP_CODE.test(value)) {
      if (!secrets.has(value)) secrets.set(value, label);
      // Logging part of a JWT is a leak too: the header and payload are guessable, the signature is not.
      const signature = /^[\w-]+\.[\w-]+\.([\w-]{20,})$/.exec(value)?.[1];
      if (signature) remember(signature, `${label} (JWT signature)`);
    } else if (Array.isArray(value)) value.forEach((item, index) => remember(item, `${label}[${index}]`));
  }

  function rememberFields(body: unknown, label: string): void {
    if (typeof body !== 'object' || body === null) return;
    for (const [field, value] of Object.entries(body)) {
      if (SECRET_FIELDS.has(field)) remember(value, `${label}.${field}`);
      else rememberFields(value, `${label}.${field}`);
    }
  }

  /** One HTTP exchange; the secrets in both directions are collected, and 4xx bodies kept for inspection. */
  async function send(
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Exchange> {
    const route = `${method} ${path}`;
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...options.headers };
    if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
    remember(headers.authorization?.replace(/^Bearer /, ''), `${route} authorization header`);
    remember(headers['x-api-key'], `${route} x-api-key header`);
    remember(headers.cookie, `${route} cookie header`);
    rememberFields(options.body, `${route} request`);
    if (options.raw !== undefined) remember(options.raw, `${route} raw request body`);

    const response = await t.request(`/api/v1${path}`, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const text = await response.text();
    const body = text && (response.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Json) : {};
    rememberFields(body, `${route} response`);
    for (const cookie of response.headers.getSetCookie()) remember(/^[^=]+=([^;]*)/.exec(cookie)?.[1], `${route} set-cookie`);
    if (response.status >= 400 && response.status < 500) errorResponses.push({ route, status: response.status, text });
    return { status: response.status, body, headers: response.headers };
  }

  async function expectStatus(exchange: Promise<Exchange>, status: number): Promise<Json> {
    const { status: actual, body } = await exchange;
    if (actual !== status) throw new Error(`expected ${status}, got ${actual}: ${JSON.stringify(body)}`);
    return body;
  }

  const bearer = (accessToken: unknown) => ({ authorization: `Bearer ${String(accessToken)}` });

  async function mailedToken(email: string, subject: RegExp, after: number): Promise<string> {
    const mail = await inbox.waitForMail(email, { subject, after });
    return tokenFromLink(linksIn(mail.text)[0]);
  }

  /** A six-digit code the authenticator shows at no step near now: certainly wrong. */
  function wrongCode(secret: string): string {
    const near = [-2, -1, 0, 1, 2].map((step) => totpCode(secret, Date.now() + step * 30_000));
    return ['000000', '111111', '222222', '333333', '444444', '555555'].find((code) => !near.includes(code))!;
  }

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    t = await startTestApp({
      env: {
        LOG_LEVEL: 'trace',
        // Mail goes to a real SMTP server: without one, development mode logs mail bodies (links and all) on purpose.
        SMTP_URL: inbox.url,
        AUTH_RATE_LIMIT_MAX: '1000',
        ADMIN_EMAIL: uniqueEmail('admin'),
        ADMIN_PASSWORD,
      },
      logDestination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) },
    });
    remember(ADMIN_PASSWORD, 'ADMIN_PASSWORD');
    remember(t.config.auth.jwtSecret, 'JWT secret');
    remember(t.config.auth.encryptionKey, 'encryption key');

    const email = uniqueEmail('secrets');
    const newPassword = 'a second long passphrase';
    const resetPassword = 'a third long passphrase';

    // Register (twice: the second sign-up mails a reset link to the owner) and verify.
    let after = inbox.messages.length;
    await expectStatus(send('POST', '/auth/register', { body: { email, password: PASSWORD } }), 202);
    const verifyToken = await mailedToken(email, /confirm your email/i, after);
    after = inbox.messages.length;
    await expectStatus(send('POST', '/auth/register', { body: { email, password: 'someone else’s guess' } }), 202);
    await inbox.waitForMail(email, { subject: /tried to sign up/i, after });
    await expectStatus(send('POST', '/auth/login', { body: { email, password: PASSWORD } }), 403);
    await expectStatus(send('POST', '/auth/verify-email', { body: { token: verifyToken } }), 204);
    await expectStatus(send('POST', '/auth/verify-email', { body: { token: verifyToken } }), 400);

    // Sign in, with a wrong password first; refresh in body mode and in cookie mode.
    await expectStatus(send('POST', '/auth/login', { body: { email, password: 'not my password at all' } }), 401);
    const first = await expectStatus(send('POST', '/auth/login', { body: { email, password: PASSWORD } }), 200);
    const refreshed = await expectStatus(send('POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } }), 200);
    await expectStatus(send('GET', '/users/me', { headers: bearer(refreshed.accessToken) }), 200);
    await expectStatus(send('GET', '/users/me', { headers: bearer(`${String(refreshed.accessToken)}x`) }), 401);
    const cookieHeaders = { 'x-backlot-csrf': '1', origin: t.baseUrl };
    const cookieLogin = await send('POST', '/auth/login', { body: { email, password: PASSWORD, cookie: true }, headers: cookieHeaders });
    expect(cookieLogin.status).toBe(200);
    const cookie = cookieLogin.headers.getSetCookie()[0].split(';')[0];
    await expectStatus(send('POST', '/auth/refresh', { body: {}, headers: { ...cookieHeaders, cookie } }), 200);

    // MFA: set up, a wrong code, enable; then sign in with a TOTP code and with a recovery code.
    const session = bearer(refreshed.accessToken);
    const setup = await expectStatus(send('POST', '/auth/mfa/setup', { headers: session }), 200);
    const totpSecret = String(setup.secret);
    await expectStatus(send('POST', '/auth/mfa/enable', { body: { code: wrongCode(totpSecret) }, headers: session }), 400);
    const enabled = await expectStatus(
      send('POST', '/auth/mfa/enable', { body: { code: totpCode(totpSecret, Date.now()) }, headers: session }),
      200,
    );
    const recoveryCodes = enabled.recoveryCodes as string[];
    const challenge = await expectStatus(send('POST', '/auth/login', { body: { email, password: PASSWORD } }), 200);
    await expectStatus(send('POST', '/auth/mfa/verify', { body: { challengeToken: challenge.challengeToken, code: 'zzzzz-zzzzz' } }), 401);
    // The enable code spent the current step; the next one is still inside the accepted window.
    const nextStep = totpCode(totpSecret, Date.now() + 30_000);
    const mfa = await expectStatus(
      send('POST', '/auth/mfa/verify', { body: { challengeToken: challenge.challengeToken, code: nextStep } }),
      200,
    );
    const challenge2 = await expectStatus(send('POST', '/auth/login', { body: { email, password: PASSWORD } }), 200);
    await expectStatus(
      send('POST', '/auth/mfa/verify', { body: { challengeToken: challenge2.challengeToken, code: recoveryCodes[0] } }),
      200,
    );

    // API keys: create, use, a wrong one, and one without the scope.
    const mfaSession = bearer(mfa.accessToken);
    const created = await expectStatus(
      send('POST', '/auth/api-keys', { body: { name: 'log check', scopes: ['profile:read'] }, headers: mfaSession }),
      201,
    );
    await expectStatus(send('GET', '/users/me', { headers: { 'x-api-key': String(created.key) } }), 200);
    await expectStatus(send('PATCH', '/users/me', { body: { bio: 'hi' }, headers: { 'x-api-key': String(created.key) } }), 403);
    await expectStatus(send('GET', '/users/me', { headers: { 'x-api-key': `blk_${'A'.repeat(43)}` } }), 401);

    // Password change: a wrong current password, a weak new one, then the real change.
    const change = (body: Json) => send('POST', '/users/me/password', { body, headers: mfaSession });
    await expectStatus(change({ currentPassword: 'still not my password', newPassword }), 400);
    await expectStatus(change({ currentPassword: PASSWORD, newPassword: 'password123' }), 400);
    await expectStatus(change({ currentPassword: PASSWORD, newPassword }), 204);

    // Forgot and reset; the spent link fails; the new password signs in (with a recovery code for MFA).
    after = inbox.messages.length;
    await expectStatus(send('POST', '/auth/password/forgot', { body: { email } }), 202);
    const resetToken = await mailedToken(email, /reset your password/i, after);
    await expectStatus(send('POST', '/auth/password/reset', { body: { token: resetToken, password: resetPassword } }), 204);
    await expectStatus(send('POST', '/auth/password/reset', { body: { token: resetToken, password: 'yet another passphrase' } }), 400);
    const afterReset = await expectStatus(send('POST', '/auth/login', { body: { email, password: resetPassword } }), 200);
    const final = await expectStatus(
      send('POST', '/auth/mfa/verify', { body: { challengeToken: afterReset.challengeToken, code: recoveryCodes[1] } }),
      200,
    );
    await expectStatus(send('POST', '/auth/logout', { body: { refreshToken: final.refreshToken } }), 204);
    await expectStatus(send('POST', '/auth/refresh', { body: { refreshToken: final.refreshToken } }), 401);

    // Bodies the app cannot parse or validate, carrying a password.
    const unparsable = 'unparsable secret passphrase';
    remember(unparsable, 'password in an unparsable body');
    await expectStatus(send('POST', '/auth/login', { raw: `{"email":"${email}","password":"${unparsable}` }), 400);
    await expectStatus(send('POST', '/auth/login', { body: { email, password: 'x'.repeat(129), extra: 'field' } }), 400);
    await expectStatus(send('POST', '/auth/login', { body: { email: 'admin@', password: ADMIN_PASSWORD } }), 400);

    // Every link mailed (verification, the sign-up notice's reset link, the reset) carries a token.
    for (const mail of inbox.messages) {
      for (const link of linksIn(mail.text)) remember(new URL(link).searchParams.get('token'), `link in mail "${mail.subject}"`);
    }
    // Let the asynchronous log destination and background mail sends finish.
    await new Promise((resolve) => setTimeout(resolve, 100));
  });
  afterAll(async () => {
    await t?.close();
    await inbox?.close();
  });

  it('captured the flow at trace level (so an absence below means something)', () => {
    const records = lines.map((line) => JSON.parse(line) as Json);
    expect(records.filter((r) => r.msg === 'request completed').length).toBeGreaterThanOrEqual(30);
    expect(records.some((r) => r.msg === 'auth.login success')).toBe(true);
    const kinds = new Set([...secrets.values()].map((label) => label.replace(/\[\d+\]$/, '').replace(/^.*\./, '')));
    expect([...kinds]).toEqual(
      expect.arrayContaining([
        'password',
        'newPassword',
        'accessToken',
        'refreshToken',
        'secret',
        'recoveryCodes',
        'key',
        'token',
        'challengeToken',
      ]),
    );
  });

  it('never writes a password, token, key, TOTP secret, recovery code or mailed token to the log', () => {
    const log = lines.join('\n');
    const leaked = [...secrets].filter(([secret]) => log.includes(secret)).map(([, label]) => label);
    expect(leaked).toEqual([]);
  });

  it('answers client errors without a stack trace or source location', () => {
    expect(errorResponses.length).toBeGreaterThanOrEqual(15);
    for (const { route, status, text } of errorResponses) {
      expect({ route, status, stack: /\bstack\b|\n\s+at |node_modules|\.[jt]s:\d+/i.test(text) }).toEqual({ route, status, stack: false });
    }
  });
});
