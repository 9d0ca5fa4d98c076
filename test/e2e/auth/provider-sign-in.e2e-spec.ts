import type { OpenAPIObject } from '@nestjs/swagger';
import { PrismaService } from '@backlot/database';
import { totpCode } from '@backlot/security';
import { postJson, signedInUser, uniqueEmail } from '@backlot/testing/auth';
import { GitHubStandIn } from '@backlot/testing/github-standin';
import { TestOidcProvider } from '@backlot/testing/oidc-provider';
import { authorizePath, CHALLENGE, VERIFIER } from '@backlot/testing/provider-flow';
import { OpenApiContract } from '@backlot/testing/openapi-contract';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

/**
 * The callback URL Backlot registers at providers is built from PUBLIC_URL, which must be known
 * before the app has a port: the providers call back to this stand-in origin, and the test
 * delivers the callback to the app the way a browser on that origin would.
 */
const PUBLIC_URL = 'http://backlot.test';
const SPA_PAGE = 'http://spa.test/auth/done';
const CLIENT = { clientId: 'backlot-spa', clientSecret: 'a-client-secret-of-some-length' };

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

describe('sign-in with a provider (real OpenID provider and a GitHub stand-in on loopback)', () => {
  let t: TestApp;
  let idp: TestOidcProvider;
  let github: GitHubStandIn;
  let contract: OpenApiContract;
  let accounts = 0;

  beforeAll(async () => {
    idp = await TestOidcProvider.start({
      clients: [{ ...CLIENT, redirectUris: [`${PUBLIC_URL}/api/v1/auth/providers/corp/callback`] }],
      accounts: [],
    });
    github = await GitHubStandIn.start(CLIENT);
    t = await startTestApp({
      env: {
        PUBLIC_URL,
        OAUTH_REDIRECT_URLS: SPA_PAGE,
        AUTH_PROVIDERS: 'corp,github',
        AUTH_CORP_ISSUER: idp.issuer,
        AUTH_CORP_CLIENT_ID: CLIENT.clientId,
        AUTH_CORP_CLIENT_SECRET: CLIENT.clientSecret,
        AUTH_CORP_DISPLAY_NAME: 'Corp SSO',
        AUTH_GITHUB_ISSUER: github.url,
        AUTH_GITHUB_CLIENT_ID: CLIENT.clientId,
        AUTH_GITHUB_CLIENT_SECRET: CLIENT.clientSecret,
        AUTH_RATE_LIMIT_MAX: '100000',
      },
    });
    contract = new OpenApiContract((await (await t.request('/docs-json')).json()) as OpenAPIObject);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    await github?.close();
  });

  /** A new account at the OpenID provider. */
  function corpAccount(overrides: Partial<{ email: string; email_verified: boolean; name: string }> = {}) {
    const account = {
      sub: `corp-${++accounts}-${Date.now()}`,
      email: uniqueEmail('corp'),
      email_verified: true,
      name: 'Ada Lovelace',
      ...overrides,
    };
    idp.setAccount(account);
    return account;
  }

  /** GET /auth/providers/{name}/authorize: the provider URL the browser is sent to. */
  async function authorize(name: string, redirect = SPA_PAGE): Promise<string> {
    const response = await t.request(authorizePath(name, redirect), { redirect: 'manual' });
    expect(response.status).toBe(302);
    return response.headers.get('location')!;
  }

  /** Delivers the provider's redirect to the app; answers the SPA page the app sends the browser to. */
  async function deliver(callbackUrl: string): Promise<URL> {
    const url = new URL(callbackUrl);
    expect(url.origin).toBe(PUBLIC_URL);
    const response = await t.request(`${url.pathname}${url.search}`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    return new URL(response.headers.get('location')!);
  }

  async function signInAtCorp(sub: string): Promise<URL> {
    return deliver(await idp.signIn(await authorize('corp'), sub));
  }

  async function exchange(code: string, verifier = VERIFIER): Promise<Response> {
    const response = await postJson(t, '/auth/providers/exchange', { code, verifier });
    expect(await contract.check('POST', '/api/v1/auth/providers/exchange', response)).toEqual([]);
    return response;
  }

  async function tokensFor(page: URL): Promise<Tokens> {
    expect(page.searchParams.get('error_description')).toBeNull();
    const response = await exchange(page.searchParams.get('code')!);
    expect(response.status).toBe(200);
    return json<Tokens>(response);
  }

  function me(tokens: Tokens, path = '/users/me', init: RequestInit = {}): Promise<Response> {
    return t.request(`/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${tokens.accessToken}`, ...init.headers } });
  }

  it('lists the enabled providers for a sign-in page, without client details', async () => {
    const response = await t.request('/api/v1/auth/providers');
    expect(response.status).toBe(200);
    expect(await contract.check('GET', '/api/v1/auth/providers', response)).toEqual([]);
    expect(await json(response)).toEqual([
      { name: 'corp', displayName: 'Corp SSO', preset: 'oidc' },
      { name: 'github', displayName: 'GitHub', preset: 'github' },
    ]);
  });

  it('sends the browser to the provider with PKCE S256, state, nonce and the registered callback', async () => {
    const url = new URL(await authorize('corp'));
    expect(url.origin).toBe(idp.issuer);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: CLIENT.clientId,
      response_type: 'code',
      redirect_uri: `${PUBLIC_URL}/api/v1/auth/providers/corp/callback`,
      code_challenge_method: 'S256',
      scope: 'openid email profile',
    });
    for (const parameter of ['state', 'nonce', 'code_challenge']) expect(url.searchParams.get(parameter)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  it('creates an account on first sign-in, with the verified email and the profile, and comes back with a one-time code', async () => {
    const account = corpAccount({ name: 'Grace Hopper' });
    const page = await signInAtCorp(account.sub);
    expect(`${page.origin}${page.pathname}`).toBe(SPA_PAGE);
    expect([...page.searchParams.keys()]).toEqual(['code']);
    const tokens = await tokensFor(page);
    const profile = await json<{ email: string; displayName: string; emailVerified: boolean }>(await me(tokens));
    expect(profile).toMatchObject({ email: account.email, displayName: 'Grace Hopper' });
    const identities = await json<Array<{ provider: string; email: string }>>(await me(tokens, '/users/me/identities'));
    expect(identities).toEqual([expect.objectContaining({ provider: 'corp', email: account.email, emailVerified: true })]);
    const exported = await json<{ identities: Array<{ provider: string; subject: string }> }>(await me(tokens, '/users/me/export'));
    expect(exported.identities).toEqual([expect.objectContaining({ provider: 'corp', subject: account.sub })]);

    // The code works once.
    expect((await exchange(page.searchParams.get('code')!)).status).toBe(401);
  });

  it('signs the same provider account in to the same Backlot account after its email changed at the provider', async () => {
    const account = corpAccount();
    const first = await tokensFor(await signInAtCorp(account.sub));
    const firstId = (await json<{ id: string }>(await me(first))).id;
    idp.setAccount({ ...account, email: uniqueEmail('renamed') });
    const second = await tokensFor(await signInAtCorp(account.sub));
    expect((await json<{ id: string }>(await me(second))).id).toBe(firstId);
  });

  it('refuses a new account from an unverified provider address', async () => {
    const account = corpAccount({ email_verified: false });
    const page = await signInAtCorp(account.sub);
    expect(page.searchParams.get('error')).toBe('email_not_verified');
    expect(page.searchParams.get('code')).toBeNull();
    expect(await t.app.get(PrismaService).user.count({ where: { email: account.email } })).toBe(0);
  });

  it('joins an existing verified account only on a verified provider address; otherwise says an account exists', async () => {
    const existing = await signedInUser(t);
    const unverifiedClaim = corpAccount({ email: existing.email, email_verified: false });
    expect((await signInAtCorp(unverifiedClaim.sub)).searchParams.get('error')).toBe('email_not_verified');

    const prisma = t.app.get(PrismaService);
    const unconfirmed = uniqueEmail('unconfirmed');
    await prisma.user.create({ data: { id: crypto.randomUUID(), email: unconfirmed, passwordHash: 'x' } });
    const page = await signInAtCorp(corpAccount({ email: unconfirmed }).sub);
    expect(page.searchParams.get('error')).toBe('account_exists');
    expect(await prisma.identity.count({ where: { user: { email: unconfirmed } } })).toBe(0);

    const verifiedClaim = corpAccount({ email: existing.email });
    const tokens = await tokensFor(await signInAtCorp(verifiedClaim.sub));
    expect((await json<{ id: string }>(await me(tokens))).id).toBe(existing.userId);
  });

  it('refuses a return page that is not on the allow-list, before the browser leaves (no open redirect)', async () => {
    for (const redirect of [
      'https://evil.example/auth/done',
      'http://spa.test/elsewhere',
      'http://spa.test/auth/done#x',
      'http://user@spa.test/auth/done',
      'not a url',
    ]) {
      const response = await t.request(authorizePath('corp', redirect), { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.headers.get('location')).toBeNull();
    }
    const missing = await t.request('/api/v1/auth/providers/corp/authorize', { redirect: 'manual' });
    expect(missing.status).toBe(400);
    // The query may differ from the allow-list entry.
    expect(new URL(await authorize('corp', `${SPA_PAGE}?next=%2Fboard`)).origin).toBe(idp.issuer);
  });

  it('answers 404 for an unknown or malformed provider name', async () => {
    for (const name of ['nope', 'UPPER', 'a%2Fb', 'a'.repeat(80)]) {
      const response = await t.request(authorizePath(name, SPA_PAGE), { redirect: 'manual' });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('answers bad input with a 400 problem that names what is wrong', async () => {
    const cases: Array<[string, RequestInit]> = [
      ['/auth/providers/exchange', { method: 'POST', body: JSON.stringify({ verifier: VERIFIER }) }],
      ['/auth/providers/exchange', { method: 'POST', body: JSON.stringify({ code: 12 }) }],
      ['/auth/providers/exchange', { method: 'POST', body: JSON.stringify({ code: 'short' }) }],
      ['/auth/providers/exchange', { method: 'POST', body: JSON.stringify({ code: `${'a'.repeat(42)}\uD800` }) }],
      ['/auth/providers/exchange', { method: 'POST', body: JSON.stringify({ code: 'a'.repeat(43), cookie: 'yes' }) }],
      ['/auth/providers/exchange', { method: 'POST', body: '{"code":' }],
      [
        '/auth/providers/exchange',
        { method: 'POST', body: JSON.stringify({ code: 'a'.repeat(43), nested: JSON.parse('['.repeat(200) + ']'.repeat(200)) }) },
      ],
      [`/auth/providers/corp/authorize?redirect=${encodeURIComponent(`${SPA_PAGE}?${'x'.repeat(3000)}`)}`, {}],
      [`${authorizePath('corp', SPA_PAGE).slice('/api/v1'.length)}&redirect=${encodeURIComponent(SPA_PAGE)}`, {}],
      [`/auth/providers/corp/authorize?redirect=${encodeURIComponent(SPA_PAGE)}`, {}],
      [authorizePath('corp', SPA_PAGE, 'too-short').slice('/api/v1'.length), {}],
      ['/auth/providers/exchange', { method: 'POST', body: JSON.stringify({ code: 'a'.repeat(43), verifier: 'x' }) }],
      ['/auth/providers/exchange', { method: 'POST', body: JSON.stringify({ code: 'a'.repeat(43) }) }],
      [`/auth/providers/corp/callback?state=${'s'.repeat(300)}&code=x`, {}],
      ['/auth/providers/corp/callback?code=x', {}],
    ];
    for (const [path, init] of cases) {
      const response = await t.request(`/api/v1${path}`, { redirect: 'manual', ...init, headers: { 'content-type': 'application/json' } });
      const problem = await response.text();
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.parse(problem).detail).toEqual(expect.any(String));
    }
    // A well-formed code nobody issued is a 401, like a wrong password.
    expect((await exchange('a'.repeat(43))).status).toBe(401);
  });

  it('refuses a callback with an unknown state (state mismatch), and a replayed callback (code replay)', async () => {
    const account = corpAccount();
    const callback = await idp.signIn(await authorize('corp'), account.sub);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'x'.repeat(43));
    const unknown = await t.request(`${forged.pathname}${forged.search}`, { redirect: 'manual' });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');

    expect((await deliver(callback)).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const replay = await deliver(callback);
    expect(replay.searchParams.get('error')).toBe('expired');
    expect(replay.searchParams.get('code')).toBeNull();
  });

  it('refuses a code injected into another sign-in: its PKCE verifier and nonce do not match', async () => {
    const account = corpAccount();
    const victim = new URL(await idp.signIn(await authorize('corp'), account.sub));
    const attacker = new URL(await idp.signIn(await authorize('corp'), account.sub));
    // The attacker's own state, with the victim's code.
    attacker.searchParams.set('code', victim.searchParams.get('code')!);
    const page = await deliver(attacker.href);
    expect(page.searchParams.get('error')).toBe('provider_error');
    expect(page.searchParams.get('code')).toBeNull();
  });

  it('refuses a code redeemed without the verifier of the page that started the sign-in (login CSRF)', async () => {
    const attacker = corpAccount();
    // The attacker signs in with their own provider account and sends the SPA page's URL to a victim.
    const planted = await signInAtCorp(attacker.sub);
    const victimsVerifier = 'a-verifier-only-the-victims-tab-holds'.padEnd(43, 'x');
    expect((await exchange(planted.searchParams.get('code')!, victimsVerifier)).status).toBe(401);
    // Spent by that try: the right verifier does not bring it back either.
    expect((await exchange(planted.searchParams.get('code')!)).status).toBe(401);
  });

  it('never lets the return page carry an outcome it was started with', async () => {
    const account = corpAccount();
    const page = await deliver(await idp.signIn(await authorize('corp', `${SPA_PAGE}?code=planted&error=x&next=1`), account.sub));
    expect(page.searchParams.getAll('code')).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    expect(page.searchParams.get('error')).toBeNull();
    expect(page.searchParams.get('next')).toBe('1');
  });

  it('links nothing when a link URL started by one user is completed by someone else (link CSRF)', async () => {
    const attacker = await tokensFor(await signInAtCorp(corpAccount().sub));
    const victim = await tokensFor(await signInAtCorp(corpAccount().sub));
    const started = await me(attacker, '/users/me/identities', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'github', redirect: SPA_PAGE, challenge: CHALLENGE }),
    });
    // The victim opens the attacker's URL and approves with their own GitHub account.
    github.setUser({
      id: 9_000_000 + accounts,
      login: 'victim',
      emails: [{ email: uniqueEmail('victim'), primary: true, verified: true }],
    });
    const back = await deliver(await github.signIn((await json<{ url: string }>(started)).url));
    const confirmAsVictim = await me(victim, '/users/me/identities/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: back.searchParams.get('link_code'), verifier: VERIFIER }),
    });
    expect(confirmAsVictim.status).toBe(401);
    for (const session of [attacker, victim]) expect(await json(await me(session, '/users/me/identities'))).toHaveLength(1);
  });

  it('comes back with access_denied when the user refuses consent, and audits it', async () => {
    const account = corpAccount();
    const page = await deliver(await idp.signIn(await authorize('corp'), account.sub, { deny: true }));
    expect(page.searchParams.get('error')).toBe('access_denied');
    const events = await t.app.get(PrismaService).auditEvent.findMany({ where: { action: 'auth.provider.sign-in', outcome: 'failure' } });
    expect(events.map((event) => (event.details as { reason: string }).reason)).toContain('access_denied');
  });

  it('asks for the MFA code after the provider when the account has MFA on', async () => {
    const account = corpAccount();
    const tokens = await tokensFor(await signInAtCorp(account.sub));
    const { secret } = await json<{ secret: string }>(await me(tokens, '/auth/mfa/setup', { method: 'POST' }));
    const enabled = await me(tokens, '/auth/mfa/enable', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: totpCode(secret, Date.now()) }),
    });
    expect(enabled.status).toBe(200);
    const page = await signInAtCorp(account.sub);
    const answer = await exchange(page.searchParams.get('code')!);
    expect(await json(answer)).toEqual({ mfaRequired: true, challengeToken: expect.any(String), expiresAt: expect.any(String) });
  });

  it('signs in with GitHub (plain OAuth 2.0) taking only a verified address, and links it to the account from a signed-in session', async () => {
    const owner = corpAccount();
    const tokens = await tokensFor(await signInAtCorp(owner.sub));
    github.setUser({
      id: 4242 + accounts,
      login: 'ada',
      name: 'Ada',
      emails: [{ email: uniqueEmail('gh'), primary: true, verified: false }],
    });
    const unverified = await deliver(await github.signIn(await authorize('github')));
    expect(unverified.searchParams.get('error')).toBe('email_not_verified');

    const started = await me(tokens, '/users/me/identities', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'github', redirect: SPA_PAGE, challenge: CHALLENGE }),
    });
    expect(started.status).toBe(200);
    const back = await deliver(await github.signIn((await json<{ url: string }>(started)).url));
    const linkCode = back.searchParams.get('link_code')!;
    expect(linkCode).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Nothing is linked until the user who started it confirms, with the verifier.
    expect(await json(await me(tokens, '/users/me/identities'))).toHaveLength(1);
    const confirm = (as: Tokens, body: unknown) =>
      me(as, '/users/me/identities/confirm', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const confirmed = await confirm(tokens, { code: linkCode, verifier: VERIFIER });
    expect(confirmed.status).toBe(201);
    expect(await contract.check('POST', '/api/v1/users/me/identities/confirm', confirmed)).toEqual([]);
    const identities = await json<Array<{ id: string; provider: string }>>(await me(tokens, '/users/me/identities'));
    expect(identities.map((identity) => identity.provider).sort()).toEqual(['corp', 'github']);

    // Now GitHub signs in to that account.
    const viaGitHub = await tokensFor(await deliver(await github.signIn(await authorize('github'))));
    expect((await json<{ id: string }>(await me(viaGitHub))).id).toBe((await json<{ id: string }>(await me(tokens))).id);

    // The last way in cannot be unlinked (the account has no password).
    const [first, second] = identities;
    expect((await me(tokens, `/users/me/identities/${first.id}`, { method: 'DELETE' })).status).toBe(204);
    const last = await me(tokens, `/users/me/identities/${second.id}`, { method: 'DELETE' });
    expect(last.status).toBe(409);
    expect(last.headers.get('content-type')).toContain('application/problem+json');
  });
});
