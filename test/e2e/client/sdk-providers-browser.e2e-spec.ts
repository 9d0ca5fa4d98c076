import type { Browser, Page } from 'playwright-core';
import { signedInUser } from '@backlot/testing/auth';
import { launchChromium } from '@backlot/testing/browser';
import { TestOidcProvider } from '@backlot/testing/oidc-provider';
import { compileClientModules, type SdkHarness, serveSdkHarness } from '@backlot/testing/sdk-harness';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

/** What the page's signInWithPopup() ended with, and who the client then is. */
interface PopupOutcome {
  signedIn?: boolean;
  email?: string;
  error?: string;
  code?: string;
}

/**
 * The SDK's popup sign-in in headless Chromium against a running Backlot and a real OpenID
 * provider: the page opens the popup, the popup goes through the provider and lands on the return
 * page, which hands the outcome back; the page trades it with the verifier it kept in memory.
 */
describe('@backlot/client sign-in through a popup in a real browser', () => {
  let sdk: ReturnType<typeof compileClientModules>;
  let harness: SdkHarness;
  let t: TestApp;
  let idp: TestOidcProvider;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    sdk = compileClientModules();
    harness = await serveSdkHarness(sdk.dir);
    t = await startTestApp({ env: { CORS_ORIGINS: harness.url } });
    idp = await TestOidcProvider.start({
      clients: [
        { clientId: 'spa', clientSecret: 'popup-client-secret', redirectUris: [`${t.baseUrl}/api/v1/auth/providers/idp/callback`] },
      ],
      accounts: [{ sub: 'popup-user', email: 'popup.user@example.test', email_verified: true, name: 'Popup User' }],
    });
    const admin = await signedInUser(t, { role: 'admin' });
    const provider = { name: 'idp', preset: 'oidc', issuer: idp.issuer, clientId: 'spa', clientSecret: 'popup-client-secret' };
    expect((await admin.json('POST', '/admin/sign-in/providers', provider)).status).toBe(201);
    expect((await admin.json('PUT', '/admin/sign-in/redirect-urls', { urls: [`${harness.url}/relay.html`] })).status).toBe(200);
    await sdk.compiled;
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(harness.url);
    await page.waitForFunction(() => 'sdk' in globalThis);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await idp?.close();
    await harness?.close();
    sdk?.remove();
  });

  /** Clicks a button on the page that starts signInWithPopup (a popup needs a click), and waits for the outcome. */
  async function signInWithPopup(onPopup: (popup: Page) => Promise<void> = async () => undefined): Promise<PopupOutcome> {
    // The provider's session of an earlier test would answer without asking (and so without a refusal).
    await page.context().clearCookies();
    await page.evaluate(
      ({ api, redirect }) => {
        const { createClient, ProviderSignInError } = (globalThis as unknown as { sdk: typeof import('@backlot/client') }).sdk;
        const client = createClient({ url: api });
        const button = document.createElement('button');
        button.textContent = 'Sign in';
        document.body.replaceChildren(button);
        const outcome = new Promise<PopupOutcome>((resolve) =>
          button.addEventListener('click', () => {
            client.auth.providers
              .signInWithPopup('idp', { redirect })
              .then(async (signIn) => resolve({ signedIn: signIn.signedIn, email: (await client.me<{ email: string }>()).email }))
              .catch((error: Error) => resolve({ error: error.name, code: error instanceof ProviderSignInError ? error.code : undefined }));
          }),
        );
        (globalThis as unknown as { outcome: Promise<PopupOutcome> }).outcome = outcome;
      },
      { api: t.baseUrl, redirect: `${harness.url}/relay.html` },
    );
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('button')]);
    await onPopup(popup);
    return page.evaluate(() => (globalThis as unknown as { outcome: Promise<PopupOutcome> }).outcome);
  }

  it('signs in through the provider in a popup, which closes; the page holds the session', async () => {
    idp.signInBrowsersAs('popup-user');
    let popupClosed: Promise<unknown> = Promise.resolve();
    const outcome = await signInWithPopup(async (popup) => {
      popupClosed = popup.waitForEvent('close');
    });
    expect(outcome).toEqual({ signedIn: true, email: 'popup.user@example.test' });
    await popupClosed;
    // The page never left: the code went to it from the popup, not through its address bar.
    expect(new URL(page.url()).pathname).toBe('/');
  });

  it("answers the provider's refusal as a ProviderSignInError with its code", async () => {
    idp.signInBrowsersAs('popup-user', { deny: true });
    expect(await signInWithPopup()).toEqual({ error: 'ProviderSignInError', code: 'access_denied' });
  });

  it('answers a popup closed by the user with popup_closed', async () => {
    const outcome = await signInWithPopup(async (popup) => {
      // Stopped at the provider, then closed, as a user changing their mind.
      await popup.route(`${idp.issuer}/**`, (route) => route.abort());
      await popup.close();
    });
    expect(outcome).toEqual({ error: 'ProviderSignInError', code: 'popup_closed' });
  });

  it('ignores a message from any other window, even of the same origin', async () => {
    idp.signInBrowsersAs('popup-user');
    const outcome = await signInWithPopup(async () => {
      // A forged outcome posted by the page itself (not the popup) is not taken.
      await page.evaluate(() =>
        window.postMessage({ type: 'backlot-provider-outcome', url: `${location.origin}/relay.html?code=forged` }, location.origin),
      );
    });
    expect(outcome).toEqual({ signedIn: true, email: 'popup.user@example.test' });
  });
});
