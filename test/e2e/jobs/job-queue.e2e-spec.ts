import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { DatabaseConnection } from '@backlot/database';
import { JobQueue } from '@backlot/jobs';
import { eventually, queueOf, TestJobsModule, testJobRuns } from '@backlot/testing/test-jobs';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';

const FAST = { JOBS_POLL_INTERVAL_MS: '100' };
const runsOf = (jobId: string) => testJobRuns.filter((run) => run.jobId === jobId);
const key = () => randomBytes(6).toString('hex');

describe('the job queue', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: FAST, imports: [TestJobsModule.register()] });
  });
  afterAll(() => t?.close());

  it('runs a job soon after it is enqueued, once', async () => {
    const id = (await queueOf(t).enqueue('test.flaky', { key: key() }))!;
    const job = await eventually('completion', async () => {
      const view = await queueOf(t).get(id);
      return view.state === 'completed' && view;
    });
    expect(job).toMatchObject({ attempts: 1, lastError: null });
    expect(runsOf(id)).toHaveLength(1);
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    const id = (await queueOf(t).enqueue('test.flaky', { failures: 2 }))!;
    await eventually('completion after two failures', async () => (await queueOf(t).get(id)).state === 'completed');
    const runs = runsOf(id);
    expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
    expect((await queueOf(t).get(id)).attempts).toBe(3);
  });

  it('dead-letters a job after its last attempt, keeping the error, and lets it be retried or discarded', async () => {
    const id = (await queueOf(t).enqueue('test.fails', {}))!;
    const dead = await eventually('dead-lettering', async () => {
      const view = await queueOf(t).get(id);
      return view.state === 'failed' && view;
    });
    expect(dead).toMatchObject({ attempts: 3, maxAttempts: 3, lastError: 'planned failure 3' });
    expect(runsOf(id)).toHaveLength(3);
    const { items } = await queueOf(t).list({ state: 'failed', limit: 200 });
    expect(items.map((job) => job.id)).toContain(id);
    expect((await queueOf(t).stats()).states.failed).toBeGreaterThanOrEqual(1);

    await expect(queueOf(t).retry(id)).resolves.toMatchObject({ state: 'pending', attempts: 0 });
    await eventually('the retried job to fail again', async () => (await queueOf(t).get(id)).state === 'failed');
    expect(runsOf(id)).toHaveLength(6);
    await queueOf(t).discard(id);
    await expect(queueOf(t).get(id)).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('refuses to retry or discard a job that has not failed', async () => {
    const id = (await queueOf(t).enqueue('test.flaky', {}, { runAt: new Date(Date.now() + 3_600_000) }))!;
    await expect(queueOf(t).retry(id)).rejects.toMatchObject({ kind: 'conflict' });
    await expect(queueOf(t).discard(id)).rejects.toMatchObject({ kind: 'conflict' });
  });

  it('keeps one job per singleton key', async () => {
    const singletonKey = `once-${key()}`;
    const first = await queueOf(t).enqueue('test.flaky', {}, { singletonKey });
    const second = await queueOf(t).enqueue('test.flaky', {}, { singletonKey });
    expect(first).toEqual(expect.any(String));
    expect(second).toBeNull();
  });

  it('adds jobs in a transaction only if it commits, and runs them soon after the commit', async () => {
    const queue = queueOf(t);
    let rolledBack: (string | null)[] = [];
    const failing = queue.transaction(async (tx) => {
      rolledBack = await queue.enqueueMany('test.flaky', [{ payload: { key: key() } }], tx);
      throw new Error('the rest of the transaction failed');
    });
    await expect(failing).rejects.toThrow('the rest of the transaction failed');
    expect(rolledBack).toEqual([expect.any(String)]);
    await expect(queue.get(rolledBack[0]!)).rejects.toMatchObject({ kind: 'not-found' });

    const singletonKey = `batch-${key()}`;
    const ids = await queue.transaction((tx) =>
      queue.enqueueMany('test.flaky', [{ payload: {}, singletonKey }, { payload: {}, singletonKey }, { payload: {} }], tx),
    );
    expect(ids).toEqual([expect.any(String), null, expect.any(String)]);
    for (const id of [ids[0]!, ids[2]!]) await eventually('completion', async () => (await queue.get(id)).state === 'completed');
  });

  it('retries a job that throws RetryAt at the time it names, not by its own backoff', async () => {
    const retryAt = new Date(Date.now() + 3_600_000).toISOString();
    const id = (await queueOf(t).enqueue('test.later', { retryAt }))!;
    const waiting = await eventually('the failed first attempt', async () => {
      const view = await queueOf(t).get(id);
      return view.state === 'pending' && view.attempts === 1 && view;
    });
    expect(waiting).toMatchObject({ runAt: retryAt, lastError: 'later, please' });
  });

  it('takes over a job whose instance died mid-run once its lease expires', async () => {
    const db = t.app.get(DatabaseConnection);
    const id = (await queueOf(t).enqueue('test.flaky', {}, { runAt: new Date(Date.now() + 3_600_000) }))!;
    // What a killed instance leaves behind: a running job, claimed by a token nobody holds, lease run out.
    await db.query(
      `UPDATE jobs SET state = 'running', attempts = 1, locked_by = 'dead-instance', locked_until = now() - interval '1 second' WHERE id = $1`,
      [id],
    );
    const done = await eventually(
      'the orphaned job to be reclaimed and run',
      async () => {
        const view = await queueOf(t).get(id);
        return view.state === 'completed' && view;
      },
      30_000,
    );
    expect(done.attempts).toBe(2);
    expect(runsOf(id).map((run) => run.attempt)).toEqual([2]);
  });

  it('pages through jobs newest first and refuses a forged cursor', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await queueOf(t).enqueue('test.flaky', {}, { runAt: new Date(Date.now() + 3_600_000) }))!);
    const first = await queueOf(t).list({ state: 'pending', name: 'test.flaky', limit: 2 });
    const second = await queueOf(t).list({ state: 'pending', name: 'test.flaky', limit: 2, cursor: first.nextCursor! });
    const seen = [...first.items, ...second.items].map((job) => job.id);
    expect(seen.slice(0, 3)).toEqual([...ids].reverse());
    await expect(queueOf(t).list({ limit: 2, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({
      kind: 'validation',
      errors: [expect.objectContaining({ path: 'cursor' })],
    });
  });
});

