import { RESTORE_LOCK_ID } from '@backlot/backup';
import { Client } from 'pg';
import { json } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';
import { type AdminApp, problem, startAdminApp } from './admin-helpers';

// Other instances only exist with PostgreSQL; the embedded database has one process.
(TEST_DATABASE_URL ? describe : describe.skip)('backups and restores on other instances', () => {
  let app: AdminApp;
  let other: Client;

  beforeAll(async () => {
    app = await startAdminApp();
    other = new Client({ connectionString: app.t.environment.databaseUrl });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await app?.t.close();
  });

  it('refuses a backup while another instance restores (its snapshot would read the emptied tables)', async () => {
    await other.query('SELECT pg_advisory_lock($1)', [RESTORE_LOCK_ID]);
    try {
      const refused = await problem(await app.admin.json('POST', '/admin/backups', {}), 409);
      expect(refused.detail).toMatch(/restore is running on another instance/);
    } finally {
      await other.query('SELECT pg_advisory_unlock($1)', [RESTORE_LOCK_ID]);
    }
    expect((await app.admin.json('POST', '/admin/backups', {})).status).toBe(201);
  });

  it('refuses a restore while another instance writes a backup, and lets backups run side by side', async () => {
    const { name } = await json<{ name: string }>(await app.admin.json('POST', '/admin/backups', {}));
    await other.query('SELECT pg_advisory_lock_shared($1)', [RESTORE_LOCK_ID]);
    try {
      expect((await app.admin.json('POST', '/admin/backups', {})).status).toBe(201);
      const refused = await problem(await app.admin.json('POST', `/admin/backups/${name}/restore`, { confirm: name }), 409);
      expect(refused.detail).toMatch(/backup or restore is running on another instance/);
    } finally {
      await other.query('SELECT pg_advisory_unlock_shared($1)', [RESTORE_LOCK_ID]);
    }
  });

  // Last: the restore ends every session, the admin's included.
  it('is refused with 409 and leaves the database alone; it runs once the other one is done', async () => {
    const created = await app.admin.json('POST', '/admin/backups', {});
    const { name } = await json<{ name: string }>(created);
    const before = await app.admin.json('GET', '/admin/backups?count=true');
    const { total } = await json<{ total: number }>(before);

    // Another instance holds the deployment-wide restore lock.
    await other.query('SELECT pg_advisory_lock($1)', [RESTORE_LOCK_ID]);
    const refused = await problem(await app.admin.json('POST', `/admin/backups/${name}/restore`, { confirm: name }), 409);
    expect(refused.detail).toMatch(/another instance/);
    // Not even the pre-restore backup was written.
    expect((await json<{ total: number }>(await app.admin.json('GET', '/admin/backups?count=true'))).total).toBe(total);

    await other.query('SELECT pg_advisory_unlock($1)', [RESTORE_LOCK_ID]);
    expect((await app.admin.json('POST', `/admin/backups/${name}/restore`, { confirm: name })).status).toBe(200);
  });
});
