import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT, UnsecuredJWT } from 'jose';
import * as oidc from 'openid-client';
import type { AppConfig, SignInProviderSettings } from '@backlot/config';
import { type FlowSecrets, ProviderClient, ProviderFailure } from '../../apps/api/src/auth/providers/provider-client';

/** What the forging provider puts in the next ID token, and how it signs it. */
interface Forgery {
  claims: Record<string, unknown>;
  key: 'published' | 'unknown' | 'none';
}

/**
 * An OpenID provider whose token endpoint hands out whatever ID token the test forges: the
 * checks a real provider never lets a test reach (a wrong audience, an expired token, a key it
 * never published, a replayed nonce) must each stop the sign-in inside openid-client.
 */
class ForgingProvider {
  readonly issuer: string;
  forgery: Forgery = { claims: {}, key: 'published' };
  private readonly published = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

  private constructor(private readonly server: Server) {
    this.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', (request, response) => {
      void this.answer(request.url ?? '/').then((body) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      );
    });
  }

  static async start(): Promise<ForgingProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new ForgingProvider(server);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(url: string): Promise<unknown> {
    if (url.startsWith('/.well-known/openid-configuration'))
      return {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        authorization_response_iss_parameter_supported: true,
      };
    if (url.startsWith('/jwks'))
      return { keys: [{ ...(await exportJWK(this.published.publicKey)), kid: 'published', alg: 'RS256', use: 'sig' }] };
    return { access_token: 'at', token_type: 'Bearer', id_token: await this.idToken() };
  }

  private async idToken(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: this.issuer,
      aud: 'rp',
      sub: 'forged-user',
      iat: now,
      exp: now + 300,
      email: 'x@example.test',
      email_verified: true,
    };
    const payload = { ...claims, ...this.forgery.claims };
    if (this.forgery.key === 'none') return new UnsecuredJWT(payload).encode();
    const key: KeyObject = this.forgery.key === 'published' ? this.published.privateKey : this.stranger.privateKey;
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: this.forgery.key }).sign(key);
  }
}

describe('ID token checks (openid-client against a provider that forges tokens)', () => {
  let forger: ForgingProvider;
  let provider: SignInProviderSettings;
  const client = new ProviderClient({ signInProviders: { timeoutMs: 3_000 } } as AppConfig);

  beforeAll(async () => {
    forger = await ForgingProvider.start();
    provider = {
      name: 'forger',
      preset: 'oidc',
      displayName: 'Forger',
      issuer: forger.issuer,
      clientId: 'rp',
      clientSecret: 'rp-secret',
      scopes: 'openid email',
      enabled: true,
      source: 'admin',
    };
  });
  afterAll(() => forger?.close());

  async function signIn(forgery: Forgery, callbackIssuer = forger.issuer): Promise<unknown> {
    forger.forgery = forgery;
    const secrets: FlowSecrets = {
      state: 'state-1',
      codeVerifier: oidc.randomPKCECodeVerifier(),
      nonce: 'nonce-1',
      callbackUrl: 'http://rp.test/cb',
      appChallenge: 'c'.repeat(43),
    };
    await client.authorizationUrl(provider, secrets);
    const callback = new URL(`http://rp.test/cb?code=c&state=state-1&iss=${encodeURIComponent(callbackIssuer)}`);
    return client.finish(provider, callback, secrets);
  }

  it('accepts a token that is right in every respect (so the refusals below are the checks, not the harness)', async () => {
    await expect(signIn({ claims: { nonce: 'nonce-1' }, key: 'published' })).resolves.toMatchObject({
      subject: 'forged-user',
      email: 'x@example.test',
      emailVerified: true,
    });
  });

  it.each<[string, Forgery]>([
    ['for another client (aud)', { claims: { nonce: 'nonce-1', aud: 'someone-else' }, key: 'published' }],
    ['expired', { claims: { nonce: 'nonce-1', iat: 1_000, exp: 1_300 }, key: 'published' }],
    ['signed with a key the provider never published (unknown kid)', { claims: { nonce: 'nonce-1' }, key: 'unknown' }],
    ['unsigned (alg none)', { claims: { nonce: 'nonce-1' }, key: 'none' }],
    ['carrying another sign-in’s nonce (replay)', { claims: { nonce: 'nonce-of-another-sign-in' }, key: 'published' }],
    ['without a nonce', { claims: {}, key: 'published' }],
    ['from another issuer', { claims: { nonce: 'nonce-1', iss: 'https://evil.example' }, key: 'published' }],
  ])('refuses an ID token %s', async (_, forgery) => {
    await expect(signIn(forgery)).rejects.toEqual(expect.objectContaining({ code: 'provider_error' }));
    await expect(signIn(forgery)).rejects.toBeInstanceOf(ProviderFailure);
  });

  it('refuses an authorization response whose iss names another provider (RFC 9207 mix-up)', async () => {
    await expect(signIn({ claims: { nonce: 'nonce-1' }, key: 'published' }, 'https://other-provider.example')).rejects.toEqual(
      expect.objectContaining({ code: 'provider_error' }),
    );
  });
});
