import { DatabaseConnection, PrismaService } from '@backlot/database';
import { JobQueue } from '@backlot/jobs';
import { createUser, login, sessionFor, signedInUser, type UserSession } from '@backlot/testing/auth';
import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import { json, SHARED_SERVICES, startTwoInstances, type TestApp } from '@backlot/testing/test-app';
import { eventually, TestJobsModule } from '@backlot/testing/test-jobs';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@backlot/testing/test-env';
import { ADMIN_TEST_ENV, type AdminApp, auditEvents, problem, startAdminApp } from './admin-helpers';

interface Stats {
  version: string;
  uptimeSeconds: number;
  startedAt: string;
  database: { kind: string; sizeBytes: number | null };
  users: { total: number; admins: number; disabled: number; unverified: number };
  collections: { total: number; records: { name: string; live: number; trashed: number; files: number; fileBytes: number }[] };
  cache: { hits: number; misses: number; bypassed: number; hitRatio: number | null };
  jobs: { states: JobStates; due: number; oldestDueSeconds: number; byName: { name: string; states: JobStates }[] };
}

interface JobStates {
  pending: number;
  running: number;
  completed: number;
  failed: number;
}

interface CacheInfo {
  hits: number;
  misses: number;
  bypassed: number;
  hitRatio: number | null;
  store: string;
  namespaces: string[];
}

