import type { OpenAPIObject } from '@nestjs/swagger';
import { PrismaService } from '@backlot/database';
import { totpCode } from '@backlot/security';
import { SessionsService } from '../../../apps/api/src/auth/sessions/sessions.service';
import { CredentialsService } from '../../../apps/api/src/users/credentials.service';
import { UsersService } from '../../../apps/api/src/users/users.service';
import { createUser, PASSWORD, postJson, signedInUser, uniqueEmail } from '@backlot/testing/auth';
import { OpenApiContract } from '@backlot/testing/openapi-contract';
import { linksIn, startSmtpInbox, tokenFromLink, type ReceivedMail, type SmtpInbox } from '@backlot/testing/smtp-inbox';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { jobsSettled } from '@backlot/testing/test-jobs';

const APP_URL = 'https://app.backlot.test';
const MAX_FAILURES = 8; // LOGIN_MAX_FAILURES here: above the 5 wrong codes that burn a code, so each can be seen alone
const UNAUTHENTICATED = 'https://backlot.dev/problems/unauthenticated';
const ACCOUNT_LOCKED = 'https://backlot.dev/problems/account-locked';
const VALIDATION = 'https://backlot.dev/problems/validation';
const NOT_FOUND = 'https://backlot.dev/problems/not-found';
const LINK_TOKEN = 'A'.repeat(43);
// A syntactically valid address of 260 characters (labels within their own limits).
const LONG_EMAIL = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`;

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string; code: string; message: string }[];
}

interface Mailed {
  code: string;
  token: string;
}

/** The code and the link token of a sign-in mail, its one link checked to lead to the app's page. */
function mailed(mail: ReceivedMail): Mailed {
  const code = /Your code is (\d{6})\./.exec(mail.text)?.[1];
  if (!code) throw new Error(`No code in ${mail.text}`);
  const links = linksIn(mail.text);
  expect(links).toHaveLength(1);
  expect(links[0].startsWith(`${APP_URL}/email-sign-in?token=`)).toBe(true);
  return { code, token: tokenFromLink(links[0]) };
}

/** Another 6-digit code than `code`, the n-th one. */
function wrong(code: string, n = 1): string {
  return String((Number(code) + n) % 1_000_000).padStart(6, '0');
}

/** Status, content type and body, without the members that differ per request by design. */
async function comparable(response: Response): Promise<{ status: number; contentType: string | null; body: Record<string, unknown> }> {
  const { requestId: _requestId, instance: _instance, ...body } = await json(response.clone());
  return { status: response.status, contentType: response.headers.get('content-type'), body };
}

async function expectProblem(response: Response, status: number, type: string): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  const problem = await json<Problem>(response.clone());
  expect(problem.type).toBe(type);
  return problem;
}

describe('sign-in with an email code', () => {
  let t: TestApp;
  let inbox: SmtpInbox;
  let contract: OpenApiContract;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    t = await startTestApp({
      env: {
        SMTP_URL: inbox.url,
        APP_URL,
        AUTH_RATE_LIMIT_MAX: '10000',
        // Many codes go to one inbox here; the per-inbox limit has tests of its own.
        MAIL_RECIPIENT_LIMIT: '0',
        LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      },
    });
    contract = new OpenApiContract((await (await t.request('/docs-json')).json()) as OpenAPIObject);
  });
  afterAll(async () => {
    await t?.close();
    await inbox?.close();
  });

  async function expectDocumented(path: string, response: Response): Promise<void> {
    const problems = await contract.check('POST', `/api/v1${path}`, response);
    expect({ path, status: response.status, problems }).toEqual({ path, status: response.status, problems: [] });
  }

  async function ask(email: string): Promise<Response> {
    const response = await postJson(t, '/auth/otp', { email });
    await expectDocumented('/auth/otp', response);
    return response;
  }

  /** Asks for a code and reads it, with the link's token, from the mail. */
  async function codeFor(email: string): Promise<Mailed> {
    const after = inbox.messages.length;
    expect((await ask(email)).status).toBe(202);
    return mailed(await inbox.waitForMail(email, { subject: /^Your sign-in code$/, after }));
  }

  async function verify(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
    const response = await postJson(t, '/auth/otp/verify', body, headers);
    await expectDocumented('/auth/otp/verify', response);
    return response;
  }

  async function expectSignedIn(response: Response, email: string): Promise<void> {
    expect(response.status).toBe(200);
    const tokens = await json<{ accessToken: string; refreshToken: string; tokenType: string }>(response);
    expect(tokens).toMatchObject({ tokenType: 'Bearer', refreshToken: expect.any(String) });
    const me = await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(await json(me)).toMatchObject({ email });
  }

  /** Mail goes out in jobs: once they have all run, whatever was going to be sent has been. */
  async function mailsTo(address: string, after: number): Promise<ReceivedMail[]> {
    await jobsSettled(t);
    return inbox.messages.slice(after).filter((mail) => mail.to.includes(address));
  }

  function tokenRows(userId: string) {
    return t.app.get(PrismaService).oneTimeToken.findMany({ where: { userId, purpose: 'sign_in_code' } });
  }

  it('mails a code that signs in once: the second use is 401', async () => {
    const { email, userId } = await createUser(t);
    const { code } = await codeFor(email);

    await expectSignedIn(await verify({ email, code }), email);
    await expectProblem(await verify({ email, code }), 401, UNAUTHENTICATED);

    // Only hashes are stored: neither the code nor the link token is in the row.
    const [row] = await tokenRows(userId);
    expect(JSON.stringify(row)).not.toContain(code);
    await jobsSettled(t);
    const audit = await t.app.get(PrismaService).auditEvent.findMany({ where: { actorId: userId, action: { startsWith: 'auth.' } } });
    expect(audit.map((event) => [event.action, event.outcome, (event.details as { method?: string } | null)?.method])).toEqual(
      expect.arrayContaining([
        ['auth.email-code.requested', 'success', undefined],
        ['auth.login', 'success', 'email-code'],
      ]),
    );
    expect(JSON.stringify(audit)).not.toContain(email);
  });

  it('takes the address in other capitals', async () => {
    const { email } = await createUser(t);
    const after = inbox.messages.length;
    expect((await ask(email.toUpperCase())).status).toBe(202);
    const { code } = mailed(await inbox.waitForMail(email, { subject: /^Your sign-in code$/, after }));
    await expectSignedIn(await verify({ email: email.toUpperCase(), code }), email);
  });

  it('signs in with the link token instead of the address and code, once; the code of that mail is spent with it', async () => {
    const { email } = await createUser(t);
    const { code, token } = await codeFor(email);

    await expectSignedIn(await verify({ token }), email);
    await expectProblem(await verify({ token }), 401, UNAUTHENTICATED);
    await expectProblem(await verify({ email, code }), 401, UNAUTHENTICATED);
  });

  it('answers an unknown address exactly as a known one, and mails it nothing', async () => {
    const { email: known } = await createUser(t);
    const unknown = uniqueEmail('nobody');
    const after = inbox.messages.length;
    const forUnknown = await ask(unknown);
    const forKnown = await ask(known);
    expect(await comparable(forUnknown)).toEqual(await comparable(forKnown));
    expect(forKnown.status).toBe(202);

    expect(await mailsTo(unknown, after)).toEqual([]);
    expect(await mailsTo(known, after)).toHaveLength(1);
    const requests = await t.app
      .get(PrismaService)
      .auditEvent.findMany({
        where: { action: 'auth.email-code.requested', outcome: 'failure', at: { gte: new Date(Date.now() - 60_000) } },
      });
    expect(requests.length).toBeGreaterThan(0);
    expect(JSON.stringify(requests)).not.toContain(unknown);
  });

  it('answers a code for an unknown address with the same 401 as a wrong code', async () => {
    const { email } = await createUser(t);
    const { code } = await codeFor(email);
    const wrongCode = await verify({ email, code: wrong(code) });
    const unknownAddress = await verify({ email: uniqueEmail('nobody'), code });
    await expectProblem(wrongCode, 401, UNAUTHENTICATED);
    expect(await comparable(unknownAddress)).toEqual(await comparable(wrongCode));
  });

  it('mails a disabled account nothing, with the same answer, and refuses a code it got before (403)', async () => {
    const { email, userId } = await createUser(t);
    const { code } = await codeFor(email);
    expect(await t.app.get(UsersService).changeAccess(userId, { disabledAt: new Date() })).toMatchObject({ id: userId });

    const after = inbox.messages.length;
    expect(await comparable(await ask(email))).toEqual(await comparable(await ask(uniqueEmail('nobody'))));
    expect(await mailsTo(email, after)).toEqual([]);
    await expectProblem(await verify({ email, code }), 403, 'https://backlot.dev/problems/forbidden');
  });

  it('burns a code after five wrong ones: the right one is refused then, and a new code works', async () => {
    const { email } = await createUser(t);
    const { code, token } = await codeFor(email);
    for (let n = 1; n <= 5; n++) await expectProblem(await verify({ email, code: wrong(code, n) }), 401, UNAUTHENTICATED);

    await expectProblem(await verify({ email, code }), 401, UNAUTHENTICATED);
    await expectProblem(await verify({ token }), 401, UNAUTHENTICATED);

    const fresh = await codeFor(email);
    await expectSignedIn(await verify({ email, code: fresh.code }), email);
  });

  it('burns a code under parallel guesses too', async () => {
    const { email } = await createUser(t);
    const { code } = await codeFor(email);
    const guesses = await Promise.all(Array.from({ length: 7 }, (_, n) => verify({ email, code: wrong(code, n + 1) })));
    expect(guesses.map((response) => response.status)).toEqual(Array(7).fill(401));
    await expectProblem(await verify({ email, code }), 401, UNAUTHENTICATED);
  });

  it('locks the address after too many wrong codes across fresh ones (429), for passwords too; the mailed link still works', async () => {
    const { email, password } = await createUser(t);
    const first = await codeFor(email);
    for (let n = 1; n <= 4; n++) await expectProblem(await verify({ email, code: wrong(first.code, n) }), 401, UNAUTHENTICATED);
    const second = await codeFor(email);
    for (let n = 1; n <= MAX_FAILURES - 4; n++)
      await expectProblem(await verify({ email, code: wrong(second.code, n) }), 401, UNAUTHENTICATED);

    const locked = await verify({ email, code: second.code });
    await expectProblem(locked, 429, ACCOUNT_LOCKED);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectProblem(await postJson(t, '/auth/login', { email, password }), 429, ACCOUNT_LOCKED);
    const lockouts = await t.app
      .get(PrismaService)
      .auditEvent.count({
        where: { action: 'auth.lockout', details: { path: ['method'], equals: 'email-code' }, at: { gte: new Date(Date.now() - 60_000) } },
      });
    expect(lockouts).toBeGreaterThan(0);

    // The link cannot be guessed, so the lockout does not stand between the inbox's owner and the account.
    await expectSignedIn(await verify({ token: second.token }), email);
    expect((await postJson(t, '/auth/login', { email, password })).status).toBe(200);
  });

  it('locks an unknown address alike', async () => {
    const email = uniqueEmail('nobody');
    for (let n = 1; n <= MAX_FAILURES; n++) await expectProblem(await verify({ email, code: wrong('000000', n) }), 401, UNAUTHENTICATED);
    await expectProblem(await verify({ email, code: '000000' }), 429, ACCOUNT_LOCKED);
  });

  it('a newer code voids the older code and link', async () => {
    const { email } = await createUser(t);
    const older = await codeFor(email);
    const newer = await codeFor(email);
    expect(newer.token).not.toBe(older.token);

    if (older.code !== newer.code) await expectProblem(await verify({ email, code: older.code }), 401, UNAUTHENTICATED);
    await expectProblem(await verify({ token: older.token }), 401, UNAUTHENTICATED);
    await expectSignedIn(await verify({ email, code: newer.code }), email);
  });

  it('refuses an expired code and link; a code lives EMAIL_CODE_TTL_MINUTES (10)', async () => {
    const { email, userId } = await createUser(t);
    const before = Date.now();
    const { code, token } = await codeFor(email);
    const [row] = await tokenRows(userId);
    expect(row.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 10 * 60_000 - 1_000);
    expect(row.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 10 * 60_000);

    await t.app.get(PrismaService).oneTimeToken.update({ where: { id: row.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    await expectProblem(await verify({ email, code }), 401, UNAUTHENTICATED);
    await expectProblem(await verify({ token }), 401, UNAUTHENTICATED);
  });

  it('a code mailed before an email change does not sign in to the new address', async () => {
    const { email, userId } = await createUser(t);
    const { code, token } = await codeFor(email);
    const moved = uniqueEmail('moved');
    await t.app.get(UsersService).changeEmail(userId, moved);

    await expectProblem(await verify({ email: moved, code }), 401, UNAUTHENTICATED);
    await expectProblem(await verify({ token }), 401, UNAUTHENTICATED);
  });

  it('answers an MFA user with the challenge, which a TOTP code completes', async () => {
    const user = await signedInUser(t);
    const { secret } = await json<{ secret: string }>(await user.json('POST', '/auth/mfa/setup'));
    expect((await user.json('POST', '/auth/mfa/enable', { code: totpCode(secret, Date.now()) })).status).toBe(200);
    const { code } = await codeFor(user.email);

    const response = await verify({ email: user.email, code });
    expect(response.status).toBe(200);
    const challenge = await json<{ mfaRequired: true; challengeToken: string; expiresAt: string }>(response);
    expect(challenge).toEqual({
      mfaRequired: true,
      challengeToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
    });
    expect(challenge).not.toHaveProperty('accessToken');

    // The step after the current one: the enable step is spent, and the server accepts ±1 step.
    const completed = await postJson(t, '/auth/mfa/verify', {
      challengeToken: challenge.challengeToken,
      code: totpCode(secret, Date.now() + 30_000),
    });
    await expectSignedIn(completed, user.email);
  });

  it('signs in an account without a password (made by a sign-in provider), and its address counts as confirmed', async () => {
    const email = uniqueEmail('no-password');
    const passwordHash = await t.app.get(CredentialsService).hashPassword(PASSWORD);
    const { id } = await t.app.get(UsersService).create({ email, passwordHash });
    await t.app.get(PrismaService).user.update({ where: { id }, data: { passwordHash: null } });

    const { code } = await codeFor(email);
    const response = await verify({ email, code });
    expect(response.status).toBe(200);
    const { accessToken } = await json<{ accessToken: string }>(response);
    const me = await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${accessToken}` } });
    expect(await json(me)).toMatchObject({ email, emailVerified: true });
  });

  it('claims an unconfirmed account someone registered with a password: the password goes, its sessions end, the address counts as confirmed', async () => {
    const email = uniqueEmail('unconfirmed');
    const passwordHash = await t.app.get(CredentialsService).hashPassword(PASSWORD);
    const squatter = await t.app.get(UsersService).create({ email, passwordHash });
    // Whoever registered first holds a session (with verification off, or from before it was required).
    const squatterSession = await t.app.get(SessionsService).start(squatter.id, { ip: '10.0.0.9', userAgent: null, requestId: 'r' }, false);

    const { code } = await codeFor(email);
    const response = await verify({ email, code });
    expect(response.status).toBe(200);
    const { accessToken } = await json<{ accessToken: string }>(response);
    const me = await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${accessToken}` } });
    expect(await json(me)).toMatchObject({ email, emailVerified: true });
    expect((await postJson(t, '/auth/login', { email, password: PASSWORD })).status).toBe(401);
    const stale = await t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${squatterSession.accessToken}` } });
    expect(stale.status).toBe(401);
  });

  it('supports cookie mode as login does: the CSRF header is required, and the refresh token goes into the cookie', async () => {
    const { email } = await createUser(t);
    const { code } = await codeFor(email);

    await expectProblem(await verify({ email, code, cookie: true }), 403, 'https://backlot.dev/problems/forbidden');
    const response = await verify({ email, code, cookie: true }, { origin: APP_URL, 'x-backlot-csrf': '1' });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('backlot_refresh='))).toBe(true);
    const body = await json<Record<string, unknown>>(response);
    expect(body).toMatchObject({ accessToken: expect.any(String), tokenType: 'Bearer' });
    expect(body).not.toHaveProperty('refreshToken');
  });

  describe('bad input', () => {
    it.each<[string, string, unknown, string[]]>([
      ['no email', '/auth/otp', {}, ['email']],
      ['an email of the wrong type', '/auth/otp', { email: 42 }, ['email']],
      ['an email over 254 characters', '/auth/otp', { email: LONG_EMAIL }, ['email']],
      ['an address with a header injection', '/auth/otp', { email: 'ada@example.com\r\nBcc: eve@example.com' }, ['email']],
      ['an unknown property', '/auth/otp', { email: 'ada@example.com', role: 'admin' }, ['role']],
      ['nothing', '/auth/otp/verify', {}, ['code', 'email']],
      ['no code', '/auth/otp/verify', { email: 'ada@example.com' }, ['code']],
      ['fields of the wrong type', '/auth/otp/verify', { email: [], code: 123456, cookie: 'yes' }, ['code', 'cookie', 'email']],
      ['a code of 5 digits', '/auth/otp/verify', { email: 'ada@example.com', code: '12345' }, ['code']],
      ['a code of 1000 digits', '/auth/otp/verify', { email: 'ada@example.com', code: '1'.repeat(1000) }, ['code']],
      ['a code with letters', '/auth/otp/verify', { email: 'ada@example.com', code: '12a456' }, ['code']],
      ['an email over 254 characters', '/auth/otp/verify', { email: LONG_EMAIL, code: '123456' }, ['email']],
      ['a malformed token', '/auth/otp/verify', { token: 'not/a token' }, ['token']],
      ['a token of 1000 characters', '/auth/otp/verify', { token: 'A'.repeat(1000) }, ['token']],
      ['a token of the wrong type', '/auth/otp/verify', { token: 43 }, ['token']],
      ['a null token', '/auth/otp/verify', { token: null }, ['token']],
      ['a token with an email and code', '/auth/otp/verify', { token: LINK_TOKEN, email: 'ada@example.com', code: '123456' }, ['token']],
    ])('refuses %s on %s with 400 naming the fields', async (_label, path, body, fields) => {
      const response = await postJson(t, path, body);
      await expectDocumented(path, response);
      const problem = await expectProblem(response, 400, VALIDATION);
      expect([...new Set(problem.errors?.map((error) => error.path))].sort()).toEqual(fields);
    });

    it.each([
      ['/auth/otp', '{"email": "\\ud800@example.com"}'],
      ['/auth/otp/verify', '{"email": "ada@example.com", "code": "12345\\udfff"}'],
      ['/auth/otp', '{"email": '],
      ['/auth/otp/verify', '[]'],
    ])('refuses the body %s %s with 400 problem+json, never 500', async (path, body) => {
      const response = await t.request(`/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await expectDocumented(path, response);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });
  });
});

describe('sign-in with an email code, switched off (AUTH_EMAIL_CODES=false)', () => {
  let t: TestApp;
  let inbox: SmtpInbox;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    t = await startTestApp({ env: { SMTP_URL: inbox.url, APP_URL, AUTH_EMAIL_CODES: 'false', AUTH_RATE_LIMIT_MAX: '10000' } });
  });
  afterAll(async () => {
    await t?.close();
    await inbox?.close();
  });

  it('answers both routes with 404 and mails nothing', async () => {
    const { email } = await createUser(t);
    const after = inbox.messages.length;
    const asked = await postJson(t, '/auth/otp', { email });
    expect((await expectProblem(asked, 404, NOT_FOUND)).detail).toMatch(/turned off/);
    await expectProblem(await postJson(t, '/auth/otp/verify', { email, code: '123456' }), 404, NOT_FOUND);
    await expectProblem(await postJson(t, '/auth/otp/verify', { token: LINK_TOKEN }), 404, NOT_FOUND);
    await jobsSettled(t);
    expect(inbox.messages.slice(after)).toEqual([]);
    // Passwords still work.
    expect((await postJson(t, '/auth/login', { email, password: PASSWORD })).status).toBe(200);
  });
});

describe('sign-in with an email code, in development without APP_URL', () => {
  let t: TestApp;
  let inbox: SmtpInbox;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    t = await startTestApp({ env: { SMTP_URL: inbox.url, AUTH_RATE_LIMIT_MAX: '10000' } });
  });
  afterAll(async () => {
    await t?.close();
    await inbox?.close();
  });

  it('mails a link to the page the API serves, whose form posts the token to POST /auth/otp/verify', async () => {
    const { email } = await createUser(t);
    const after = inbox.messages.length;
    expect((await postJson(t, '/auth/otp', { email })).status).toBe(202);
    const [link] = linksIn((await inbox.waitForMail(email, { subject: /^Your sign-in code$/, after })).text);
    const url = new URL(link);
    expect(`${url.protocol}//${url.hostname}${url.pathname}`).toBe('http://localhost/email-sign-in');

    const page = await t.request(`${url.pathname}${url.search}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('data-endpoint="/api/v1/auth/otp/verify"');
    expect(html).not.toContain(url.searchParams.get('token'));

    // What the page's script does: the token from the address, as JSON, to the form's endpoint.
    const signedIn = await postJson(t, '/auth/otp/verify', { token: url.searchParams.get('token') });
    expect(signedIn.status).toBe(200);
    expect(await json(signedIn)).toMatchObject({ accessToken: expect.any(String) });
  });
});
