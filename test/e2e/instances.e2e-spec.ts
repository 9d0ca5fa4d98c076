import { ClusterBus } from '@backlot/cache';
import { signedInUser } from '@backlot/testing/auth';
import { ProbeModule } from '@backlot/testing/probe.module';
import { json, SHARED_SERVICES, startTwoInstances, type TestApp } from '@backlot/testing/test-app';
import { eventually, queueOf, TestJobsModule, testJobRuns } from '@backlot/testing/test-jobs';

// Two instances of one deployment (same PostgreSQL database, same Redis prefix) need the
// shared services; on the embedded database there is only ever one instance.
(SHARED_SERVICES ? describe : describe.skip)('two instances on one PostgreSQL and one Redis', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await startTwoInstances({
      env: { JOBS_POLL_INTERVAL_MS: '100', JOBS_CONCURRENCY: '2' },
      imports: [ProbeModule, TestJobsModule.register({ tickSchedule: '* * * * * *' })],
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const cached = async (t: TestApp, key: string) => (await json<{ loads: number }>(await t.request(`/api/v1/probe/cached/${key}`))).loads;

  it('share cached values', async () => {
    const first = await cached(a, 'shared');
    expect(await cached(b, 'shared')).toBe(first);
  });

  it('see an invalidation made on the other instance at once', async () => {
    const before = await cached(a, 'inv');
    expect(await cached(b, 'inv')).toBe(before);
    await b.request('/api/v1/probe/cached/invalidate', { method: 'POST' });
    // A's loader runs again: its counter moved past the value cached before the invalidation.
    expect(await cached(a, 'inv')).toBeGreaterThan(before);
  });

  it('count rate limits across both', async () => {
    const statuses = [];
    for (const t of [a, b, a, b]) statuses.push((await t.request('/api/v1/probe/limited')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('refuse on one instance a session revoked through the other, at once', async () => {
    const user = await signedInUser(a);
    const onB = (path: string, init: RequestInit = {}) =>
      b.request(path, { ...init, headers: { authorization: `Bearer ${user.accessToken}`, ...init.headers } });
    // B has the session cached as live.
    expect((await onB('/api/v1/users/me')).status).toBe(200);
    expect((await user.request(`/auth/sessions/${user.sessionId}`, { method: 'DELETE' })).status).toBe(204);
    const refused = await onB('/api/v1/users/me');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('run each job once, on whichever instance claims it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await queueOf(i % 2 ? a : b).enqueue('test.slow', { holdMs: 50 }))!);
    await eventually('every job to complete', async () => {
      for (const id of ids) if ((await queueOf(a).get(id)).state !== 'completed') return false;
      return true;
    });
    const runs = testJobRuns.filter((run) => ids.includes(run.jobId));
    expect(runs).toHaveLength(ids.length);
    expect(new Set(runs.map((run) => run.jobId)).size).toBe(ids.length);
    expect(new Set(runs.map((run) => run.instance)).size).toBe(2);
  });

  it('run a scheduled job once per slot, not once per instance', async () => {
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const recent = (await queueOf(a).list({ name: 'test.tick', limit: 200 })).items.filter((job) => Date.parse(job.createdAt) >= since);
    expect(recent.length).toBeGreaterThanOrEqual(2);
    // About one job per second elapsed; one per instance per slot would be about twice as many.
    expect(recent.length).toBeLessThanOrEqual(5);
    // The newest slot's job may still be running on a busy machine: let every one finish first.
    await eventually('every recent tick to finish', async () => {
      for (const job of recent) if ((await queueOf(a).get(job.id)).state !== 'completed') return false;
      return true;
    });
    // Every slot's job ran exactly once, though both instances saw every slot come due.
    const ticks = testJobRuns.filter((run) => run.name === 'test.tick');
    for (const job of recent) expect(ticks.filter((run) => run.jobId === job.id)).toHaveLength(1);
    const slots = await queueOf(a).schedules();
    expect(slots.find((schedule) => schedule.name === 'test.tick')).toMatchObject({ cron: '* * * * * *' });
  });

  it('deliver a message published on one instance to subscribers on both (realtime fan-out)', async () => {
    const received: { instance: string; message: unknown }[] = [];
    const unsubscribe = await Promise.all(
      [a, b].map((t, index) =>
        t.app.get(ClusterBus).subscribe('test.fanout', (message) => received.push({ instance: `${index}`, message })),
      ),
    );
    await a.app.get(ClusterBus).publish('test.fanout', { n: 1 });
    await eventually('both instances to receive the message', () => received.length === 2);
    expect(received.map((entry) => entry.instance).sort()).toEqual(['0', '1']);
    expect(received.every((entry) => (entry.message as { n: number }).n === 1)).toBe(true);
    for (const stop of unsubscribe) await stop();
  });

  it('both report ready with database and Redis up', async () => {
    for (const t of [a, b]) {
      const body = await json<{ checks: Record<string, { status: string }> }>(await t.request('/api/v1/health/ready'));
      expect(body.checks).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
    }
  });
});