describe('jobs across a restart', () => {
  const databaseDir = TEST_DATABASE_URL ? undefined : mkdtempSync(join(tmpdir(), 'backlot-jobs-restart-'));
  const persistent: Record<string, string> = databaseDir ? { PGLITE_DATA_DIR: join(databaseDir, 'pglite') } : {};
  afterAll(() => databaseDir && rmSync(databaseDir, { recursive: true, force: true }));

  it('survive a restart, and a job running at shutdown is handed back and picked up by the next instance', async () => {
    const first = await startTestApp({ env: { ...FAST, ...persistent, SHUTDOWN_TIMEOUT_MS: '400' }, imports: [TestJobsModule.register()] });
    let second: TestApp | undefined;
    try {
      const later = (await queueOf(first).enqueue('test.flaky', {}, { runAt: new Date(Date.now() + 1_500) }))!;
      const slow = (await queueOf(first).enqueue('test.slow', { holdMs: 60_000 }))!;
      await eventually('the slow job to start', () => runsOf(slow).length === 1);
      // Closing waits half the shutdown budget (200 ms) for the slow job, then hands it back.
      await first.app.close();

      second = await startTestApp({
        env: { ...FAST, ...persistent },
        imports: [TestJobsModule.register()],
        sameEnvironmentAs: databaseDir ? undefined : first,
      });
      await eventually('the delayed job to run after the restart', async () => (await queueOf(second!).get(later)).state === 'completed');
      const handedBack = await eventually('the interrupted job to run on the new instance', async () => {
        const view = await queueOf(second!).get(slow);
        return view.state === 'running' && view;
      });
      // The interrupted attempt did not count against the job.
      expect(handedBack.attempts).toBe(1);
      expect(runsOf(slow).map((run) => run.instance)).toHaveLength(2);
      expect(new Set(runsOf(slow).map((run) => run.instance)).size).toBe(2);
    } finally {
      await second?.close();
      await first.environment.cleanup();
    }
  });
  it('leaves a job whose handler ignores the abort at shutdown leased until the instance is gone, so it never runs twice at once', async () => {
    const first = await startTestApp({ env: { ...FAST, ...persistent, SHUTDOWN_TIMEOUT_MS: '400' }, imports: [TestJobsModule.register()] });
    let second: TestApp | undefined;
    try {
      const stubborn = (await queueOf(first).enqueue('test.stubborn', { holdMs: 1_500 }))!;
      await eventually('the stubborn job to start', () => runsOf(stubborn).length === 1);
      await first.app.close();

      second = await startTestApp({
        env: { ...FAST, ...persistent },
        imports: [TestJobsModule.register()],
        sameEnvironmentAs: databaseDir ? undefined : first,
      });
      const [lease] = await second.app
        .get(DatabaseConnection)
        .query<{ state: string; held: boolean }>(`SELECT state, locked_until > now() AS held FROM jobs WHERE id = $1`, [stubborn]);
      expect(lease).toEqual({ state: 'running', held: true });
      const retried = await eventually(
        'the job to be reclaimed once the lease has run out',
        async () => {
          const view = await queueOf(second!).get(stubborn);
          return view.state === 'completed' && view;
        },
        40_000,
      );
      expect(retried.attempts).toBe(2);
      const [firstRun, secondRun] = runsOf(stubborn);
      expect(secondRun.instance).not.toBe(firstRun.instance);
      // The second run began only after the first handler had returned.
      expect(secondRun.startedAfter).toBeGreaterThan(firstRun.endedAfter!);
    } finally {
      await second?.close();
      await first.environment.cleanup();
    }
  });
});

