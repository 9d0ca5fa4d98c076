import { createHash, createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { createUser, login, postJson, signedInUser, type UserSession } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';

const PROBLEM = 'application/problem+json';
const UNAUTHENTICATED = 'https://backlot.dev/problems/unauthenticated';

interface ProblemBody {
  type: string;
  status: number;
  detail: string;
}

function keyIdOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 8);
}

function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT built by hand, for headers jsonwebtoken refuses to produce. */
function handMade(header: Record<string, unknown>, payload: Record<string, unknown>, sign: (input: string) => string = () => ''): string {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${sign(input)}`;
}

async function expectUnauthenticated(response: Response): Promise<ProblemBody> {
  expect(response.status).toBe(401);
  expect(response.headers.get('content-type')).toContain(PROBLEM);
  const body = await json<ProblemBody>(response);
  expect(body).toMatchObject({ type: UNAUTHENTICATED, status: 401 });
  return body;
}

describe('access tokens on GET /users/me', () => {
  let t: TestApp;
  let user: UserSession;
  let secret: string;

  /** A token with the claims the app issues, signed with the app's key unless overridden. */
  const forge = (
    overrides: { secret?: string; algorithm?: jwt.Algorithm; keyid?: string; audience?: string; issuer?: string; claims?: object } = {},
  ) => {
    const key = overrides.secret ?? secret;
    return jwt.sign({ sid: user.sessionId, ...overrides.claims }, key, {
      algorithm: overrides.algorithm ?? 'HS256',
      keyid: overrides.keyid ?? keyIdOf(key),
      subject: user.userId,
      issuer: overrides.issuer ?? 'backlot',
      audience: overrides.audience ?? 'backlot-api',
      expiresIn: 300,
    });
  };
  /** A token of the app's key that expires (expired) at `exp`, in seconds: forge()'s expiresIn cannot say a past time. */
  const expiringAt = (exp: number) =>
    jwt.sign({ sid: user.sessionId, exp }, secret, {
      algorithm: 'HS256',
      keyid: keyIdOf(secret),
      subject: user.userId,
      issuer: 'backlot',
      audience: 'backlot-api',
    });
  const me = (authorization?: string) => t.request('/api/v1/users/me', { headers: authorization === undefined ? {} : { authorization } });

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
    secret = t.config.auth.jwtSecret;
    user = await signedInUser(t);
  });
  afterAll(() => t?.close());

  it('accepts a token forged with the app’s own key and claims (so the refusals below are about one flaw each)', async () => {
    const response = await me(`Bearer ${forge()}`);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ id: user.userId, email: user.email });
  });

  it('answers 401 problem+json without credentials', async () => {
    const body = await expectUnauthenticated(await me());
    expect(body.detail).toMatch(/sign in/i);
  });

  it('refuses an unsigned token (alg: none), with or without a known kid', async () => {
    const payload = { sub: user.userId, sid: user.sessionId, iss: 'backlot', aud: 'backlot-api', exp: Math.floor(Date.now() / 1000) + 300 };
    await expectUnauthenticated(await me(`Bearer ${handMade({ alg: 'none', typ: 'JWT' }, payload)}`));
    await expectUnauthenticated(await me(`Bearer ${handMade({ alg: 'none', typ: 'JWT', kid: keyIdOf(secret) }, payload)}`));
    await expectUnauthenticated(await me(`Bearer ${handMade({ alg: 'NONE', typ: 'JWT', kid: keyIdOf(secret) }, payload)}`));
  });

  it('refuses a token signed with another secret, even when it claims the app’s kid', async () => {
    const other = randomSecret();
    await expectUnauthenticated(await me(`Bearer ${forge({ secret: other })}`));
    await expectUnauthenticated(await me(`Bearer ${forge({ secret: other, keyid: keyIdOf(secret) })}`));
  });

  it('refuses a token for another audience', async () => {
    await expectUnauthenticated(await me(`Bearer ${forge({ audience: 'some-other-api' })}`));
  });

  it('refuses a token from another issuer', async () => {
    await expectUnauthenticated(await me(`Bearer ${forge({ issuer: 'https://evil.example' })}`));
  });

  it('refuses an expired token and says it expired', async () => {
    const expired = expiringAt(Math.floor(Date.now() / 1000) - 3600);
    const body = await expectUnauthenticated(await me(`Bearer ${expired}`));
    expect(body.detail).toMatch(/expired/i);
  });

  it('refuses a token that expires after it was accepted: a token verified before is still checked for expiry', async () => {
    // Expired 3 s ago: accepted within the 5 s clock tolerance, refused two seconds on.
    const token = expiringAt(Math.floor(Date.now() / 1000) - 3);
    expect((await me(`Bearer ${token}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const body = await expectUnauthenticated(await me(`Bearer ${token}`));
    expect(body.detail).toMatch(/expired/i);
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    await expectUnauthenticated(await me(`Bearer ${forge({ claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } })}`));
  });

  it('refuses a token whose kid names no key of the app', async () => {
    await expectUnauthenticated(await me(`Bearer ${forge({ keyid: 'deadbeef' })}`));
    await expectUnauthenticated(await me(`Bearer ${forge({ keyid: '' })}`));
  });

  it('refuses HS512 even with the right secret: the algorithm is pinned to HS256', async () => {
    await expectUnauthenticated(await me(`Bearer ${forge({ algorithm: 'HS512' })}`));
    await expectUnauthenticated(await me(`Bearer ${forge({ algorithm: 'HS384' })}`));
  });

  it('refuses RS256 tokens and HMAC tokens keyed with a public key (algorithm confusion)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const claims = { sid: user.sessionId };
    const options = { keyid: keyIdOf(secret), subject: user.userId, issuer: 'backlot', audience: 'backlot-api', expiresIn: 300 };
    await expectUnauthenticated(await me(`Bearer ${jwt.sign(claims, privateKey, { ...options, algorithm: 'RS256' })}`));

    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const payload = { sub: user.userId, sid: user.sessionId, iss: 'backlot', aud: 'backlot-api', exp: Math.floor(Date.now() / 1000) + 300 };
    const hmacWithPem = (alg: string) =>
      handMade({ alg, typ: 'JWT', kid: keyIdOf(secret) }, payload, (input) => createHmac('sha256', pem).update(input).digest('base64url'));
    await expectUnauthenticated(await me(`Bearer ${hmacWithPem('RS256')}`));
    await expectUnauthenticated(await me(`Bearer ${hmacWithPem('HS256')}`));
  });

  it('refuses a correctly signed token that lacks the session claim', async () => {
    const noSession = jwt.sign({}, secret, {
      algorithm: 'HS256',
      keyid: keyIdOf(secret),
      subject: user.userId,
      issuer: 'backlot',
      audience: 'backlot-api',
      expiresIn: 300,
    });
    await expectUnauthenticated(await me(`Bearer ${noSession}`));
    await expectUnauthenticated(await me(`Bearer ${forge({ claims: { sid: 42 } })}`));
  });

  it('refuses a correctly signed token for a session of another user or for no session', async () => {
    const other = await signedInUser(t);
    await expectUnauthenticated(await me(`Bearer ${forge({ claims: { sid: other.sessionId } })}`));
    await expectUnauthenticated(await me(`Bearer ${forge({ claims: { sid: randomUUID() } })}`));
  });

  it.each([
    ['a bare word', 'Bearer abc'],
    ['three one-letter segments', 'Bearer a.b.c'],
    ['empty segments', 'Bearer ..'],
    ['an empty bearer token', 'Bearer '],
    ['the scheme alone', 'Bearer'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['empty JSON objects as header and payload', 'Bearer e30.e30.e30'],
    ['a JSON null header', 'Bearer bnVsbA.bnVsbA.bnVsbA'],
    ['a kid that is an object', 'Bearer eyJhbGciOiJIUzI1NiIsImtpZCI6e319.e30.AAAA'],
    ['characters outside base64url', 'Bearer %%%.%%%.%%%'],
    ['8 KB without dots', `Bearer ${'a'.repeat(8192)}`],
    ['8 KB in three segments', `Bearer ${'A'.repeat(2730)}.${'B'.repeat(2730)}.${'C'.repeat(2730)}`],
  ])('answers 401, never 500, to garbage: %s', async (_label, authorization) => {
    await expectUnauthenticated(await me(authorization));
  });

  it('refuses an 8 KB token that is well-formed but signed with another key', async () => {
    const big = jwt.sign({ sid: user.sessionId, padding: 'x'.repeat(6000) }, randomSecret(), {
      algorithm: 'HS256',
      keyid: keyIdOf(secret),
      subject: user.userId,
      issuer: 'backlot',
      audience: 'backlot-api',
      expiresIn: 300,
    });
    expect(big.length).toBeGreaterThan(8000);
    await expectUnauthenticated(await me(`Bearer ${big}`));
  });

  it('refuses a still-valid token once its user deleted the account, even after the guard had cached the session', async () => {
    const doomed = await signedInUser(t);
    expect((await doomed.request('/users/me')).status).toBe(200);
    const deleted = await doomed.json('DELETE', '/users/me', { password: doomed.password });
    expect(deleted.status).toBe(204);
    await expectUnauthenticated(await doomed.request('/users/me'));
  });
});

