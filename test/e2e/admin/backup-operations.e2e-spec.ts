import { BackupEngine } from '@backlot/backup';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { JobQueue } from '@backlot/jobs';
import { SCHEDULED_BACKUP_JOB } from '../../../apps/api/src/admin/backups/backup-schedule';
import { BackupsService } from '../../../apps/api/src/admin/backups/backups.service';
import type { UserSession } from '@backlot/testing/auth';
import { copyThen, storeDamagedCopy } from '@backlot/testing/backup-files';
import { json, type TestApp } from '@backlot/testing/test-app';
import { type AdminApp, eventually, problem, startAdminApp } from './admin-helpers';
import { type BackupsFixture, type Manifest, startBackupsApp } from './backups-helpers';

/**
 * Holds the next call of `object[method]` until `release` (after `meanwhile`, if given), then
 * lets it run as usual: the window in which a backup, restore or prune is under way.
 */
function holdNextCall<T extends object, K extends keyof T & string>(object: T, method: K, meanwhile: () => unknown = () => undefined) {
  const original = (object[method] as (...args: unknown[]) => Promise<unknown>).bind(object);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const spy = jest.spyOn(object, method as never).mockImplementationOnce((async (...args: unknown[]) => {
    await meanwhile();
    await gate;
    return original(...args);
  }) as never);
  return {
    release,
    /** Resolves once the held call has begun. */
    started: () => eventually(async () => spy.mock.calls.length > 0),
    restore: () => spy.mockRestore(),
  };
}