describe('admin: stats and cache', () => {
  let app: AdminApp;
  let t: TestApp;
  let admin: UserSession;

  beforeAll(async () => {
    app = await startAdminApp();
    ({ t, admin } = app);
  });
  afterAll(() => t.close());

  const get = async <T>(path: string) => json<T>(await app.conforms('GET', path, await admin.request(path)));
  const remove = async (path: string) => app.conforms('DELETE', path, await admin.request(path, { method: 'DELETE' }));
  const displayName = async (user: UserSession) =>
    (await json<{ displayName: string | null }>(await user.request('/users/me'))).displayName;
  /** Changes the row behind the cache's back, as another process or a manual fix would. */
  const renameInDatabase = (user: UserSession, name: string) =>
    t.app.get(PrismaService).user.update({ where: { id: user.userId }, data: { displayName: name } });

  describe('GET /admin/stats', () => {
    it('reports version, uptime, database, users, collections, cache and jobs', async () => {
      const before = await get<Stats>('/admin/stats');
      expect(before.version).toBe(t.config.version);
      expect(before.uptimeSeconds).toBeGreaterThanOrEqual(0);
      expect(Date.parse(before.startedAt)).toBeLessThanOrEqual(Date.now());
      expect(before.database.kind).toBe(TEST_DATABASE_URL ? 'postgres' : 'embedded');
      expect(before.database.sizeBytes).toBeGreaterThan(0);
      expect(before.jobs.states).toEqual({
        pending: expect.any(Number),
        running: expect.any(Number),
        completed: expect.any(Number),
        failed: expect.any(Number),
      });

      const disabled = await createUser(t);
      expect((await admin.request(`/admin/users/${disabled.userId}/disable`, { method: 'POST' })).status).toBe(200);
      const unverified = await createUser(t);
      await t.app.get(PrismaService).user.update({ where: { id: unverified.userId }, data: { emailVerifiedAt: null } });
      await createUser(t, { role: 'admin' });

      expect(
        (
          await admin.json('POST', '/collections', {
            name: 'stats_notes',
            fields: [{ name: 'title', type: 'text' }],
            rules: OWNER_ONLY_RULES,
          })
        ).status,
      ).toBe(201);
      const alice = await signedInUser(t);
      const ids: string[] = [];
      for (const title of ['a', 'b', 'c']) {
        ids.push((await json<{ id: string }>(await alice.json('POST', '/collections/stats_notes/records', { title }))).id);
      }
      expect((await alice.request(`/collections/stats_notes/records/${ids[0]}`, { method: 'DELETE' })).status).toBe(204);

      const after = await get<Stats>('/admin/stats');
      expect(after.users).toEqual({
        total: before.users.total + 4,
        admins: before.users.admins + 1,
        disabled: before.users.disabled + 1,
        unverified: before.users.unverified + 1,
      });
      expect(after.collections.total).toBe(before.collections.total + 1);
      expect(after.collections.records).toContainEqual({ name: 'stats_notes', live: 2, trashed: 1, files: 0, fileBytes: 0 });
    });

    it('follows records between live and trash, per collection, an empty one included', async () => {
      for (const name of ['stats_moves', 'stats_empty']) {
        const created = await admin.json('POST', '/collections', {
          name,
          fields: [{ name: 'title', type: 'text' }],
          rules: OWNER_ONLY_RULES,
        });
        expect(created.status).toBe(201);
      }
      const countsOf = async (name: string) =>
        (await get<Stats>('/admin/stats')).collections.records.find((collection) => collection.name === name);
      expect(await countsOf('stats_empty')).toEqual({ name: 'stats_empty', live: 0, trashed: 0, files: 0, fileBytes: 0 });

      const bob = await signedInUser(t);
      const ids: string[] = [];
      for (const title of ['a', 'b', 'c', 'd']) {
        ids.push((await json<{ id: string }>(await bob.json('POST', '/collections/stats_moves/records', { title }))).id);
      }
      for (const id of ids.slice(0, 3)) {
        expect((await bob.request(`/collections/stats_moves/records/${id}`, { method: 'DELETE' })).status).toBe(204);
      }
      expect(await countsOf('stats_moves')).toEqual({ name: 'stats_moves', live: 1, trashed: 3, files: 0, fileBytes: 0 });
      expect((await bob.request(`/collections/stats_moves/trash/${ids[0]}/restore`, { method: 'POST' })).status).toBe(200);
      expect((await bob.request(`/collections/stats_moves/trash/${ids[1]}`, { method: 'DELETE' })).status).toBe(204);
      expect(await countsOf('stats_moves')).toEqual({ name: 'stats_moves', live: 2, trashed: 1, files: 0, fileBytes: 0 });
      expect(await countsOf('stats_empty')).toEqual({ name: 'stats_empty', live: 0, trashed: 0, files: 0, fileBytes: 0 });
    });

    it('counts cache hits and misses of this instance', async () => {
      await admin.request('/users/me');
      await admin.request('/users/me');
      const stats = await get<Stats>('/admin/stats');
      expect(stats.cache.hits).toBeGreaterThan(0);
      expect(stats.cache.hitRatio).toBeGreaterThan(0);
      expect(stats.cache.hitRatio).toBeLessThanOrEqual(1);
    });
  });

  describe('cache', () => {
    it('GET /admin/cache shows the store, statistics and the namespaces in use', async () => {
      const info = await get<CacheInfo>('/admin/cache');
      expect(info.store).toBe(TEST_REDIS_URL ? 'redis' : 'memory');
      expect(info.namespaces).toEqual(expect.arrayContaining(['auth-sessions', 'user-profiles', 'collections']));
      expect(info.hits + info.misses).toBeGreaterThan(0);
    });

    it('DELETE /admin/cache drops every entry; sessions keep working', async () => {
      const user = await signedInUser(t);
      expect((await user.json('PATCH', '/users/me', { displayName: 'Cached' })).status).toBe(200);
      expect(await displayName(user)).toBe('Cached');
      await renameInDatabase(user, 'Changed behind the cache');
      expect(await displayName(user)).toBe('Cached');
      expect((await remove('/admin/cache')).status).toBe(204);
      expect(await displayName(user)).toBe('Changed behind the cache');
      const [event] = await auditEvents(admin, { action: 'admin.cache.flush' });
      expect(event).toMatchObject({ actorId: admin.userId, outcome: 'success' });
    });

    it('DELETE /admin/cache/:name drops one namespace only', async () => {
      const user = await signedInUser(t);
      expect((await user.json('PATCH', '/users/me', { displayName: 'Cached' })).status).toBe(200);
      expect(await displayName(user)).toBe('Cached');
      await renameInDatabase(user, 'Fresh');
      expect((await remove('/admin/cache/collections')).status).toBe(204);
      expect(await displayName(user)).toBe('Cached');
      expect((await remove('/admin/cache/user-profiles')).status).toBe(204);
      expect(await displayName(user)).toBe('Fresh');
      const [event] = await auditEvents(admin, { action: 'admin.cache.invalidate' });
      expect(event).toMatchObject({ targetType: 'cache', targetId: 'user-profiles', outcome: 'success' });
    });

    it('refuses a namespace name the cache could not have (400)', async () => {
      for (const name of ['bad%20name', '-leading', 'x'.repeat(65), 'semi%3Bcolon', '%C3%A9t%C3%A9']) {
        const body = await problem(await remove(`/admin/cache/${name}`), 400);
        expect(body.errors?.map((error) => error.path)).toContain('name');
      }
    });
  });
});