/** A job that hangs until its run is aborted, with the shortest timeout the queue allows. */
@Injectable()
class HangingJob implements OnModuleInit {
  aborts: unknown[] = [];

  constructor(private readonly jobs: JobQueue) {}

  onModuleInit(): void {
    this.jobs.define({
      name: 'test.hangs',
      timeoutSeconds: 15,
      handler: (_payload, { signal }) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            this.aborts.push(signal.reason);
            resolve();
          }),
        ),
    });
  }
}

@Module({ providers: [HangingJob] })
class HangingJobModule {}

describe('a run longer than its timeoutSeconds', () => {
  it('is aborted at the timeout and counts as a failed attempt (here its last: dead-lettered)', async () => {
    const t = await startTestApp({ env: FAST, imports: [HangingJobModule] });
    try {
      const started = Date.now();
      const id = (await queueOf(t).enqueue('test.hangs', {}, { maxAttempts: 1 }))!;
      const failed = await eventually(
        'the hung job to time out',
        async () => {
          const view = await queueOf(t).get(id);
          return view.state === 'failed' && view;
        },
        30_000,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(15_000);
      expect(failed).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/^Timed out: still running after 15 s/) });
      expect(t.app.get(HangingJob).aborts).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});

describe('an instance without a worker (JOBS_WORKER=false)', () => {
  it('enqueues jobs but never runs them or registers schedules', async () => {
    const t = await startTestApp({
      env: { ...FAST, JOBS_WORKER: 'false' },
      imports: [TestJobsModule.register({ tickSchedule: '* * * * * *' })],
    });
    try {
      const id = (await queueOf(t).enqueue('test.flaky', {}))!;
      // Several poll intervals pass; a negative check, so the wait only has to be long enough to matter.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await queueOf(t).get(id)).state).toBe('pending');
      expect(runsOf(id)).toEqual([]);
      expect(await queueOf(t).schedules()).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
