import { login, sessionFor, type UserSession } from '@backlot/testing/auth';
import { json } from '@backlot/testing/test-app';
import { WebhookReceiver } from '@backlot/testing/webhook-receiver';
import { createCollection, createWebhook, settled, WEBHOOK_TEST_ENV } from '../webhooks/webhooks-helpers';
import { type AdminApp, startAdminApp } from './admin-helpers';

describe('webhooks in backups', () => {
  let app: AdminApp;
  let receiver: WebhookReceiver;
  /** Signed in again after each restore. */
  let admin: UserSession;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    app = await startAdminApp({ env: WEBHOOK_TEST_ENV });
    admin = app.admin;
  });
  afterAll(async () => {
    await app?.t.close();
    await receiver?.close();
  });

  async function restore(name: string): Promise<void> {
    expect((await admin.json('POST', `/admin/backups/${name}/restore`, { confirm: name })).status).toBe(200);
    // The restore ended every session (the backup holds none): sign in again.
    admin = sessionFor(app.t, admin, await login(app.t, admin.email, admin.password));
  }

  it('come back with a restore, with a secret that still signs, and without the old delivery log', async () => {
    const created = await admin.json('POST', '/admin/webhooks', { url: 'https://hooks.example.invalid/backlot', events: ['*'] });
    expect(created.status).toBe(201);
    const hook = await json<{ id: string }>(created);
    expect((await admin.json('POST', `/admin/webhooks/${hook.id}/ping`)).status).toBe(202);
    const backup = await json<{ name: string; counts: Record<string, number> }>(await admin.json('POST', '/admin/backups', {}));
    expect(backup.counts.webhooks).toBe(1);

    expect((await admin.json('DELETE', `/admin/webhooks/${hook.id}`)).status).toBe(204);
    await restore(backup.name);

    const restored = await admin.json('GET', `/admin/webhooks/${hook.id}`);
    expect(restored.status).toBe(200);
    const log = await json<{ items: unknown[] }>(await admin.json('GET', `/admin/webhooks/${hook.id}/deliveries`));
    expect(log.items).toEqual([]);
    expect((await admin.json('POST', `/admin/webhooks/${hook.id}/ping`)).status).toBe(202);
  });

  it('after a restore, events go to the restored webhooks at once, not to the ones the restore removed', async () => {
    await createCollection(admin, 'wh_restored');
    const kept = await createWebhook(admin, { url: receiver.url('/kept'), events: ['wh_restored.created'] });
    const backup = await json<{ name: string }>(await admin.json('POST', '/admin/backups', {}));

    // After the backup: the kept webhook is disabled and another one takes its place; an event
    // makes the dispatcher cache that list.
    expect((await admin.json('PATCH', `/admin/webhooks/${kept.id}`, { enabled: false })).status).toBe(200);
    const later = await createWebhook(admin, { url: receiver.url('/later'), events: ['wh_restored.created'] });
    expect((await admin.json('POST', '/collections/wh_restored/records', { title: 'before' })).status).toBe(201);
    await settled(admin, later.id, 1);

    await restore(backup.name);
    expect((await admin.json('POST', '/collections/wh_restored/records', { title: 'after' })).status).toBe(201);
    const [delivery] = await settled(admin, kept.id, 1);
    expect(delivery).toMatchObject({ status: 'succeeded', event: 'wh_restored.created' });
    expect(receiver.at('/later')).toHaveLength(1);
  });
});