// Every route the document says needs credentials, as (method, path, has body). An empty
// requirement object in `security` makes credentials optional, so such routes are left out.
const document = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { security?: object[]; requestBody?: unknown }>>;
};
const requiresCredentials = (security?: object[]) =>
  Array.isArray(security) && security.length > 0 && security.every((requirement) => Object.keys(requirement).length > 0);
const securedRoutes = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([, operation]) => requiresCredentials(operation.security))
    .map(([method, operation]) => [method.toUpperCase(), path, operation.requestBody !== undefined] as const),
);

describe('deny by default', () => {
  let t: TestApp;

  // METRICS_TOKEN makes /metrics one of the secured routes, as the document says it is.
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000', METRICS_TOKEN: randomBytes(16).toString('hex') } });
  });
  afterAll(() => t?.close());

  it('finds the secured routes in openapi.json', () => {
    expect(securedRoutes.length).toBeGreaterThanOrEqual(15);
    expect(securedRoutes).toEqual(expect.arrayContaining([['GET', '/api/v1/users/me', false]]));
  });

  it.each(securedRoutes)('%s %s answers 401 problem+json without credentials', async (method, path, hasBody) => {
    const url = path.replace(/\{[^}]+\}/g, () => randomUUID());
    const response = await t.request(url, hasBody ? { method, headers: { 'content-type': 'application/json' }, body: '{}' } : { method });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain(PROBLEM);
    // A HEAD answer has headers only.
    if (method !== 'HEAD') expect(await json(response)).toMatchObject({ type: UNAUTHENTICATED, status: 401 });
  });
});

