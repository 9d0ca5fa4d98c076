import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { GitHubStandIn } from '@backlot/testing/github-standin';
import { TestOidcProvider } from '@backlot/testing/oidc-provider';

const CLIENT = { clientId: 'backlot', clientSecret: 'backlot-secret', redirectUris: ['http://127.0.0.1:1/cb'] };
const ALICE = { sub: 'alice', email: 'alice@example.test', email_verified: true, name: 'Alice' };

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The relying party's side of a code flow, written out by hand against the provider's discovery document. */
async function signInAndExchange(provider: TestOidcProvider, sub: string): Promise<{ callback: URL; idToken: string; jwksUri: string }> {
  const config = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  const { verifier, challenge } = pkce();
  const callback = new URL(await provider.signIn(authorizeUrl(config.authorization_endpoint, challenge), sub));
  const response = await fetch(config.token_endpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: CLIENT.redirectUris[0],
      code_verifier: verifier,
    }),
  });
  expect(response.status).toBe(200);
  const { id_token: idToken } = (await response.json()) as { id_token: string };
  return { callback, idToken, jwksUri: config.jwks_uri };
}

function authorizeUrl(endpoint: string, challenge: string): string {
  const url = new URL(endpoint);
  const params = {
    response_type: 'code',
    client_id: CLIENT.clientId,
    redirect_uri: CLIENT.redirectUris[0],
    scope: 'openid email profile',
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

describe('sign-in test harness: a real OpenID Connect provider on loopback', () => {
  let provider: TestOidcProvider;

  beforeAll(async () => {
    provider = await TestOidcProvider.start({ clients: [CLIENT], accounts: [ALICE] });
  });
  afterAll(() => provider?.close());

  const authorizationEndpoint = () => `${provider.issuer}/auth`;

  it('signs in with a PKCE code and issues an RS256 ID token carrying the email and the nonce', async () => {
    const { callback, idToken, jwksUri } = await signInAndExchange(provider, ALICE.sub);
    expect(callback.origin + callback.pathname).toBe(CLIENT.redirectUris[0]);
    expect(callback.searchParams.get('state')).toBe('state-1');
    expect(callback.searchParams.get('iss')).toBe(provider.issuer);

    const { payload, protectedHeader } = await jwtVerify(idToken, createRemoteJWKSet(new URL(jwksUri)), {
      issuer: provider.issuer,
      audience: CLIENT.clientId,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: 'alice', email: ALICE.email, email_verified: true, name: 'Alice', nonce: 'nonce-1' });
  });

  it('puts an account changed between sign-ins into the next ID token', async () => {
    provider.setAccount({ ...ALICE, email: 'alice@new.example.test', email_verified: false });
    try {
      const { idToken } = await signInAndExchange(provider, ALICE.sub);
      expect(decodeJwt(idToken)).toMatchObject({ email: 'alice@new.example.test', email_verified: false });
    } finally {
      provider.setAccount(ALICE);
    }
  });

  it('refuses a code exchanged with the wrong PKCE verifier, the secret sent in the body', async () => {
    const callback = new URL(await provider.signIn(authorizeUrl(authorizationEndpoint(), pkce().challenge), ALICE.sub));

    const response = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: CLIENT.redirectUris[0],
        code_verifier: pkce().verifier,
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('sends the user back with access_denied when they refuse consent', async () => {
    const url = authorizeUrl(authorizationEndpoint(), pkce().challenge);

    const callback = new URL(await provider.signIn(url, ALICE.sub, { deny: true }));
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('state-1');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('issues ID tokens that have expired when the lifetime is short', async () => {
    const shortLived = await TestOidcProvider.start({ clients: [CLIENT], accounts: [ALICE], idTokenTtlSeconds: 1 });
    try {
      const { idToken, jwksUri } = await signInAndExchange(shortLived, ALICE.sub);
      await new Promise((resolve) => setTimeout(resolve, 1_100));

      await expect(jwtVerify(idToken, createRemoteJWKSet(new URL(jwksUri)))).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
    } finally {
      await shortLived.close();
    }
  });

  it('refuses connections once closed', async () => {
    const down = await TestOidcProvider.start({ clients: [CLIENT], accounts: [ALICE] });
    await down.close();

    await expect(fetch(`${down.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
  });
});

describe('sign-in test harness: a GitHub stand-in on loopback', () => {
  const client = { clientId: 'gh-client', clientSecret: 'gh-secret' };
  const callbackUri = 'http://127.0.0.1:1/github/cb';
  let github: GitHubStandIn;

  beforeAll(async () => {
    github = await GitHubStandIn.start(client);
    github.setUser({
      id: 42,
      login: 'alice',
      name: 'Alice',
      emails: [
        { email: 'old@example.test', primary: false, verified: true },
        { email: 'alice@example.test', primary: true, verified: true },
      ],
    });
  });
  afterAll(() => github?.close());

  async function authorize(challenge: string, options?: { deny?: boolean }): Promise<URL> {
    const url = new URL('/login/oauth/authorize', github.url);
    const params = {
      client_id: client.clientId,
      redirect_uri: callbackUri,
      scope: 'read:user user:email',
      state: 'gh-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return new URL(await github.signIn(url.href, options));
  }

  function exchange(code: string, verifier: string): Promise<Response> {
    return fetch(new URL('/login/oauth/access_token', github.url), {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        code,
        redirect_uri: callbackUri,
        code_verifier: verifier,
      }),
    });
  }

  it('exchanges a code for a token once, with the right verifier only, and serves the emails', async () => {
    const { verifier, challenge } = pkce();
    const callback = await authorize(challenge);
    expect(callback.searchParams.get('state')).toBe('gh-state');
    const code = callback.searchParams.get('code')!;

    const token = (await (await exchange(code, verifier)).json()) as { access_token: string; token_type: string; scope: string };
    expect(token).toMatchObject({ token_type: 'bearer', scope: 'read:user user:email' });
    expect(await (await exchange(code, verifier)).json()).toMatchObject({ error: 'bad_verification_code' });

    const emails = await fetch(new URL('/user/emails', github.url), { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(await emails.json()).toContainEqual({ email: 'alice@example.test', primary: true, verified: true });
    expect((await fetch(new URL('/user/emails', github.url))).status).toBe(401);
  });

  it('answers bad_verification_code to the wrong PKCE verifier', async () => {
    const callback = await authorize(pkce().challenge);

    const response = await exchange(callback.searchParams.get('code')!, pkce().verifier);
    expect(await response.json()).toMatchObject({ error: 'bad_verification_code' });
  });

  it('sends the user back with access_denied when they refuse', async () => {
    const callback = await authorize(pkce().challenge, { deny: true });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('gh-state');
  });
});
