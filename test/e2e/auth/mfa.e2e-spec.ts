import { randomBytes } from 'node:crypto';
import { PrismaService } from '@backlot/database';
import { totpCode } from '@backlot/security';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { postJson, signedInUser, type UserSession } from '@backlot/testing/auth';

interface MfaChallenge {
  mfaRequired: true;
  challengeToken: string;
  expiresAt: string;
}

interface MfaUser {
  user: UserSession;
  secret: string;
  recoveryCodes: string[];
}

const STEP_MS = 30_000;
const CHALLENGE_TTL_SECONDS = 30;

/** The code of the step after the current one: the enable step is spent, and the server accepts ±1 step. */
function nextCode(secret: string): string {
  return totpCode(secret, Date.now() + STEP_MS);
}

/** A 6-digit code that is none of the codes the server could accept around now. */
function wrongCode(secret: string): string {
  const near = new Set([-2, -1, 0, 1, 2].map((steps) => totpCode(secret, Date.now() + steps * STEP_MS)));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}

describe('multi-factor authentication (TOTP)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { MFA_CHALLENGE_TTL_SECONDS: String(CHALLENGE_TTL_SECONDS), AUTH_RATE_LIMIT_MAX: '10000' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A signed-in user who turned MFA on with the code of the current step (so that step is spent). */
  async function mfaUser(): Promise<MfaUser> {
    const user = await signedInUser(t);
    const setup = await user.json('POST', '/auth/mfa/setup');
    expect(setup.status).toBe(200);
    const { secret } = await json<{ secret: string }>(setup);
    const enabled = await user.json('POST', '/auth/mfa/enable', { code: totpCode(secret, Date.now()) });
    expect(enabled.status).toBe(200);
    const { recoveryCodes } = await json<{ recoveryCodes: string[] }>(enabled);
    return { user, secret, recoveryCodes };
  }

  async function challengeFor(user: UserSession): Promise<string> {
    const response = await postJson(t, '/auth/login', { email: user.email, password: user.password });
    expect(response.status).toBe(200);
    return (await json<MfaChallenge>(response)).challengeToken;
  }

  function verify(challengeToken: string, code: string): Promise<Response> {
    return postJson(t, '/auth/mfa/verify', { challengeToken, code });
  }

  function me(accessToken: string): Promise<Response> {
    return t.request('/api/v1/users/me', { headers: { authorization: `Bearer ${accessToken}` } });
  }

  it('setup → enable → login answers with a challenge and no tokens → a TOTP code completes it → the tokens work', async () => {
    const user = await signedInUser(t);
    const setup = await user.json('POST', '/auth/mfa/setup');
    expect(setup.status).toBe(200);
    const { secret, otpauthUri } = await json<{ secret: string; otpauthUri: string }>(setup);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(otpauthUri).searchParams.get('secret')).toBe(secret);

    const enabled = await user.json('POST', '/auth/mfa/enable', { code: totpCode(secret, Date.now()) });
    expect(enabled.status).toBe(200);
    const { recoveryCodes } = await json<{ recoveryCodes: string[] }>(enabled);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
    expect(await json(await user.request('/users/me'))).toMatchObject({ mfaEnabled: true });

    const before = Date.now();
    const login = await postJson(t, '/auth/login', { email: user.email, password: user.password });
    const after = Date.now();
    expect(login.status).toBe(200);
    const challenge = await json<MfaChallenge>(login);
    expect(challenge).toEqual({
      mfaRequired: true,
      challengeToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
    });
    expect(challenge).not.toHaveProperty('accessToken');
    expect(challenge).not.toHaveProperty('refreshToken');
    // MFA_CHALLENGE_TTL_SECONDS sets the lifetime of the challenge.
    expect(Date.parse(challenge.expiresAt)).toBeGreaterThanOrEqual(before + CHALLENGE_TTL_SECONDS * 1000);
    expect(Date.parse(challenge.expiresAt)).toBeLessThanOrEqual(after + CHALLENGE_TTL_SECONDS * 1000);

    const verified = await verify(challenge.challengeToken, nextCode(secret));
    expect(verified.status).toBe(200);
    const tokens = await json<{ accessToken: string; refreshToken: string; tokenType: string; sessionId: string }>(verified);
    expect(tokens).toMatchObject({ tokenType: 'Bearer', refreshToken: expect.any(String), sessionId: expect.any(String) });
    const profile = await me(tokens.accessToken);
    expect(profile.status).toBe(200);
    expect(await json(profile)).toMatchObject({ email: user.email, mfaEnabled: true });
    expect((await postJson(t, '/auth/refresh', { refreshToken: tokens.refreshToken })).status).toBe(200);
  });

  it('a challenge is single use: completing it twice fails', async () => {
    const { user, recoveryCodes } = await mfaUser();
    const challengeToken = await challengeFor(user);
    expect((await verify(challengeToken, recoveryCodes[0])).status).toBe(200);
    expect((await verify(challengeToken, recoveryCodes[1])).status).toBe(401);
  });

  it('signs in with a recovery code, and refuses the same recovery code the second time', async () => {
    const { user, recoveryCodes } = await mfaUser();

    const first = await verify(await challengeFor(user), recoveryCodes[0]);
    expect(first.status).toBe(200);
    expect((await me((await json<{ accessToken: string }>(first)).accessToken)).status).toBe(200);

    const again = await verify(await challengeFor(user), recoveryCodes[0]);
    expect(again.status).toBe(401);
    expect(again.headers.get('content-type')).toContain('application/problem+json');

    const exported = await json<{ mfa: { unusedRecoveryCodes: number } }>(await user.request('/users/me/export'));
    expect(exported.mfa.unusedRecoveryCodes).toBe(9);
  });

  it('accepts a recovery code typed in capitals without the dash', async () => {
    const { user, recoveryCodes } = await mfaUser();
    const typed = recoveryCodes[0].replace('-', '').toUpperCase();
    expect((await verify(await challengeFor(user), typed)).status).toBe(200);
  });

  it('refuses a TOTP code that was already used', async () => {
    const { user, secret } = await mfaUser();
    const code = nextCode(secret);
    expect((await verify(await challengeFor(user), code)).status).toBe(200);

    const replay = await verify(await challengeFor(user), code);
    expect(replay.status).toBe(401);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses the code that turned MFA on', async () => {
    const user = await signedInUser(t);
    const { secret } = await json<{ secret: string }>(await user.json('POST', '/auth/mfa/setup'));
    const code = totpCode(secret, Date.now());
    expect((await user.json('POST', '/auth/mfa/enable', { code })).status).toBe(200);
    expect((await verify(await challengeFor(user), code)).status).toBe(401);
  });

  it('answers a wrong code with 401 problem+json, and the challenge still takes the right code', async () => {
    const { user, secret } = await mfaUser();
    const challengeToken = await challengeFor(user);

    const wrong = await verify(challengeToken, wrongCode(secret));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(await json(wrong)).toMatchObject({ status: 401, detail: expect.any(String) });
    const wrongRecovery = await verify(challengeToken, 'aaaaa-bbbbb');
    expect(wrongRecovery.status).toBe(401);

    expect((await verify(challengeToken, nextCode(secret))).status).toBe(200);
  });

  it('burns the challenge after five wrong codes: even the right code then fails', async () => {
    const { user, secret } = await mfaUser();
    const challengeToken = await challengeFor(user);
    for (let attempt = 1; attempt <= 5; attempt++) expect((await verify(challengeToken, wrongCode(secret))).status).toBe(401);

    const right = await verify(challengeToken, nextCode(secret));
    expect(right.status).toBe(401);

    // The code was not spent on the burnt challenge: a new sign-in takes it.
    expect((await verify(await challengeFor(user), nextCode(secret))).status).toBe(200);
  });

  it('refuses an expired challenge', async () => {
    const { user, recoveryCodes } = await mfaUser();
    const challengeToken = await challengeFor(user);
    // Age the challenge instead of waiting out MFA_CHALLENGE_TTL_SECONDS.
    await t.app
      .get(PrismaService)
      .oneTimeToken.updateMany({
        where: { userId: user.userId, purpose: 'mfa_challenge' },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });

    const response = await verify(challengeToken, recoveryCodes[0]);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses an unknown challenge token with 401 and a malformed one with 400', async () => {
    const { secret } = await mfaUser();
    const forged = await verify(randomBytes(32).toString('base64url'), nextCode(secret));
    expect(forged.status).toBe(401);
    expect(forged.headers.get('content-type')).toContain('application/problem+json');

    const malformed = await verify('not-a-challenge', nextCode(secret));
    expect(malformed.status).toBe(400);
    expect(await json(malformed)).toMatchObject({ errors: [expect.objectContaining({ path: 'challengeToken' })] });
  });

  it('refuses to enable MFA with a wrong code, and before setup', async () => {
    const user = await signedInUser(t);
    expect((await user.json('POST', '/auth/mfa/enable', { code: '123456' })).status).toBe(409);

    const { secret } = await json<{ secret: string }>(await user.json('POST', '/auth/mfa/setup'));
    const wrong = await user.json('POST', '/auth/mfa/enable', { code: wrongCode(secret) });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(await json(await user.request('/users/me'))).toMatchObject({ mfaEnabled: false });

    // Without MFA on, sign-in still gives tokens straight away.
    const login = await json(await postJson(t, '/auth/login', { email: user.email, password: user.password }));
    expect(login).toHaveProperty('accessToken');
  });

  it('refuses setup while MFA is enabled (409)', async () => {
    const { user } = await mfaUser();
    const response = await user.json('POST', '/auth/mfa/setup');
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('disables MFA with the password; a wrong password leaves it on', async () => {
    const { user } = await mfaUser();
    expect((await user.json('POST', '/auth/mfa/disable', { password: 'not the password at all' })).status).toBe(401);
    expect(await json(await user.request('/users/me'))).toMatchObject({ mfaEnabled: true });

    expect((await user.json('POST', '/auth/mfa/disable', { password: user.password })).status).toBe(204);
    expect(await json(await user.request('/users/me'))).toMatchObject({ mfaEnabled: false });
    const login = await json(await postJson(t, '/auth/login', { email: user.email, password: user.password }));
    expect(login).toHaveProperty('accessToken');
    expect(login).not.toHaveProperty('mfaRequired');
  });

  it('disables MFA with a TOTP code; a wrong code leaves it on', async () => {
    const { user, secret } = await mfaUser();
    expect((await user.json('POST', '/auth/mfa/disable', { code: wrongCode(secret) })).status).toBe(401);
    expect(await json(await user.request('/users/me'))).toMatchObject({ mfaEnabled: true });

    expect((await user.json('POST', '/auth/mfa/disable', { code: nextCode(secret) })).status).toBe(204);
    expect(await json(await user.request('/users/me'))).toMatchObject({ mfaEnabled: false });
    expect(await json(await postJson(t, '/auth/login', { email: user.email, password: user.password }))).toHaveProperty('accessToken');
  });

  it('replaces the recovery codes with a TOTP code; the old ones stop working', async () => {
    const { user, secret, recoveryCodes: old } = await mfaUser();
    const response = await user.json('POST', '/auth/mfa/recovery-codes', { code: nextCode(secret) });
    expect(response.status).toBe(200);
    const { recoveryCodes } = await json<{ recoveryCodes: string[] }>(response);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(recoveryCodes.filter((code) => old.includes(code))).toEqual([]);

    const challengeToken = await challengeFor(user);
    expect((await verify(challengeToken, old[0])).status).toBe(401);
    expect((await verify(challengeToken, recoveryCodes[0])).status).toBe(200);
  });

  it('refuses to replace the recovery codes without a valid TOTP code', async () => {
    const { user, secret, recoveryCodes } = await mfaUser();
    expect((await user.json('POST', '/auth/mfa/recovery-codes', { code: wrongCode(secret) })).status).toBe(401);
    // The old codes are untouched.
    expect((await verify(await challengeFor(user), recoveryCodes[0])).status).toBe(200);
  });

  it('completes a challenge in cookie mode only with the CSRF header and an allowed origin', async () => {
    const { user, secret } = await mfaUser();
    const challengeToken = await challengeFor(user);
    const body = { challengeToken, code: nextCode(secret), cookie: true };

    expect((await postJson(t, '/auth/mfa/verify', body, { origin: t.baseUrl })).status).toBe(403);
    expect((await postJson(t, '/auth/mfa/verify', body, { origin: 'https://evil.example', 'x-backlot-csrf': '1' })).status).toBe(403);

    const response = await postJson(t, '/auth/mfa/verify', body, { origin: t.baseUrl, 'x-backlot-csrf': '1' });
    expect(response.status).toBe(200);
    expect(await json(response)).not.toHaveProperty('refreshToken');
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^backlot_refresh=[A-Za-z0-9_-]{43};.*HttpOnly/)]);
  });

  it('MFA endpoints need a signed-in user (401), except completing a challenge', async () => {
    for (const [path, body] of [
      ['/auth/mfa/setup', {}],
      ['/auth/mfa/enable', { code: '123456' }],
      ['/auth/mfa/disable', { password: 'whatever password' }],
      ['/auth/mfa/recovery-codes', { code: '123456' }],
    ] as const) {
      const response = await postJson(t, path, body);
      expect({ path, status: response.status }).toEqual({ path, status: 401 });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});
