import { DatabaseConnection } from '@backlot/database';
import { signedInUser } from '@backlot/testing/auth';
import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { eventually, queueOf } from '@backlot/testing/test-jobs';

const CLEANUP_JOBS = ['auth.purge-expired', 'data.purge-expired', 'jobs.purge-completed', 'webhooks.purge-deliveries'];

describe('scheduled cleanup', () => {
  let t: TestApp;
  let db: DatabaseConnection;

  beforeAll(async () => {
    t = await startTestApp({ env: { JOBS_POLL_INTERVAL_MS: '100' } });
    db = t.app.get(DatabaseConnection);
  });
  afterAll(() => t?.close());

  it('registers the cleanup jobs on the cleanup schedule', async () => {
    const schedules = await queueOf(t).schedules();
    for (const name of CLEANUP_JOBS) expect(schedules).toContainEqual(expect.objectContaining({ name, cron: '0 * * * *' }));
    expect(schedules).toContainEqual(expect.objectContaining({ name: 'backup.scheduled', cron: '0 3 * * *' }));
  });

  it('purges ended sessions, spent tokens, completed jobs and finished webhook deliveries past their retention, and nothing live', async () => {
    const live = await signedInUser(t);
    const ended = await signedInUser(t);
    await db.query(`UPDATE sessions SET revoked_at = now() - interval '31 days', revoked_reason = 'test' WHERE id = $1`, [ended.sessionId]);
    await db.query(
      `INSERT INTO one_time_tokens (id, user_id, purpose, token_hash, expires_at) VALUES
        (gen_random_uuid(), $1, 'reset_password', repeat('a', 64), now() - interval '1 minute'),
        (gen_random_uuid(), $1, 'verify_email', repeat('b', 64), now() + interval '1 hour')`,
      [live.userId],
    );
    const oldJob = (await queueOf(t).enqueue('auth.purge-expired', {}, { runAt: new Date(Date.now() + 3_600_000) }))!;
    await db.query(`UPDATE jobs SET state = 'completed', finished_at = now() - interval '8 days' WHERE id = $1`, [oldJob]);

    await db.query(
      `INSERT INTO webhooks (id, url, events, secret) VALUES ('00000000-0000-7000-8000-000000000001', 'https://x.invalid/', '{*}', 'sealed')`,
    );
    await db.query(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_id, event, payload, status, created_at) VALUES
        (gen_random_uuid(), '00000000-0000-7000-8000-000000000001', gen_random_uuid(), 'old.done', '{}', 'succeeded', now() - interval '31 days'),
        (gen_random_uuid(), '00000000-0000-7000-8000-000000000001', gen_random_uuid(), 'old.waiting', '{}', 'pending', now() - interval '31 days'),
        (gen_random_uuid(), '00000000-0000-7000-8000-000000000001', gen_random_uuid(), 'recent.done', '{}', 'failed', now())`,
    );

    for (const name of ['auth.purge-expired', 'jobs.purge-completed', 'webhooks.purge-deliveries']) {
      const id = (await queueOf(t).enqueue(name, {}))!;
      await eventually(`${name} to complete`, async () => (await queueOf(t).get(id)).state === 'completed');
    }

    const sessions = await db.query<{ id: string }>('SELECT id FROM sessions WHERE id = ANY($1::uuid[])', [
      [live.sessionId, ended.sessionId],
    ]);
    expect(sessions.map((row) => row.id)).toEqual([live.sessionId]);
    const tokens = await db.query<{ purpose: string }>('SELECT purpose::text FROM one_time_tokens WHERE user_id = $1', [live.userId]);
    expect(tokens.map((row) => row.purpose)).toEqual(['verify_email']);
    await expect(queueOf(t).get(oldJob)).rejects.toMatchObject({ kind: 'not-found' });
    expect((await live.request('/users/me')).status).toBe(200);
    const deliveries = await db.query<{ event: string }>('SELECT event FROM webhook_deliveries ORDER BY event');
    expect(deliveries.map((row) => row.event)).toEqual(['old.waiting', 'recent.done']);
  });

  it('purges trash past each collection’s retention, with its history, and expired idempotency keys; nothing live or recent', async () => {
    const admin = await signedInUser(t, { role: 'admin' });
    const alice = await signedInUser(t);
    for (const [name, trashRetentionDays] of [
      ['purge_week', 7],
      ['purge_month', 30],
    ] as const) {
      const response = await admin.json('POST', '/collections', {
        name,
        fields: [{ name: 'title', type: 'text' }],
        rules: OWNER_ONLY_RULES,
        options: { softDelete: true, trashRetentionDays },
      });
      expect(response.status).toBe(201);
    }
    const create = async (collection: string, title: string, headers: Record<string, string> = {}): Promise<string> => {
      const response = await alice.request(`/collections/${collection}/records`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ title }),
      });
      expect(response.status).toBe(201);
      return (await json<{ id: string }>(response)).id;
    };
    const trash = async (collection: string, id: string, daysAgo: number): Promise<void> => {
      // An update first, so the record has several revisions for the purge to take with it.
      expect((await alice.json('PATCH', `/collections/${collection}/records/${id}`, { title: 'edited' })).status).toBe(200);
      expect((await alice.request(`/collections/${collection}/records/${id}`, { method: 'DELETE' })).status).toBe(204);
      await db.query(`UPDATE records SET deleted_at = now() - make_interval(days => $2) WHERE id = $1::uuid`, [id, daysAgo]);
    };

    const expired = [await create('purge_week', 'old 1'), await create('purge_week', 'old 2')];
    for (const id of expired) await trash('purge_week', id, 8);
    const recentlyTrashed = await create('purge_week', 'recent');
    await trash('purge_week', recentlyTrashed, 6);
    const keptLonger = await create('purge_month', 'kept by its own retention');
    await trash('purge_month', keptLonger, 8);
    const live = [await create('purge_week', 'live'), await create('purge_month', 'live')];
    const staleKey = await create('purge_week', 'stale key', { 'idempotency-key': 'purge-stale' });
    const freshKey = await create('purge_week', 'fresh key', { 'idempotency-key': 'purge-fresh' });
    await db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 minute' WHERE response->>'id' = $1`, [staleKey]);
    const revisionsOf = async (ids: string[]) =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM record_revisions WHERE record_id = ANY($1::uuid[])', [ids]))[0].n;
    expect(await revisionsOf(expired)).toBe(6);

    const id = (await queueOf(t).enqueue('data.purge-expired', {}))!;
    await eventually('data.purge-expired to complete', async () => (await queueOf(t).get(id)).state === 'completed');

    const kept = await db.query<{ id: string }>('SELECT id FROM records WHERE id = ANY($1::uuid[]) ORDER BY id', [
      [...expired, recentlyTrashed, keptLonger, ...live, staleKey, freshKey],
    ]);
    expect(kept.map((row) => row.id)).toEqual([recentlyTrashed, keptLonger, ...live, staleKey, freshKey].sort());
    expect(await revisionsOf(expired)).toBe(0);
    expect(await revisionsOf([recentlyTrashed])).toBe(3);
    const trashed = await json<{ items: { id: string }[] }>(await alice.request('/collections/purge_week/trash'));
    expect(trashed.items.map((item) => item.id)).toEqual([recentlyTrashed]);
    const keys = await db.query<{ id: string }>(`SELECT response->>'id' AS id FROM idempotency_keys WHERE response->>'id' = ANY($1)`, [
      [staleKey, freshKey],
    ]);
    expect(keys.map((row) => row.id)).toEqual([freshKey]);
    // The expired key no longer replays: the same key makes a new record.
    expect(await create('purge_week', 'stale key', { 'idempotency-key': 'purge-stale' })).not.toBe(staleKey);
  });
});

describe('a schedule switched off', () => {
  it('is not registered, and a row left by an instance that had it on is never fired', async () => {
    const t = await startTestApp({ env: { CLEANUP_SCHEDULE: 'off', BACKUP_SCHEDULE: 'off', JOBS_POLL_INTERVAL_MS: '50' } });
    try {
      const names = (await queueOf(t).schedules()).map((schedule) => schedule.name);
      for (const name of [...CLEANUP_JOBS, 'backup.scheduled']) expect(names).not.toContain(name);

      const db = t.app.get(DatabaseConnection);
      await db.query(
        `INSERT INTO job_schedules (name, cron, next_run_at) VALUES ('data.purge-expired', '* * * * * *', now() - interval '1 minute')`,
      );
      // Several poll cycles pass; a negative check, so the wait only has to be long enough to matter.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await queueOf(t).list({ name: 'data.purge-expired', limit: 10 })).items).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
