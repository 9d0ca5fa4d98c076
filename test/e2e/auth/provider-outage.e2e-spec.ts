import { type AddressInfo, createServer, type Socket } from 'node:net';
import { authorizePath } from '@backlot/testing/provider-flow';
import { TestOidcProvider } from '@backlot/testing/oidc-provider';
import { uniqueEmail } from '@backlot/testing/auth';
import { startTestApp } from '@backlot/testing/test-app';

const PUBLIC_URL = 'http://backlot.test';
const SPA_PAGE = 'http://spa.test/auth/done';
const CLIENT = { clientId: 'backlot-spa', clientSecret: 'a-client-secret-of-some-length' };

describe('a sign-in provider that is down or does not answer', () => {
  it('answers 503 when the provider cannot be reached, and a provider gone in mid-sign-in comes back as provider_unavailable', async () => {
    const down = await TestOidcProvider.start({ clients: [], accounts: [] });
    await down.close();
    const flaky = await TestOidcProvider.start({
      clients: [{ ...CLIENT, redirectUris: [`${PUBLIC_URL}/api/v1/auth/providers/flaky/callback`] }],
      accounts: [{ sub: 'someone', email: uniqueEmail('flaky'), email_verified: true }],
    });
    const other = await startTestApp({
      env: {
        PUBLIC_URL,
        OAUTH_REDIRECT_URLS: SPA_PAGE,
        AUTH_PROVIDERS: 'down,flaky',
        AUTH_DOWN_ISSUER: down.issuer,
        AUTH_DOWN_CLIENT_ID: 'x',
        AUTH_FLAKY_ISSUER: flaky.issuer,
        AUTH_FLAKY_CLIENT_ID: CLIENT.clientId,
        AUTH_FLAKY_CLIENT_SECRET: CLIENT.clientSecret,
        AUTH_PROVIDER_TIMEOUT_MS: '2000',
      },
    });
    try {
      const refused = await other.request(authorizePath('down', SPA_PAGE), { redirect: 'manual' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');

      const started = await other.request(authorizePath('flaky', SPA_PAGE), { redirect: 'manual' });
      const callback = new URL(await flaky.signIn(started.headers.get('location')!, 'someone'));
      await flaky.close();
      const back = await other.request(`${callback.pathname}${callback.search}`, { redirect: 'manual' });
      expect(back.status).toBe(302);
      const page = new URL(back.headers.get('location')!);
      expect(page.searchParams.get('error')).toBe('provider_unavailable');
      expect(page.searchParams.get('error_description')).not.toContain('127.0.0.1');
    } finally {
      await other.close();
      await flaky.close();
    }
  });

  it('gives up on a provider that accepts connections and never answers, within AUTH_PROVIDER_TIMEOUT_MS', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const app = await startTestApp({
      env: {
        PUBLIC_URL,
        OAUTH_REDIRECT_URLS: SPA_PAGE,
        AUTH_PROVIDERS: 'silent',
        AUTH_SILENT_ISSUER: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        AUTH_SILENT_CLIENT_ID: 'x',
        AUTH_PROVIDER_TIMEOUT_MS: '1000',
      },
    });
    try {
      const started = Date.now();
      const response = await app.request(authorizePath('silent', SPA_PAGE), { redirect: 'manual' });
      expect(response.status).toBe(503);
      // One second of timeout, with room for a loaded machine; without the bound it would hang for good.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await app.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
