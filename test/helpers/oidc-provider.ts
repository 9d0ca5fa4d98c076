import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type AdapterFactory, type AdapterPayload, type Configuration } from 'oidc-provider';

export interface OidcAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  picture?: string;
}

export interface OidcClientConfig {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface TestOidcProviderOptions {
  clients: OidcClientConfig[];
  accounts: OidcAccount[];
  /** An hour unless set; a second or two hands the relying party an ID token that expires before it is checked. */
  idTokenTtlSeconds?: number;
}

/** What the user does on the provider's pages during one `signIn`, looked up by interaction uid. */
interface UserChoice {
  sub: string;
  deny: boolean;
}

const MAX_REDIRECTS = 10;

/**
 * A real OpenID Connect provider (oidc-provider) on 127.0.0.1 with a random port: authorization code
 * flow with PKCE (S256) required, RS256 ID tokens from a key made at start, `iss` on every
 * authorization response (RFC 9207). Its login and consent pages are replaced by a user who
 * signs in as whichever account `signIn` names and grants (or refuses) what the client asks for.
 */
export class TestOidcProvider {
  readonly issuer: string;
  private readonly provider: Provider;
  private readonly accounts = new Map<string, OidcAccount>();
  private readonly choices = new Map<string, UserChoice>();
  /** Who signs in when a real browser (not `signIn`) reaches the provider's pages. */
  private browserUser?: UserChoice;

  private constructor(
    private readonly server: Server,
    private readonly options: TestOidcProviderOptions,
  ) {
    this.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const account of options.accounts) this.setAccount(account);
    this.provider = new Provider(this.issuer, this.configuration());
    const handleProtocol = this.provider.callback();
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (request.url?.startsWith('/interaction/')) void this.interact(request, response);
      else void handleProtocol(request, response);
    });
  }

  static async start(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
    // The issuer carries the port, so the server listens before the provider exists.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TestOidcProvider(server, options);
  }

  /** Adds or replaces an account; later sign-ins and tokens see the new claims. */
  setAccount(account: OidcAccount): void {
    this.accounts.set(account.sub, account);
  }
  /** A browser that reaches the provider's pages signs in as `sub` and grants what is asked (or, with `deny`, refuses it). */
  signInBrowsersAs(sub: string, options: { deny?: boolean } = {}): void {
    this.browserUser = { sub, deny: options.deny ?? false };
  }

  /**
   * Follows a browser from the relying party's authorization URL through the provider's redirects,
   * signed in as `sub`, until the provider sends it back to one of the client's redirect URIs
   * (with `code`, `state` and `iss`, or with `error`). Returns that URL without fetching it.
   */
  async signIn(authorizeUrl: string, sub: string, options: { deny?: boolean } = {}): Promise<string> {
    const clientId = new URL(authorizeUrl).searchParams.get('client_id');
    const client = this.options.clients.find((candidate) => candidate.clientId === clientId);
    if (!client) throw new Error(`${authorizeUrl} names no client of this provider`);
    const jar = new CookieJar();
    let url = authorizeUrl;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (client.redirectUris.some((uri) => url.startsWith(uri))) return url;
      const interactionUid = /^\/interaction\/([^/]+)$/.exec(new URL(url).pathname)?.[1];
      if (interactionUid) this.choices.set(interactionUid, { sub, deny: options.deny ?? false });
      const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url) } });
      if (interactionUid) this.choices.delete(interactionUid);
      jar.store(url, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (!location) throw new Error(`${url} answered ${response.status} without a redirect: ${await response.text()}`);
      url = new URL(location, url).href;
    }
    throw new Error(`no redirect back to the client after ${MAX_REDIRECTS} hops (last: ${url})`);
  }

  /** The provider goes down: connections to the issuer are refused from now on. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private configuration(): Configuration {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      adapter: memoryAdapter(),
      jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' }] },
      clients: this.options.clients.map((client) => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: client.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        // The provider accepts client_secret_post as well from a client registered for the basic method.
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      })),
      clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
      responseTypes: ['code'],
      pkce: { required: () => true },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
      // By default an ID token issued next to an access token carries only `sub`, and the rest comes
      // from userinfo; relying parties that read the email from the ID token need it there.
      conformIdTokenClaims: false,
      // Every lifetime is set: the library announces each default it falls back to.
      ttl: {
        AccessToken: 3600,
        AuthorizationCode: 60,
        Grant: 3600,
        IdToken: this.options.idTokenTtlSeconds ?? 3600,
        Interaction: 600,
        Session: 3600,
      },
      features: { devInteractions: { enabled: false } },
      findAccount: (_ctx, sub) => {
        const account = this.accounts.get(sub);
        return account && { accountId: sub, claims: () => ({ ...this.accounts.get(sub), sub }) };
      },
    };
  }

  /** The login and consent pages, answered at once by the user `signIn` chose for this interaction. */
  private async interact(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const details = await this.provider.interactionDetails(request, response);
      const choice = this.choices.get(details.uid) ?? this.browserUser;
      if (!choice) throw new Error(`interaction ${details.uid} was not reached through signIn, and no browser user is set`);
      if (details.prompt.name === 'login') {
        if (!this.accounts.has(choice.sub)) throw new Error(`no account ${choice.sub}`);
        await this.provider.interactionFinished(request, response, { login: { accountId: choice.sub } });
        return;
      }
      if (choice.deny) {
        const refusal = { error: 'access_denied', error_description: 'End-User refused the authorization' };
        await this.provider.interactionFinished(request, response, refusal, { mergeWithLastSubmission: false });
        return;
      }
      const grant = new this.provider.Grant({ accountId: details.session?.accountId, clientId: details.params.client_id as string });
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope);
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      await this.provider.interactionFinished(request, response, { consent: { grantId: await grant.save() } });
    } catch (error) {
      response.statusCode = 500;
      response.end(`test OIDC provider interaction failed: ${(error as Error).message}`);
    }
  }
}

/** The cookies one browser keeps across the redirects of a sign-in, sent back by path as browsers do. */
class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  header(url: string): string {
    const { pathname } = new URL(url);
    return [...this.cookies.values()]
      .filter((cookie) => pathname.startsWith(cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  store(url: string, setCookies: string[]): void {
    for (const setCookie of setCookies) {
      const [pair, ...attributes] = setCookie.split(';').map((part) => part.trim());
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      const attribute = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.split('=')[1];
      const path = attribute('path') ?? new URL(url).pathname;
      const expires = attribute('expires');
      const removed = !value || attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
      if (removed) this.cookies.delete(`${name};${path}`);
      else this.cookies.set(`${name};${path}`, { name, value, path });
    }
  }
}

/**
 * Storage for one provider only: oidc-provider's default adapter keeps every provider in the
 * process in one shared store, and announces itself with a warning on each start.
 */
function memoryAdapter(): AdapterFactory {
  const store = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const find = (key: string) => {
    const entry = store.get(key);
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  };
  return (model) => ({
    upsert: async (id, payload, expiresIn) => {
      store.set(`${model}:${id}`, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    },
    find: async (id) => find(`${model}:${id}`),
    findByUid: async (uid) =>
      [...store.keys()]
        .filter((key) => key.startsWith(`${model}:`))
        .map(find)
        .find((payload) => payload?.uid === uid),
    findByUserCode: async () => undefined,
    consume: async (id) => {
      const payload = find(`${model}:${id}`);
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    },
    destroy: async (id) => void store.delete(`${model}:${id}`),
    revokeByGrantId: async (grantId) => {
      for (const [key, entry] of store) if (entry.payload.grantId === grantId) store.delete(key);
    },
  });
}
