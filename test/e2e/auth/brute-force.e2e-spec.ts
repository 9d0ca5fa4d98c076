import { setTimeout as sleep } from 'node:timers/promises';
import { createUser, postJson, uniqueEmail } from '@backlot/testing/auth';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

const WRONG = 'not the password at all';
const MAX_FAILURES = 5; // LOGIN_MAX_FAILURES default
const ACCOUNT_LOCKED = 'https://backlot.dev/problems/account-locked';
const RATE_LIMITED = 'https://backlot.dev/problems/rate-limited';
const UNAUTHENTICATED = 'https://backlot.dev/problems/unauthenticated';

interface Problem {
  type: string;
  status: number;
  detail: string;
  retryAfter?: number;
}

const attempt = (t: TestApp, email: string, password: string) => postJson(t, '/auth/login', { email, password });

/** Status, content type and body, without the members that differ per request by design. */
async function comparable(response: Response): Promise<{ status: number; contentType: string | null; body: Record<string, unknown> }> {
  const { requestId: _requestId, instance: _instance, ...body } = await json(response);
  return { status: response.status, contentType: response.headers.get('content-type'), body };
}

async function expectLocked(response: Response, lockSeconds: number): Promise<Problem> {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(lockSeconds);
  const body = await json<Problem>(response);
  expect(body).toMatchObject({ type: ACCOUNT_LOCKED, status: 429, retryAfter });
  return body;
}

async function failLogins(t: TestApp, email: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const response = await attempt(t, email, WRONG);
    expect({ failure: i + 1, status: response.status }).toEqual({ failure: i + 1, status: 401 });
    expect(await json(response)).toMatchObject({ type: UNAUTHENTICATED });
  }
}

describe('brute-force defences on sign-in', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
  });
  afterAll(() => t?.close());

  it('locks an account after too many wrong passwords and refuses even the right one meanwhile', async () => {
    const account = await createUser(t);
    await failLogins(t, account.email, MAX_FAILURES);

    await expectLocked(await attempt(t, account.email, WRONG), 900);
    const right = await expectLocked(await attempt(t, account.email, account.password), 900);
    expect(right.detail).toMatch(/locked/i);

    // Only that address is locked.
    const bystander = await createUser(t);
    expect((await attempt(t, bystander.email, bystander.password)).status).toBe(200);
  });

  it('treats an address without an account exactly like a registered one, failure by failure and once locked', async () => {
    const registered = (await createUser(t)).email;
    const unknown = uniqueEmail('nobody');
    for (let i = 0; i < MAX_FAILURES; i++) {
      const [a, b] = [await attempt(t, registered, WRONG), await attempt(t, unknown, WRONG)];
      expect(a.headers.get('retry-after')).toBe(b.headers.get('retry-after'));
      expect(await comparable(b)).toEqual(await comparable(a));
    }
    const [a, b] = [await attempt(t, registered, WRONG), await attempt(t, unknown, WRONG)];
    expect(a.headers.get('retry-after')).not.toBeNull();
    expect(b.headers.get('retry-after')).not.toBeNull();
    await expectLocked(b.clone(), 900);
    // retryAfter counts down in whole seconds; everything else must match exactly.
    const { retryAfter: _a, ...lockedRegistered } = (await comparable(a)).body;
    const { retryAfter: _b, ...lockedUnknown } = (await comparable(b)).body;
    expect(lockedUnknown).toEqual(lockedRegistered);
    expect(b.status).toBe(a.status);
  });

  it('counts failures per address whatever its letter case', async () => {
    const account = await createUser(t);
    const [local, domain] = account.email.split('@');
    const variants = [
      account.email.toUpperCase(),
      account.email,
      `${local}@${domain.toUpperCase()}`,
      `${local.toUpperCase()}@${domain}`,
      account.email.replace(/^./, (c) => c.toUpperCase()),
    ];
    for (const variant of variants) expect((await attempt(t, variant, WRONG)).status).toBe(401);
    await expectLocked(await attempt(t, account.email, account.password), 900);
  });

  it('counts every guess of a concurrent burst, so the burst ends in a lock', async () => {
    const account = await createUser(t);
    const burst = await Promise.all(Array.from({ length: 3 * MAX_FAILURES }, () => attempt(t, account.email, WRONG)));
    expect(burst.filter((response) => response.status !== 401 && response.status !== 429)).toEqual([]);
    await expectLocked(await attempt(t, account.email, account.password), 900);
  });

  it('starts counting afresh after a successful sign-in', async () => {
    const account = await createUser(t);
    await failLogins(t, account.email, MAX_FAILURES - 1);
    expect((await attempt(t, account.email, account.password)).status).toBe(200);
    await failLogins(t, account.email, MAX_FAILURES - 1);
    expect((await attempt(t, account.email, account.password)).status).toBe(200);
  });
});

