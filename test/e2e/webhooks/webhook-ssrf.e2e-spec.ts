import { FieldEncryption } from '@backlot/security';
import { WebhooksRepository } from '../../../apps/api/src/data/webhooks/webhooks.repository';
import type { UserSession } from '@backlot/testing/auth';
import { json } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';
import { WebhookReceiver } from '@backlot/testing/webhook-receiver';
import { type AdminApp, problem, startAdminApp } from '../admin/admin-helpers';
import { createWebhook, type Delivery, deliveriesOf, settled, verifySignature, WEBHOOK_TEST_ENV } from './webhooks-helpers';

/** The SSRF defence: internal targets are refused at creation and, against the resolved address, at delivery. */
// One app at a time: two apps with different secrets in one process share passport's strategy registry.
describe('webhooks: SSRF defence and a hostile receiver', () => {
  let receiver: WebhookReceiver;
  /** No allow-list: the default deployment. */
  let strict: AdminApp;
  /** The receiver's 127.0.0.1 allow-listed, to play a hostile receiver. */
  let open: AdminApp;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(() => receiver?.close());

  describe('without an allow-list (the default)', () => {
    beforeAll(async () => {
      strict = await startAdminApp({ env: { ...WEBHOOK_TEST_ENV, WEBHOOK_ALLOWED_HOSTS: '' } });
    });
    afterAll(() => strict?.t.close());

    async function refused(admin: UserSession, url: string, code: string): Promise<string> {
      const response = await admin.json('POST', '/admin/webhooks', { url, events: ['*'] });
      const body = await problem(response, 400);
      expect({ url, errors: body.errors }).toEqual({ url, errors: [expect.objectContaining({ path: 'url', code })] });
      return body.errors![0].message;
    }

    it('refuses bad schemes and credentials at creation', async () => {
      const { admin } = strict;
      for (const url of ['ftp://example.com/hook', 'javascript:alert(1)', 'file:///etc/passwd', 'gopher://example.com/']) {
        await refused(admin, url, 'unsupportedScheme');
      }
      await refused(admin, 'https://user:pass@example.com/hook', 'credentialsInUrl');
      await refused(admin, 'not a url', 'invalidUrl');
    });

    it('refuses private, loopback, link-local and metadata targets at creation, naming the reason', async () => {
      const { admin } = strict;
      const cases: [string, RegExp][] = [
        ['http://10.0.0.1/', /private/],
        ['http://192.168.1.10:8080/hook', /private/],
        ['http://172.16.5.4/', /private/],
        ['http://169.254.169.254/latest/meta-data', /metadata/],
        ['http://169.254.10.1/', /link-local/],
        ['http://[::1]/', /loopback/],
        ['http://[::ffff:127.0.0.1]/', /loopback/],
        ['http://[fe80::1]/', /link-local/],
        ['http://[fd00::1]/', /private/],
        ['http://[64:ff9b::127.0.0.1]/', /loopback/],
        ['http://[2002:a9fe:a9fe::]/', /metadata/],
        ['http://100.64.0.1/', /carrier-grade NAT/],
        ['http://0.0.0.0/', /unspecified/],
        ['http://0x7f.1/', /loopback/],
        ['http://2130706433/', /loopback/],
        ['http://localhost/', /localhost resolves to .* loopback/],
        [receiver.url(), /loopback/],
      ];
      for (const [url, reason] of cases) expect(await refused(admin, url, 'forbiddenTarget')).toMatch(reason);
      const { total } = await json<{ total: number }>(await admin.request('/admin/webhooks?count=true'));
      expect(total).toBe(0);
    });

    it('accepts public addresses and names that do not resolve yet (checked again at delivery)', async () => {
      const { admin } = strict;
      await createWebhook(admin, { url: 'https://93.184.215.14/hook', events: ['nothing_here.created'] });
      await createWebhook(admin, { url: 'https://hooks.backlot-test.invalid/hook', events: ['nothing_here.created'] });
    });

    it('refuses at delivery a stored webhook whose name resolves to loopback: no request leaves, the log says why', async () => {
      const { t, admin } = strict;
      // As if created while allow-listed (or before a DNS change): inserted past the creation check.
      const secret = 'whsec_test';
      const port = new URL(receiver.url()).port;
      const repository = t.app.get(WebhooksRepository);
      const encryption = t.app.get(FieldEncryption);
      const stored = await Promise.all(
        [`http://localhost:${port}/ssrf`, `http://127.0.0.1:${port}/ssrf`].map((url) =>
          repository.create({ url, events: ['*'], description: null, enabled: true }, (id) => encryption.encrypt(secret, `webhooks:${id}`)),
        ),
      );
      for (const hook of stored) {
        expect((await admin.json('POST', `/admin/webhooks/${hook.id}/ping`)).status).toBe(202);
        const [delivery] = await settled(admin, hook.id, 1);
        // Refused for good: a retry cannot make a loopback address public.
        expect(delivery).toMatchObject({ status: 'failed', attempts: 1, responseCode: null });
        expect(delivery.error).toMatch(/^refused: .*127\.0\.0\.1.* loopback address/);
      }
      expect(receiver.at('/ssrf')).toEqual([]);
    });

    it('refuses at delivery a stored target that points at a private address now', async () => {
      const { t, admin } = strict;
      const repository = t.app.get(WebhooksRepository);
      // A public address at creation, pointed at a private one afterwards (as a DNS change would).
      const hook = await createWebhook(admin, { url: 'http://93.184.215.14/', events: ['nothing_here.created'] });
      await repository.update(hook.id, { url: 'http://10.255.255.1/' });
      await admin.json('POST', `/admin/webhooks/${hook.id}/ping`);
      const [delivery] = await settled(admin, hook.id, 1);
      expect(delivery).toMatchObject<Partial<Delivery>>({ status: 'failed', attempts: 1 });
      expect(delivery.error).toMatch(/private address/);
    });
  });

  describe('with the receiver allow-listed', () => {
    beforeAll(async () => {
      open = await startAdminApp({ env: WEBHOOK_TEST_ENV });
    });
    afterAll(() => open?.t.close());

    it('does not follow a redirect, even to an allowed address; the log records the code and target', async () => {
      const { admin } = open;
      const hook = await createWebhook(admin, { url: receiver.url('/redirect'), events: ['nothing_here.created'] });
      receiver.plan({ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data' } });
      receiver.plan({ status: 307, headers: { location: receiver.url('/elsewhere') } }, 2);
      await admin.json('POST', `/admin/webhooks/${hook.id}/ping`);

      const [delivery] = await settled(admin, hook.id, 1);
      expect(delivery).toMatchObject({ status: 'failed', attempts: 3, responseCode: 307 });
      expect(delivery.error).toMatch(/^redirect \(307 to http:\/\/127\.0\.0\.1:\d+\/elsewhere\) not followed$/);
      expect(receiver.at('/redirect')).toHaveLength(3);
      expect(receiver.at('/elsewhere')).toEqual([]);
    });

    it('reads at most a capped prefix of an endless response body and stores 2 KB of it', async () => {
      const { admin } = open;
      const hook = await createWebhook(admin, { url: receiver.url('/endless'), events: ['nothing_here.created'] });
      receiver.plan({ status: 200, endless: true });
      await admin.json('POST', `/admin/webhooks/${hook.id}/ping`);

      const [delivery] = await settled(admin, hook.id, 1);
      expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, responseCode: 200 });
      expect(delivery.responseBody).toBe('a'.repeat(2048));
    });

    it('a receiver slower than WEBHOOK_TIMEOUT_MS fails the attempt; the retry succeeds', async () => {
      const { admin } = open;
      const hook = await createWebhook(admin, { url: receiver.url('/slow'), events: ['nothing_here.created'] });
      receiver.plan({ status: 200, delayMs: 4_000 });
      await admin.json('POST', `/admin/webhooks/${hook.id}/ping`);

      const timedOut = await eventually('the timed-out attempt', async () => {
        const [delivery] = await deliveriesOf(admin, hook.id);
        return delivery?.error && delivery;
      });
      expect(timedOut).toMatchObject({ status: 'pending', attempts: 1, error: 'timed out after 2000 ms' });
      const [delivery] = await settled(admin, hook.id, 1);
      expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(receiver.at('/slow').every((request) => verifySignature(hook.secret, request))).toBe(true);
    });
  });
});