describe('admin: stats of the job queue', () => {
  let app: AdminApp;
  let t: TestApp;

  beforeAll(async () => {
    // No schedules: the queue holds exactly the jobs this test makes. A short shutdown lets the held job go at close.
    app = await startAdminApp({
      imports: [TestJobsModule.register()],
      env: {
        JOBS_POLL_INTERVAL_MS: '100',
        CLEANUP_SCHEDULE: 'off',
        BACKUP_SCHEDULE: 'off',
        AUDIT_RETENTION_DAYS: '0',
        SHUTDOWN_TIMEOUT_MS: '1000',
      },
    });
    ({ t } = app);
  });
  afterAll(() => t.close());

  it('counts jobs per state and per name, and the backlog of due jobs with the age of the oldest', async () => {
    const queue = t.app.get(JobQueue);
    const stateOf = async (id: string) => (await queue.get(id)).state;
    const failed = [
      (await queue.enqueue('test.fails', {}, { maxAttempts: 1 }))!,
      (await queue.enqueue('test.fails', {}, { maxAttempts: 1 }))!,
    ];
    const completed = (await queue.enqueue('test.flaky', { failures: 0 }))!;
    const held = (await queue.enqueue('test.slow', { holdMs: 60_000 }))!;
    for (const id of failed) await eventually('a job to be dead-lettered', async () => (await stateOf(id)) === 'failed');
    await eventually('a job to complete', async () => (await stateOf(completed)) === 'completed');
    await eventually('a job to run', async () => (await stateOf(held)) === 'running');
    // Jobs only another instance defines (say, mid rolling deploy): this one never claims them, so they wait.
    await t.app.get(DatabaseConnection).query(
      `INSERT INTO jobs (id, name, payload, max_attempts, timeout_seconds, run_at) VALUES
        (gen_random_uuid(), 'elsewhere.report', '{}', 5, 300, now() - interval '90 seconds'),
        (gen_random_uuid(), 'elsewhere.report', '{}', 5, 300, now() - interval '30 seconds'),
        (gen_random_uuid(), 'elsewhere.report', '{}', 5, 300, now() + interval '1 hour')`,
    );

    const { jobs } = await json<Stats>(await app.conforms('GET', '/admin/stats', await app.admin.request('/admin/stats')));
    expect(jobs.states).toEqual({ pending: 3, running: 1, completed: 1, failed: 2 });
    expect(jobs.due).toBe(2);
    expect(jobs.oldestDueSeconds).toBeGreaterThanOrEqual(90);
    expect(jobs.oldestDueSeconds).toBeLessThan(150);
    expect([...jobs.byName].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'elsewhere.report', states: { pending: 3, running: 0, completed: 0, failed: 0 } },
      { name: 'test.fails', states: { pending: 0, running: 0, completed: 0, failed: 2 } },
      { name: 'test.flaky', states: { pending: 0, running: 0, completed: 1, failed: 0 } },
      { name: 'test.slow', states: { pending: 0, running: 1, completed: 0, failed: 0 } },
    ]);
  });
});

(SHARED_SERVICES ? describe : describe.skip)('admin: cache flush across two instances on PostgreSQL + Redis', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await startTwoInstances({ env: ADMIN_TEST_ENV });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a flush on one instance is seen by the other at once', async () => {
    const account = await createUser(a);
    const onA = sessionFor(a, account, await login(a, account.email, account.password));
    const adminOnB = await signedInUser(b, { role: 'admin' });
    expect((await onA.json('PATCH', '/users/me', { displayName: 'Cached' })).status).toBe(200);
    expect((await json<{ displayName: string }>(await onA.request('/users/me'))).displayName).toBe('Cached');
    await a.app.get(PrismaService).user.update({ where: { id: account.userId }, data: { displayName: 'Fresh' } });
    expect((await json<{ displayName: string }>(await onA.request('/users/me'))).displayName).toBe('Cached');
    expect((await adminOnB.request('/admin/cache', { method: 'DELETE' })).status).toBe(204);
    expect((await json<{ displayName: string }>(await onA.request('/users/me'))).displayName).toBe('Fresh');
    expect((await onA.request('/users/me')).status).toBe(200);
  });
});