describe('account lock expiry', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000', LOGIN_LOCKOUT_SECONDS: '2' } });
  });
  afterAll(() => t?.close());

  it('lets the right password in once the lock has run out, and the count starts over', async () => {
    const account = await createUser(t);
    await failLogins(t, account.email, MAX_FAILURES);
    await expectLocked(await attempt(t, account.email, account.password), 2);

    await sleep(2_500);
    expect((await attempt(t, account.email, account.password)).status).toBe(200);
    await failLogins(t, account.email, MAX_FAILURES - 1);
    expect((await attempt(t, account.email, account.password)).status).toBe(200);
  });
});

describe('per-IP throttling of credential routes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '3', AUTH_RATE_LIMIT_TTL_SECONDS: '60' } });
  });
  afterAll(() => t?.close());

  it('answers 429 rate-limited to the client once it spent AUTH_RATE_LIMIT_MAX sign-ins, whatever the address', async () => {
    const account = await createUser(t);
    for (let i = 0; i < 3; i++) expect((await attempt(t, uniqueEmail('spray'), WRONG)).status).toBe(401);

    for (const response of [await attempt(t, uniqueEmail('spray'), WRONG), await attempt(t, account.email, account.password)]) {
      expect(response.status).toBe(429);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const retryAfter = Number(response.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(await json(response)).toMatchObject({ type: RATE_LIMITED, status: 429 });
    }
  });
});

describe('answers that do not tell whether an address is registered', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
  });
  afterAll(() => t?.close());

  const pair = async (send: (email: string) => Promise<Response>) => {
    const registered = (await createUser(t)).email;
    const unknown = uniqueEmail('nobody');
    return [await comparable(await send(registered)), await comparable(await send(unknown))] as const;
  };

  it('register answers 202 with the same body for a taken and a free address', async () => {
    const [taken, free] = await pair((email) => postJson(t, '/auth/register', { email, password: 'a new passphrase 1' }));
    expect(taken.status).toBe(202);
    expect(free).toEqual(taken);
  });

  it('register answers alike when the taken address differs only in letter case', async () => {
    const registered = (await createUser(t)).email;
    const shouted = await comparable(
      await postJson(t, '/auth/register', { email: registered.toUpperCase(), password: 'a new passphrase 1' }),
    );
    const fresh = await comparable(await postJson(t, '/auth/register', { email: uniqueEmail('fresh'), password: 'a new passphrase 1' }));
    expect(shouted.status).toBe(202);
    expect(shouted).toEqual(fresh);
  });

  it('login with a wrong password answers exactly like login to an unknown address', async () => {
    const [wrongPassword, noAccount] = await pair((email) => attempt(t, email, WRONG));
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body).toMatchObject({ type: UNAUTHENTICATED, detail: 'The email or password is wrong.' });
    expect(noAccount).toEqual(wrongPassword);
  });

  it('forgot-password answers 202 with the same body for both', async () => {
    const [registered, unknown] = await pair((email) => postJson(t, '/auth/password/forgot', { email }));
    expect(registered.status).toBe(202);
    expect(unknown).toEqual(registered);
  });

  it('resending the verification mail answers 202 with the same body for both', async () => {
    const [registered, unknown] = await pair((email) => postJson(t, '/auth/verify-email/resend', { email }));
    expect(registered.status).toBe(202);
    expect(unknown).toEqual(registered);
  });
});
