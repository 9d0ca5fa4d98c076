import { Client } from 'pg';
import { json } from '../../helpers/test-app';
import { TEST_DATABASE_URL } from '../../helpers/test-env';
import { type AdminApp, problem, startAdminApp } from './admin-helpers';

/** The lock BackupsService takes around a restore (see backups.service.ts). */
const RESTORE_LOCK_ID = 0x6261636b;

// Other instances only exist with PostgreSQL; the embedded database has one process.
(TEST_DATABASE_URL ? describe : describe.skip)('a restore while another instance is restoring', () => {
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
