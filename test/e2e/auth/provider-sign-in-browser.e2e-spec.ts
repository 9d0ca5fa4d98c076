import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { signedInUser } from '@backlot/testing/auth';
import { launchChromium } from '@backlot/testing/browser';
import { TestOidcProvider } from '@backlot/testing/oidc-provider';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

/**
 * A two-page SPA, as the docs tell SPA authors to write it. `/start` keeps a random verifier in
 * sessionStorage and sends the browser to Backlot with its SHA-256 as `challenge`; `/done` (the
 * return page) trades the one-time code and that verifier for tokens and shows who signed in.
 */
function spaPage(path: string, apiUrl: string, returnPage: string): string {
  const start = `
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64url = (data) => btoa(String.fromCharCode(...new Uint8Array(data))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const verifier = base64url(bytes);
  sessionStorage.setItem('backlot-verifier', verifier);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  location.href = ${JSON.stringify(apiUrl)} + '/api/v1/auth/providers/idp/authorize?redirect=' + encodeURIComponent(${JSON.stringify(returnPage)}) + '&challenge=' + challenge;`;
  const done = `
  const params = new URLSearchParams(location.search);
  if (params.get('error')) return show('error: ' + params.get('error'));
  const verifier = sessionStorage.getItem('backlot-verifier');
  const exchanged = await fetch(${JSON.stringify(apiUrl)} + '/api/v1/auth/providers/exchange', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: params.get('code'), verifier }),
  });
  const { accessToken } = await exchanged.json();
  const me = await (await fetch(${JSON.stringify(apiUrl)} + '/api/v1/users/me', { headers: { authorization: 'Bearer ' + accessToken } })).json();
  show('signed in as ' + me.email + '; url has no token: ' + !location.href.includes(accessToken));`;
  return `<!doctype html><meta charset="utf-8"><title>SPA</title><p id="result">working</p>
<script>
const show = (text) => { document.getElementById('result').textContent = text; };
(async () => {${path === '/start' ? start : done}
})().catch((error) => show('failed: ' + error));
</script>`;
}

describe('sign-in with a provider in a real browser (headless Chromium)', () => {
  let t: TestApp;
  let idp: TestOidcProvider;
  let spa: Server;
  let spaUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    spa = createServer();
    await new Promise<void>((resolve) => spa.listen(0, '127.0.0.1', resolve));
    spaUrl = `http://127.0.0.1:${(spa.address() as AddressInfo).port}`;
    // Without PUBLIC_URL the callback is built from the address the browser used: the app's own.
    t = await startTestApp({ env: { CORS_ORIGINS: spaUrl } });
    spa.on('request', (request, response) =>
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(spaPage(new URL(request.url!, spaUrl).pathname, t.baseUrl, `${spaUrl}/done`)),
    );
    idp = await TestOidcProvider.start({
      clients: [
        { clientId: 'spa', clientSecret: 'browser-client-secret', redirectUris: [`${t.baseUrl}/api/v1/auth/providers/idp/callback`] },
      ],
      accounts: [{ sub: 'browser-user', email: 'browser.user@example.test', email_verified: true, name: 'Browser User' }],
    });
    idp.signInBrowsersAs('browser-user');
    const admin = await signedInUser(t, { role: 'admin' });
    const created = await admin.json('POST', '/admin/sign-in/providers', {
      name: 'idp',
      preset: 'oidc',
      issuer: idp.issuer,
      clientId: 'spa',
      clientSecret: 'browser-client-secret',
    });
    expect(created.status).toBe(201);
    expect((await admin.json('PUT', '/admin/sign-in/redirect-urls', { urls: [`${spaUrl}/done`] })).status).toBe(200);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await idp?.close();
    await new Promise((resolve) => spa?.close(resolve));
  });

  it('follows the redirects to the provider and back, and the SPA page trades the code for tokens', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${spaUrl}/start`);
      await page.waitForURL((url) => url.pathname === '/done', { timeout: 20_000 });
      await page.waitForFunction(() => document.getElementById('result')?.textContent !== 'working', undefined, { timeout: 20_000 });
      expect(await page.textContent('#result')).toBe('signed in as browser.user@example.test; url has no token: true');
      const landed = new URL(page.url());
      expect(`${landed.origin}${landed.pathname}`).toBe(`${spaUrl}/done`);
      expect([...landed.searchParams.keys()]).toEqual(['code']);
    } finally {
      await page.close();
    }
  });
});