describe('rotating JWT_SECRET', () => {
  const secretA = randomSecret();
  const secretB = randomSecret();
  // The instances run one after the other, as a restart with the new secret does: an
  // embedded database (here on disk, to outlive the first instance) has one owner at a
  // time, and passport keeps one JWT strategy per process, so two live in-process
  // instances would both verify with the newest one's keys.
  let scratch: string | undefined;
  let first: TestApp;
  let oldToken: string;
  let oldRefreshToken: string;
  let account: { email: string; password: string; userId: string };

  const me = (app: TestApp, token: string) => app.request('/api/v1/users/me', { headers: { authorization: `Bearer ${token}` } });
  const kidOf = (token: string) => (jwt.decode(token, { complete: true }) as jwt.Jwt).header.kid;

  beforeAll(async () => {
    scratch = TEST_DATABASE_URL ? undefined : mkdtempSync(join(tmpdir(), 'backlot-rotation-'));
    const onDisk: Record<string, string> = scratch ? { PGLITE_DATA_DIR: join(scratch, 'pglite') } : {};
    first = await startTestApp({ env: { ...onDisk, JWT_SECRET: secretA, AUTH_RATE_LIMIT_MAX: '1000' } });
    account = await createUser(first);
    ({ accessToken: oldToken, refreshToken: oldRefreshToken } = await login(first, account.email, account.password));
    expect(kidOf(oldToken)).toBe(keyIdOf(secretA));
    expect((await me(first, oldToken)).status).toBe(200);
    await first.app.close();
  });
  afterAll(async () => {
    await first?.environment.cleanup();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('keeps tokens signed with a previous secret valid and signs new ones with the new secret’s kid', async () => {
    const rotated = await startTestApp({ sameEnvironmentAs: first, env: { JWT_SECRET: secretB, JWT_PREVIOUS_SECRETS: secretA } });
    try {
      expect((await me(rotated, oldToken)).status).toBe(200);
      const fresh = (await login(rotated, account.email, account.password)).accessToken;
      expect(kidOf(fresh)).toBe(keyIdOf(secretB));
      expect(kidOf(fresh)).not.toBe(keyIdOf(secretA));
      expect((await me(rotated, fresh)).status).toBe(200);
    } finally {
      await rotated.app.close();
    }
  });

  it('refuses tokens of a secret that is no longer listed as previous', async () => {
    const rotated = await startTestApp({ sameEnvironmentAs: first, env: { JWT_SECRET: secretB } });
    try {
      await expectUnauthenticated(await me(rotated, oldToken));
      // The session itself lives on: refreshing it yields a token under the current key.
      const refreshed = await postJson(rotated, '/auth/refresh', { refreshToken: oldRefreshToken });
      expect(refreshed.status).toBe(200);
      const { accessToken } = await json<{ accessToken: string }>(refreshed);
      expect(kidOf(accessToken)).toBe(keyIdOf(secretB));
      expect((await me(rotated, accessToken)).status).toBe(200);
    } finally {
      await rotated.app.close();
    }
  });
});
