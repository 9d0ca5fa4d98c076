import { DatabaseConnection } from '@backlot/database';
import { AuditService } from '@backlot/security';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { json } from '@backlot/testing/test-app';
import { type AdminApp, auditEvents, eventually, problem, startAdminApp } from './admin-helpers';

/**
 * docs/admin-and-operations.md#admin-api promises every admin call is audited. These tests try to make the event
 * impossible to store and check that the call then does not happen at all.
 */
describe('admin: an admin call is never carried out unaudited', () => {
  let app: AdminApp;
  let admin: UserSession;
  let db: DatabaseConnection;

  beforeAll(async () => {
    app = await startAdminApp();
    admin = app.admin;
    db = app.t.app.get(DatabaseConnection);
  });
  afterAll(() => app?.t.close());

  /** Makes the database refuse every admin.* audit row while `work` runs, as a full disk or a broken table would. */
  async function withAdminAuditRefused<T>(work: () => Promise<T>): Promise<T> {
    await db.query(`ALTER TABLE audit_events ADD CONSTRAINT test_refuse_admin CHECK (action NOT LIKE 'admin.%') NOT VALID`);
    try {
      return await work();
    } finally {
      await db.query('ALTER TABLE audit_events DROP CONSTRAINT test_refuse_admin');
    }
  }

  it('refuses with a 5xx and an errorId, and leaves the target untouched, when the event cannot be stored', async () => {
    const target = await signedInUser(app.t);
    const response = await withAdminAuditRefused(() => admin.json('PATCH', `/admin/users/${target.userId}/role`, { role: 'admin' }));
    expect(response.status).toBeGreaterThanOrEqual(500);
    const body = await json<{ errorId?: string; detail: string }>(response);
    expect(body.errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.detail).not.toMatch(/audit_events|constraint|test_refuse_admin/);

    const after = await json<{ role: string }>(await admin.request(`/admin/users/${target.userId}`));
    expect(after.role).toBe('user');
    // The same call goes through, audited, once events can be stored again.
    expect((await admin.json('PATCH', `/admin/users/${target.userId}/role`, { role: 'admin' })).status).toBe(200);
    const events = await eventually(async () => {
      const found = await auditEvents(admin, { action: 'admin.users.role', targetId: target.userId, outcome: 'success' });
      return found.length > 0 && found;
    });
    expect(events).toHaveLength(1);
  });

  it('creates no backup when its event cannot be stored', async () => {
    const before = await json<{ items: unknown[] }>(await admin.request('/admin/backups'));
    const response = await withAdminAuditRefused(() => admin.json('POST', '/admin/backups', {}));
    expect(response.status).toBeGreaterThanOrEqual(500);
    const after = await json<{ items: unknown[] }>(await admin.request('/admin/backups'));
    expect(after.items).toHaveLength(before.items.length);
  });

  it('refuses a NUL byte in an admin URL before anything runs (the call the review found unaudited)', async () => {
    const before = await json<{ items: unknown[] }>(await admin.request('/admin/backups'));
    const refused = await problem(await admin.request('/admin/backups?x=%00', { method: 'POST' }), 400);
    expect(refused.errors?.[0]).toMatchObject({ path: 'x', code: 'nulCharacter' });
    const after = await json<{ items: unknown[] }>(await admin.request('/admin/backups'));
    expect(after.items).toHaveLength(before.items.length);
  });

  it('stores events whose caller-supplied text PostgreSQL would refuse, cleaned and cut to the column', async () => {
    const audit = app.t.app.get(AuditService);
    const hostile = `a\u0000b\ud83d${'x'.repeat(600)}`;
    const started = await audit.begin({
      action: `admin.test.${'y'.repeat(100)}`,
      actor: { type: 'user', id: admin.userId },
      target: { type: 'user', id: hostile },
      request: { ip: '127.0.0.1', userAgent: hostile, requestId: 'integrity-test' },
      details: { query: { [`k\u0000`]: hostile, nested: [{ deep: '\udc00' }] } },
    });
    await started.finish('success', { note: 'done\u0000' });

    const [row] = await db.query<{ outcome: string; target_id: string; user_agent: string; details: Record<string, unknown> }>(
      "SELECT outcome, target_id, user_agent, details FROM audit_events WHERE request_id = 'integrity-test'",
    );
    expect(row.outcome).toBe('success');
    expect(row.target_id).toMatch(/^ab\uFFFDx+$/);
    expect(row.target_id.length).toBeLessThanOrEqual(254);
    expect(row.user_agent.length).toBeLessThanOrEqual(512);
    expect(JSON.stringify(row.details)).not.toMatch(/\\u0000/);
    expect(row.details).toMatchObject({ query: { k: expect.stringMatching(/^ab\uFFFD/), nested: [{ deep: '\uFFFD' }] }, note: 'done' });
  });
});