/** Backups and restores as operations: one at a time, pruning, timeouts, files in use, the schedule. */
describe('admin backups in operation', () => {
  let app: AdminApp;
  let t: TestApp;
  let admin: UserSession;
  let first: Manifest;
  let create: BackupsFixture['create'];
  let dir: BackupsFixture['dir'];
  let state: BackupsFixture['state'];

  beforeAll(async () => {
    ({ app, t, admin, first, create, dir, state } = await startBackupsApp());
  });
  afterAll(() => t.close());

  it('refuses a second backup or restore while one runs on this instance (409)', async () => {
    const held = holdNextCall(t.app.get(BackupEngine), 'create');
    try {
      const running = admin.json('POST', '/admin/backups', {});
      await held.started();
      await problem(await admin.json('POST', '/admin/backups', {}), 409);
      await problem(await admin.json('POST', `/admin/backups/${first.name}/restore`, { confirm: first.name }), 409);
      held.release();
      expect((await running).status).toBe(201);
    } finally {
      held.restore();
    }
  });

  it('keeps only the newest BACKUP_KEEP scheduled backups; manual ones are never pruned', async () => {
    const service = t.app.get(BackupsService);
    const manual = (await json<{ items: Manifest[] }>(await admin.request('/admin/backups?limit=200'))).items.filter(
      (m) => m.kind !== 'scheduled',
    );
    const made: string[] = [];
    for (let i = 0; i < t.config.backup.keep + 2; i++) made.push((await service.createScheduled()).name);
    const after = (await json<{ items: Manifest[] }>(await admin.request('/admin/backups?limit=200'))).items;
    expect(after.filter((m) => m.kind === 'scheduled').map((m) => m.name)).toEqual(made.slice(-t.config.backup.keep).reverse());
    expect(after.filter((m) => m.kind !== 'scheduled').map((m) => m.name)).toEqual(manual.map((m) => m.name));
  });

  it('deletes and prunes a backup whose file was removed by hand (its manifest is still listed)', async () => {
    const service = t.app.get(BackupsService);
    const orphan = await create();
    rmSync(join(dir(), `${orphan.name}.backup.gz`));
    const listed = async () =>
      (await json<{ items: Manifest[] }>(await admin.request('/admin/backups?limit=200'))).items.map((m) => m.name);
    expect(await listed()).toContain(orphan.name);
    await problem(await admin.request(`/admin/backups/${orphan.name}`), 404);
    expect((await admin.request(`/admin/backups/${orphan.name}`, { method: 'DELETE' })).status).toBe(204);
    expect(await listed()).not.toContain(orphan.name);
    await problem(await admin.request(`/admin/backups/${orphan.name}`, { method: 'DELETE' }), 404);

    // The scheduled backup's prune gets past an oldest backup with no file instead of failing the job.
    const scheduled: string[] = [];
    for (let i = 0; i < t.config.backup.keep; i++) scheduled.push((await service.createScheduled()).name);
    const oldest = (await listed()).filter((name) => scheduled.includes(name)).at(-1)!;
    rmSync(join(dir(), `${oldest}.backup.gz`));
    const newest = await service.createScheduled();
    expect(await listed()).not.toContain(oldest);
    expect(await listed()).toContain(newest.name);
  });

  it('stops a scheduled backup between batches when its job is aborted (timeout, shutdown), leaving no file', async () => {
    const files = () => readdirSync(dir()).sort();
    const before = files();
    const abort = new AbortController();
    abort.abort(new Error('Timed out: still running after 7200 s'));
    await expect(t.app.get(BackupsService).createScheduled(abort.signal)).rejects.toThrow(/Timed out/);
    expect(files()).toEqual(before);
  });

  describe('backups in use', () => {
    /** Holds the restore of `name` at its pre-restore backup (after pass 1, before the load) until `release`. */
    function restoreHeldAtPreRestoreBackup(name: string, meanwhile: () => void | Promise<void> = () => undefined) {
      const held = holdNextCall(t.app.get(BackupEngine), 'create', meanwhile);
      const response = admin.json('POST', `/admin/backups/${name}/restore`, { confirm: name });
      return {
        response,
        release: held.release,
        started: held.started,
        /** Lets the restore finish and removes the hold: the next test finds no restore running. */
        done: async () => {
          held.release();
          await response.catch(() => undefined);
          held.restore();
        },
      };
    }

    it('refuses to delete a backup while this instance restores it (409); the restore completes', async () => {
      // With sessions, so the restore keeps the admin signed in.
      const target = await create({ includeSessions: true });
      const held = restoreHeldAtPreRestoreBackup(target.name);
      try {
        await held.started();
        const refused = await app.conforms(
          'DELETE',
          `/admin/backups/${target.name}`,
          await admin.json('DELETE', `/admin/backups/${target.name}`),
        );
        expect((await problem(refused, 409)).detail).toMatch(/being restored/);
        held.release();
        expect((await held.response).status).toBe(200);
      } finally {
        await held.done();
      }
      expect(existsSync(join(dir(), `${target.name}.backup.gz`))).toBe(true);
      expect((await admin.json('DELETE', `/admin/backups/${target.name}`)).status).toBe(204);
    });

    it('answers 404, not 500, when the file disappears during a restore (another instance deleted it), and changes nothing', async () => {
      const name = await storeDamagedCopy(
        dir(),
        first,
        copyThen(() => undefined),
      );
      const before = await state();
      // Gone after pass 1 verified it and before pass 2 reads it again.
      const held = restoreHeldAtPreRestoreBackup(name, () => rmSync(join(dir(), `${name}.backup.gz`)));
      held.release();
      try {
        const response = await held.response;
        await app.conforms('POST', `/admin/backups/${name}/restore`, response.clone());
        expect((await problem(response, 404)).detail).toMatch(/deleted while it was being restored.*nothing was restored/);
      } finally {
        await held.done();
      }
      expect(await state()).toEqual(before);
    });

    it('prunes scheduled backups within the scheduled backup’s turn: a restore asked for meanwhile is refused (409)', async () => {
      const target = await create({ includeSessions: true });
      const held = holdNextCall(t.app.get(BackupEngine).store, 'prune');
      const scheduled = t.app.get(BackupsService).createScheduled();
      try {
        await held.started();
        const refused = await problem(await admin.json('POST', `/admin/backups/${target.name}/restore`, { confirm: target.name }), 409);
        expect(refused.detail).toMatch(/backup is already running on this instance/);
      } finally {
        held.release();
        await scheduled;
        held.restore();
      }
    });
  });
});

describe('scheduled backups', () => {
  let app: AdminApp;

  beforeAll(async () => {
    app = await startAdminApp({ env: { BACKUP_SCHEDULE: '* * * * * *', BACKUP_KEEP: '2', JOBS_POLL_INTERVAL_MS: '100' } });
  });
  afterAll(() => app.t.close());

  it('registers backup.scheduled on BACKUP_SCHEDULE and runs it through the job queue', async () => {
    const queue = app.t.app.get(JobQueue);
    expect(await queue.schedules()).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: SCHEDULED_BACKUP_JOB, cron: '* * * * * *' })]),
    );
    const done = await eventually(async () => {
      const { items } = await queue.list({ name: SCHEDULED_BACKUP_JOB, state: 'completed', limit: 5 });
      return items.length >= 1 && items;
    });
    expect(done[0].name).toBe(SCHEDULED_BACKUP_JOB);
    const { items } = await json<{ items: Manifest[] }>(await app.admin.request('/admin/backups?limit=200'));
    expect(items.some((m) => m.kind === 'scheduled')).toBe(true);
  });
});
