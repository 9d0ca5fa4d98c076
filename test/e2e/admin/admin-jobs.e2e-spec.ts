import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { JobQueue } from '@backlot/jobs';
import { v7 as uuidv7 } from 'uuid';
import type { UserSession } from '@backlot/testing/auth';
import { json, type TestApp } from '@backlot/testing/test-app';
import { type AdminApp, auditEvents, eventually, problem, startAdminApp } from './admin-helpers';

interface Job {
  id: string;
  name: string;
  state: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
}

/** A job that fails (and is dead-lettered at once) until the test lets it succeed. */
@Injectable()
class FlakyJob implements OnModuleInit {
  failing = true;
  runs = 0;

  constructor(private readonly jobs: JobQueue) {}

  onModuleInit(): void {
    this.jobs.define({
      name: 'test.flaky',
      maxAttempts: 1,
      handler: async () => {
        this.runs += 1;
        if (this.failing) throw new Error('deliberate failure');
      },
    });
  }
}

@Module({ providers: [FlakyJob] })
class FlakyJobModule {}

describe('admin: jobs', () => {
  let app: AdminApp;
  let t: TestApp;
  let admin: UserSession;
  let queue: JobQueue;
  let flaky: FlakyJob;

  beforeAll(async () => {
    app = await startAdminApp({ imports: [FlakyJobModule], env: { JOBS_POLL_INTERVAL_MS: '100' } });
    ({ t, admin } = app);
    queue = t.app.get(JobQueue);
    flaky = t.app.get(FlakyJob);
  });
  afterAll(() => t.close());

  const get = async <T>(path: string) => json<T>(await app.conforms('GET', path, await admin.request(path)));
  const send = async (method: string, path: string) => app.conforms(method, path, await admin.request(path, { method }));
  const stateOf = async (id: string) => (await queue.get(id)).state;

  async function deadLetter(): Promise<string> {
    flaky.failing = true;
    const id = (await queue.enqueue('test.flaky', { n: Math.random() }))!;
    await eventually(async () => (await stateOf(id)) === 'failed');
    return id;
  }

  it('lists failed jobs by default, shows one, retries it and it runs', async () => {
    const id = await deadLetter();
    const failed = await get<{ items: Job[]; nextCursor: string | null }>('/admin/jobs');
    expect(failed.items).toContainEqual(
      expect.objectContaining({
        id,
        name: 'test.flaky',
        state: 'failed',
        attempts: 1,
        maxAttempts: 1,
        lastError: expect.stringContaining('deliberate failure'),
      }),
    );
    expect(failed.items.every((job) => job.state === 'failed')).toBe(true);
    expect(await get<Job>(`/admin/jobs/${id}`)).toMatchObject({ id, state: 'failed' });

    flaky.failing = false;
    const runs = flaky.runs;
    const retried = await json<Job>(await send('POST', `/admin/jobs/${id}/retry`));
    expect(retried).toMatchObject({ id, attempts: 0 });
    expect(['pending', 'running', 'completed']).toContain(retried.state);
    await eventually(async () => (await stateOf(id)) === 'completed');
    expect(flaky.runs).toBe(runs + 1);
    expect((await get<{ items: Job[] }>('/admin/jobs?state=completed&name=test.flaky')).items.map((job) => job.id)).toContain(id);

    const [event] = await auditEvents(admin, { action: 'admin.jobs.retry', targetId: id });
    expect(event).toMatchObject({ actorId: admin.userId, outcome: 'success', targetType: 'jobs' });
  });

  it('discards a failed job', async () => {
    const id = await deadLetter();
    expect((await send('DELETE', `/admin/jobs/${id}`)).status).toBe(204);
    await problem(await send('GET', `/admin/jobs/${id}`), 404);
    expect((await get<{ items: Job[] }>('/admin/jobs')).items.map((job) => job.id)).not.toContain(id);
  });

  it('only failed jobs can be retried or discarded (409)', async () => {
    flaky.failing = false;
    const id = (await queue.enqueue('test.flaky', {}))!;
    await eventually(async () => (await stateOf(id)) === 'completed');
    await problem(await send('POST', `/admin/jobs/${id}/retry`), 409);
    await problem(await send('DELETE', `/admin/jobs/${id}`), 409);
    expect(await stateOf(id)).toBe('completed');
  });

  it('pages with a cursor, newest first', async () => {
    const ids = [await deadLetter(), await deadLetter(), await deadLetter()];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/admin/jobs?name=test.flaky&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const page: { items: Job[]; nextCursor: string | null } = await get(query);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const mine = seen.filter((id) => ids.includes(id));
    expect(mine).toEqual([...ids].reverse());
  });

  it('lists the recurring jobs', async () => {
    const schedules = await get<{ name: string; cron: string; nextRunAt: string; lastRunAt: string | null }[]>('/admin/jobs/schedules');
    expect(schedules.map((schedule) => schedule.name)).toEqual(expect.arrayContaining(['audit.retention', 'jobs.purge-completed']));
    for (const schedule of schedules) expect(Date.parse(schedule.nextRunAt)).not.toBeNaN();
  });

  it('refuses bad ids, states, names, limits and cursors with problems', async () => {
    for (const query of [
      'state=dead',
      'state=',
      'name=Bad%20Name',
      'name=x..y',
      'limit=0',
      'limit=201',
      'limit=abc',
      'cursor=%21%21',
      'count=true',
    ]) {
      await problem(await send('GET', `/admin/jobs?${query}`), 400);
    }
    await problem(await send('GET', `/admin/jobs?cursor=${Buffer.from('["x","y"]').toString('base64url')}`), 400);
    for (const [method, path] of [
      ['GET', '/admin/jobs/123'],
      ['POST', '/admin/jobs/123/retry'],
      ['DELETE', '/admin/jobs/123'],
    ] as const) {
      await problem(await send(method, path), 400);
      await problem(await send(method, path.replace('123', uuidv7())), 404);
    }
  });
});
