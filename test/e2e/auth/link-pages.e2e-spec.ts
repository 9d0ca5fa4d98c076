import { createHash, randomBytes } from 'node:crypto';
import { Script } from 'node:vm';
import { login, PASSWORD, postJson, uniqueEmail } from '@backlot/testing/auth';
import { problemOf } from '@backlot/testing/data';
import { linksIn, startSmtpInbox, type SmtpInbox } from '@backlot/testing/smtp-inbox';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

const SCRIPT_PATH = '/link-pages/link-page.js';
const PAGES = [
  { path: '/verify-email', endpoint: '/api/v1/auth/verify-email', body: { token: 'x'.repeat(43) } },
  { path: '/reset-password', endpoint: '/api/v1/auth/password/reset', body: { token: 'x'.repeat(43), password: PASSWORD } },
  { path: '/confirm-email-change', endpoint: '/api/v1/users/email-change/confirm', body: { token: 'x'.repeat(43) } },
];

/** What the page's form posts to (its data-endpoint). */
function endpointOf(html: string): string {
  const match = /<form [^>]*data-endpoint="([^"]+)"/.exec(html);
  if (!match) throw new Error('the page has no form with an endpoint');
  return match[1];
}

describe('pages for the links in mails', () => {
  describe('in development without APP_URL', () => {
    let t: TestApp;
    let inbox: SmtpInbox;
    const logLines: string[] = [];

    beforeAll(async () => {
      inbox = await startSmtpInbox();
      t = await startTestApp({
        env: { SMTP_URL: inbox.url, LOG_LEVEL: 'info', AUTH_RATE_LIMIT_MAX: '10000' },
        logDestination: { write: (chunk: string) => void logLines.push(...chunk.split('\n').filter(Boolean)) },
      });
    });
    afterAll(async () => {
      await t?.close();
      await inbox?.close();
    });

    it('serves the page a mailed verification link opens, and the token it posts confirms the address', async () => {
      const email = uniqueEmail('link-page');
      expect((await postJson(t, '/auth/register', { email, password: PASSWORD })).status).toBe(202);
      const [link] = linksIn((await inbox.waitForMail(email, { subject: /confirm your email/i })).text);
      const url = new URL(link);
      expect(`${url.protocol}//${url.hostname}${url.pathname}`).toBe('http://localhost/verify-email');

      const page = await t.request(`${url.pathname}${url.search}`, { headers: { 'x-request-id': 'link-page-open' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await page.text();
      expect(html).toContain(`<script src="${SCRIPT_PATH}" defer></script>`);
      expect(html).not.toContain(url.searchParams.get('token'));

      // What the page's script does on "Confirm": the token from the address, as JSON, to the form's endpoint.
      const confirmed = await t.request(endpointOf(html), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: url.searchParams.get('token') }),
      });
      expect(confirmed.status).toBe(204);
      await expect(login(t, email, PASSWORD)).resolves.toMatchObject({ accessToken: expect.any(String) });

      const access = logLines.filter((line) => line.includes('"reqId":"link-page-open"'));
      expect(access).toHaveLength(1);
      expect(access[0]).toContain('/verify-email?token=[redacted]');
      expect(access[0]).not.toContain(url.searchParams.get('token'));
    });

    it.each(PAGES)('serves $path with a CSP that allows only this origin, and a form that posts to $endpoint', async (spec) => {
      const page = await t.request(`${spec.path}?token=${'t'.repeat(43)}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(
        /^default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'sha256-[A-Za-z0-9+/]+=*'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
      );
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('cache-control')).toBe('no-store');
      const html = await page.text();
      expect(html).not.toMatch(/https?:\/\/|(src|href)="(?!\/[a-z])/);
      expect(html).not.toMatch(/<script>|\son[a-z]+=/);
      expect(endpointOf(html)).toBe(spec.endpoint);
      const style = /<style>([^<]*)<\/style>/.exec(html)![1];
      expect(page.headers.get('content-security-policy')).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);

      // The endpoint exists and takes the token: a wrong one is refused for what it is, not as an unknown route.
      const refused = await postJson(t, spec.endpoint.replace('/api/v1', ''), spec.body);
      expect((await problemOf(refused, 400)).status).toBe(400);
    });

    it('serves a page for the "forgot password" link that asks for the address and mails a reset link', async () => {
      const html = await (await t.request('/forgot-password')).text();
      expect(html).toContain('<input name="email" type="email"');
      expect(endpointOf(html)).toBe('/api/v1/auth/password/forgot');
      expect((await postJson(t, '/auth/password/forgot', { email: uniqueEmail('forgot') })).status).toBe(202);
    });

    it('serves the pages’ script from this origin, as JavaScript that fetches only the endpoint its form names', async () => {
      const response = await t.request(SCRIPT_PATH);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const source = await response.text();
      expect(() => new Script(source)).not.toThrow();
      expect(source).not.toMatch(/https?:\/\/|['"`]\/\//);
      expect(source.match(/fetch\([^,)]*/g)).toEqual(['fetch(form.dataset.endpoint']);
      expect(source).not.toMatch(/innerHTML|console\./);
    });
  });

  describe.each<{ shape: string; env: Record<string, string> }>([
    { shape: 'when APP_URL is set', env: { APP_URL: 'https://app.example.test' } },
    {
      shape: 'in production',
      env: {
        NODE_ENV: 'production',
        JWT_SECRET: randomBytes(48).toString('base64'),
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        METRICS_TOKEN: randomBytes(48).toString('base64'),
      },
    },
  ])('$shape', ({ env }) => {
    let t: TestApp;
    beforeAll(async () => (t = await startTestApp({ env })));
    afterAll(() => t?.close());

    it('does not serve the pages or their script (404)', async () => {
      for (const path of [...PAGES.map((page) => page.path), '/forgot-password', SCRIPT_PATH]) {
        await problemOf(await t.request(`${path}?token=${'t'.repeat(43)}`), 404);
      }
    });
  });
});
