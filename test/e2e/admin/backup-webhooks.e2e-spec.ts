import { login, sessionFor } from '../../helpers/auth';
import { json } from '../../helpers/test-app';
import { type AdminApp, startAdminApp } from './admin-helpers';

describe('webhooks in backups', () => {
  let app: AdminApp;

  beforeAll(async () => {
    app = await startAdminApp();
  });
  afterAll(() => app?.t.close());

  it('come back with a restore, with a secret that still signs, and without the old delivery log', async () => {
    const { admin } = app;
    const created = await admin.json('POST', '/admin/webhooks', { url: 'https://hooks.example.invalid/backlot', events: ['*'] });
    expect(created.status).toBe(201);
    const hook = await json<{ id: string }>(created);
    expect((await admin.json('POST', `/admin/webhooks/${hook.id}/ping`)).status).toBe(202);
    const backup = await json<{ name: string; counts: Record<string, number> }>(await admin.json('POST', '/admin/backups', {}));
    expect(backup.counts.webhooks).toBe(1);

    expect((await admin.json('DELETE', `/admin/webhooks/${hook.id}`)).status).toBe(204);
    expect((await admin.json('POST', `/admin/backups/${backup.name}/restore`, { confirm: backup.name })).status).toBe(200);

    // The restore ended every session (the backup holds none): sign in again to look.
    const again = sessionFor(app.t, admin, await login(app.t, admin.email, admin.password));
    const restored = await again.json('GET', `/admin/webhooks/${hook.id}`);
    expect(restored.status).toBe(200);
    const log = await json<{ items: unknown[] }>(await again.json('GET', `/admin/webhooks/${hook.id}/deliveries`));
    expect(log.items).toEqual([]);
    expect((await again.json('POST', `/admin/webhooks/${hook.id}/ping`)).status).toBe(202);
  });
});
