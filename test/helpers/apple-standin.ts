import { createHash, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, jwtVerify, SignJWT } from 'jose';

export interface AppleUser {
  sub: string;
  email: string;
  /** Sent on the first authorization only, as Apple does. */
  name?: { firstName: string; lastName: string };
}

interface PendingCode {
  redirectUri: string;
  challenge: string;
  nonce: string;
  sub: string;
}

/**
 * Sign in with Apple on loopback, as far as a relying party sees it: discovery, JWKS, an authorize
 * page answering with `response_mode=form_post` (the code, state and the `user` JSON posted to
 * the redirect URI), and a token endpoint that accepts only a client secret that is an ES256 JWT
 * from the team's key (iss = team, sub = client id, aud = https://appleid.apple.com, kid), checks
 * PKCE and spends each code once. ID tokens say `email_verified: "true"`, a string, as Apple's do.
 */
export class AppleStandIn {
  readonly url: string;
  /** The developer account's key: the relying party signs its client secrets with the private half. */
  readonly teamKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  readonly teamId = 'TEAM123456';
  readonly keyId = 'KEY1234567';
  private readonly signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly codes = new Map<string, PendingCode>();
  private user: AppleUser = { sub: '001234.apple-user', email: 'someone@privaterelay.appleid.com' };
  private named = new Set<string>();

  private constructor(
    private readonly server: Server,
    private readonly clientId: string,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on(
      'request',
      (request, response) => void this.route(request, response).catch((error: Error) => reply(response, 500, { error: error.message })),
    );
  }

  static async start(clientId: string): Promise<AppleStandIn> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new AppleStandIn(server, clientId);
  }

  /** The team's key as the .p8 file holds it (PEM). */
  privateKeyPem(): string {
    return this.teamKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  setUser(user: AppleUser): void {
    this.user = user;
  }

  /** Opens the authorize URL as a browser would; answers the form it would post back: its action and fields. */
  async signIn(authorizeUrl: string): Promise<{ action: string; fields: URLSearchParams }> {
    const page = await (await fetch(authorizeUrl)).text();
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    if (!action) throw new Error(`the authorize page has no form: ${page.slice(0, 300)}`);
    const fields = new URLSearchParams();
    for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
      fields.set(name, unescapeHtml(value));
    return { action: unescapeHtml(action), fields };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    if (url.pathname === '/.well-known/openid-configuration')
      return reply(response, 200, {
        issuer: this.url,
        authorization_endpoint: `${this.url}/auth/authorize`,
        token_endpoint: `${this.url}/auth/token`,
        jwks_uri: `${this.url}/auth/keys`,
        response_types_supported: ['code'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post'],
        scopes_supported: ['openid', 'email', 'name'],
      });
    if (url.pathname === '/auth/keys')
      return reply(response, 200, { keys: [{ ...(await exportJWK(this.signing.publicKey)), kid: 'apple-1', alg: 'RS256', use: 'sig' }] });
    if (url.pathname === '/auth/authorize') return this.authorize(url.searchParams, response);
    if (url.pathname === '/auth/token' && request.method === 'POST') return this.token(new URLSearchParams(await text(request)), response);
    reply(response, 404, { error: 'not_found' });
  }

  private authorize(params: URLSearchParams, response: ServerResponse): void {
    if (
      params.get('response_mode') !== 'form_post' ||
      params.get('code_challenge_method') !== 'S256' ||
      params.get('client_id') !== this.clientId
    )
      return reply(response, 400, { error: 'invalid_request' });
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, {
      redirectUri: params.get('redirect_uri')!,
      challenge: params.get('code_challenge')!,
      nonce: params.get('nonce') ?? '',
      sub: this.user.sub,
    });
    const fields: Record<string, string> = { code, state: params.get('state') ?? '' };
    if (this.user.name && !this.named.has(this.user.sub)) {
      fields.user = JSON.stringify({ name: this.user.name, email: this.user.email });
      this.named.add(this.user.sub);
    }
    const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}"/>`);
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(
      `<html><body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(params.get('redirect_uri')!)}">${inputs.join('')}</form></body></html>`,
    );
  }

  private async token(body: URLSearchParams, response: ServerResponse): Promise<void> {
    if (!(await this.secretIsValid(body.get('client_secret') ?? ''))) return reply(response, 400, { error: 'invalid_client' });
    const pending = this.codes.get(body.get('code') ?? '');
    this.codes.delete(body.get('code') ?? '');
    const challenge = createHash('sha256')
      .update(body.get('code_verifier') ?? '')
      .digest('base64url');
    if (!pending || pending.redirectUri !== body.get('redirect_uri') || pending.challenge !== challenge)
      return reply(response, 400, { error: 'invalid_grant' });
    const idToken = await new SignJWT({ nonce: pending.nonce, email: this.user.email, email_verified: 'true', is_private_email: 'true' })
      .setProtectedHeader({ alg: 'RS256', kid: 'apple-1' })
      .setIssuer(this.url)
      .setAudience(this.clientId)
      .setSubject(pending.sub)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(this.signing.privateKey);
    reply(response, 200, { access_token: 'apple-access', token_type: 'Bearer', expires_in: 3600, id_token: idToken });
  }

  /** What Apple checks in a client secret: an ES256 JWT from this team's key, for this client, not expired. */
  private async secretIsValid(secret: string): Promise<boolean> {
    try {
      const { protectedHeader } = await jwtVerify(secret, this.teamKey.publicKey as KeyObject, {
        algorithms: ['ES256'],
        issuer: this.teamId,
        subject: this.clientId,
        audience: 'https://appleid.apple.com',
      });
      return protectedHeader.kid === this.keyId;
    } catch {
      return false;
    }
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function text(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const escapeHtml = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const unescapeHtml = (value: string) =>
  value
    .replace(/&lt;/g, '<')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
