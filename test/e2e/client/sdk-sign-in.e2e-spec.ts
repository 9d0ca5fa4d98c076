import { createClient, ProviderSignInError, type VerifierStorage } from '@backlot/client';
import { UsersService } from '../../../apps/api/src/users/users.service';
import { uniqueEmail } from '@backlot/testing/auth';
import { GitHubStandIn } from '@backlot/testing/github-standin';
import { TestOidcProvider } from '@backlot/testing/oidc-provider';
import { startSmtpInbox, type SmtpInbox } from '@backlot/testing/smtp-inbox';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

const PUBLIC_URL = 'http://backlot.test';
const RETURN_PAGE = 'http://spa.test/auth/done';
const CLIENT = { clientId: 'sdk-spa', clientSecret: 'sdk-client-secret-long-enough' };

/** sessionStorage for Node: the one tab of a test. */
class TabStorage implements VerifierStorage {
  private readonly items = new Map<string, string>();
  getItem = (key: string) => this.items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.items.set(key, value);
  removeItem = (key: string) => void this.items.delete(key);
}

/** The SDK's provider sign-in, linking and email codes, in Node, against a running Backlot and a real OpenID provider. */
describe('@backlot/client: sign-in with providers and email codes', () => {
  let t: TestApp;
  let idp: TestOidcProvider;
  let github: GitHubStandIn;
  let inbox: SmtpInbox;

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    idp = await TestOidcProvider.start({
      clients: [{ ...CLIENT, redirectUris: [`${PUBLIC_URL}/api/v1/auth/providers/corp/callback`] }],
      accounts: [{ sub: 'sdk-user', email: uniqueEmail('sdk'), email_verified: true, name: 'SDK User' }],
    });
    github = await GitHubStandIn.start(CLIENT);
    t = await startTestApp({
      env: {
        PUBLIC_URL,
        OAUTH_REDIRECT_URLS: RETURN_PAGE,
        AUTH_PROVIDERS: 'corp,github',
        AUTH_CORP_ISSUER: idp.issuer,
        AUTH_CORP_CLIENT_ID: CLIENT.clientId,
        AUTH_CORP_CLIENT_SECRET: CLIENT.clientSecret,
        AUTH_GITHUB_ISSUER: github.url,
        AUTH_GITHUB_CLIENT_ID: CLIENT.clientId,
        AUTH_GITHUB_CLIENT_SECRET: CLIENT.clientSecret,
        SMTP_URL: inbox.url,
        AUTH_RATE_LIMIT_MAX: '1000',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
    await github?.close();
    await inbox?.close();
  });

  /** What the browser does between the SDK's start and the return page: Backlot's redirect, the provider, Backlot's callback. */
  async function throughProvider(startUrl: string, atProvider: (url: string) => Promise<string>): Promise<string> {
    const providerUrl = startUrl.startsWith(t.baseUrl)
      ? (await t.request(startUrl.slice(t.baseUrl.length), { redirect: 'manual' })).headers.get('location')!
      : startUrl;
    const callback = new URL(await atProvider(providerUrl));
    const back = await t.request(`${callback.pathname}${callback.search}`, { redirect: 'manual' });
    return back.headers.get('location')!;
  }

  it('lists providers, signs in through one and links another; the return page finishes each', async () => {
    const tab = new TabStorage();
    const client = createClient({ url: t.baseUrl, providerStorage: tab });
    expect((await client.auth.providers.list()).map((provider) => provider.name)).toEqual(['corp', 'github']);

    let went = '';
    await client.auth.providers.signIn('corp', { redirect: RETURN_PAGE, navigate: (url) => (went = url) });
    expect(went.startsWith(`${t.baseUrl}/api/v1/auth/providers/corp/authorize?`)).toBe(true);
    const page = await throughProvider(went, (url) => idp.signIn(url, 'sdk-user'));
    expect(await client.auth.providers.complete(page)).toEqual({ signedIn: true });
    expect(await client.me()).toMatchObject({ displayName: 'SDK User' });

    github.setUser({ id: 77, login: 'sdk', emails: [{ email: uniqueEmail('sdk-gh'), primary: true, verified: true }] });
    await client.auth.providers.link('github', { redirect: RETURN_PAGE, navigate: (url) => (went = url) });
    const linkPage = await throughProvider(went, (url) => github.signIn(url));
    const outcome = await client.auth.providers.complete(linkPage);
    expect(outcome).toEqual({ linked: expect.objectContaining({ provider: 'github' }) });
    expect((await client.auth.providers.identities()).map((identity) => identity.provider).sort()).toEqual(['corp', 'github']);
  });

  it('refuses to finish on a page whose tab did not start the sign-in, and reports provider errors by code', async () => {
    const attackerTab = new TabStorage();
    const attacker = createClient({ url: t.baseUrl, providerStorage: attackerTab });
    let went = '';
    await attacker.auth.providers.signIn('corp', { redirect: RETURN_PAGE, navigate: (url) => (went = url) });
    const planted = await throughProvider(went, (url) => idp.signIn(url, 'sdk-user'));

    const victim = createClient({ url: t.baseUrl, providerStorage: new TabStorage() });
    await expect(victim.auth.providers.complete(planted)).rejects.toMatchObject({ code: 'no_verifier' });

    await expect(victim.auth.providers.complete(`${RETURN_PAGE}?error=access_denied&error_description=Cancelled`)).rejects.toEqual(
      new ProviderSignInError('access_denied', 'Cancelled'),
    );
  });

  it('signs in with a mailed code', async () => {
    const email = uniqueEmail('sdk-code');
    // An account without a password, as a provider sign-in makes.
    await t.app.get(UsersService).create({ email, passwordHash: null, verified: true });
    const after = inbox.messages.length;
    const client = createClient({ url: t.baseUrl });
    await client.auth.requestEmailCode(email);
    const mail = await inbox.waitForMail(email, { after });
    const code = /\b(\d{6})\b/.exec(mail.text)![1];
    expect(await client.auth.signInWithEmailCode(email, code)).toEqual({ signedIn: true });
    expect(await client.me()).toMatchObject({ email });
  });
});
