import { JobQueue } from '@backlot/jobs';
import { json } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';
import { WebhookReceiver } from '@backlot/testing/webhook-receiver';
import { type AdminApp, auditEvents, startAdminApp } from '../admin/admin-helpers';
import { createWebhook, type Delivery, deliveriesOf, settled, verifySignature, type Webhook, WEBHOOK_TEST_ENV } from './webhooks-helpers';

/**
 * Receivers answering what a database cannot store, and receivers addressed by name. Retries
 * wait 10 minutes here, so an attempt the log shows as pending stays so for the test.
 */
describe('webhooks: hostile answers and host names', () => {
  let app: AdminApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    app = await startAdminApp({
      env: {
        ...WEBHOOK_TEST_ENV,
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost',
        WEBHOOK_BACKOFF_SECONDS: '600',
        WEBHOOK_MAX_ATTEMPTS: '2',
        WEBHOOK_DISABLE_AFTER_FAILURES: '2',
      },
    });
  });
  afterAll(async () => {
    await app?.t.close();
    await receiver?.close();
  });

  async function ping(hook: Webhook): Promise<Delivery> {
    const response = await app.admin.json('POST', `/admin/webhooks/${hook.id}/ping`);
    expect(response.status).toBe(202);
    return json<Delivery>(response);
  }

  it('records a 2xx answer holding NUL bytes and a pair cut at 2 KB as succeeded, once, without sending it again', async () => {
    const { admin } = app;
    const hook = await createWebhook(admin, { url: receiver.url('/nul'), events: ['nothing_here.created'] });
    // Without the NUL, the emoji's two halves sit across the 2 KB mark the log keeps.
    receiver.plan({ status: 200, body: `ok\u0000${'a'.repeat(2045)}😀 and more` });
    await ping(hook);

    const [delivery] = await settled(admin, hook.id, 1);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, responseCode: 200, error: null });
    expect(delivery.responseBody).toBe(`ok${'a'.repeat(2045)}`);
    expect(receiver.at('/nul')).toHaveLength(1);
    expect((await json<Webhook>(await admin.request(`/admin/webhooks/${hook.id}`))).consecutiveFailures).toBe(0);
  });

  it('counts failing answers holding NUL bytes, shows the retry at the time the queue runs it, and disables at the threshold', async () => {
    const { admin, t } = app;
    const hook = await createWebhook(admin, { url: receiver.url('/broken'), events: ['nothing_here.created'] });
    receiver.plan({ status: 500, body: 'bad\u0000news' }, 2);
    const first = await ping(hook);

    const waiting = await eventually('the first failed attempt', async () => {
      const [delivery] = await deliveriesOf(admin, hook.id);
      return delivery?.attempts === 1 && delivery;
    });
    expect(waiting).toMatchObject({
      id: first.id,
      status: 'pending',
      responseCode: 500,
      responseBody: 'badnews',
      error: 'receiver answered 500',
    });
    const job = await eventually('the job back in the queue', async () => {
      const { items } = await t.app.get(JobQueue).list({ state: 'pending', name: 'webhooks.deliver', limit: 10 });
      return items.length === 1 && items[0];
    });
    expect(job.runAt).toBe(waiting.nextAttemptAt);

    await ping(hook);
    const disabled = await eventually('the webhook disabled', async () => {
      const view = await json<Webhook>(await admin.request(`/admin/webhooks/${hook.id}`));
      return !view.enabled && view;
    });
    expect(disabled).toMatchObject({ consecutiveFailures: 2, disabledReason: expect.stringMatching(/2 failed delivery attempts.*500/) });
    expect(await auditEvents(admin, { action: 'webhook.disabled', targetId: hook.id })).toHaveLength(1);
    expect(receiver.at('/broken')).toHaveLength(2);
  });

  it('delivers to a host name at the address checked for it, with the URL host in the Host header', async () => {
    const { admin } = app;
    const url = receiver.url('/pinned', 'localhost');
    const hook = await createWebhook(admin, { url, events: ['nothing_here.created'] });
    await ping(hook);

    const [delivery] = await settled(admin, hook.id, 1);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1 });
    const [request] = receiver.at('/pinned');
    expect(request.headers.host).toBe(new URL(url).host);
    expect(verifySignature(hook.secret, request)).toBe(true);
  });
});
