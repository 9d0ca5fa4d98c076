import { Logger } from '@nestjs/common';
import type { AppConfig } from '@backlot/config';
import type { MetricsService } from '@backlot/observability';
import { Registry } from 'prom-client';
import { JobQueue } from './job-queue';
import type { JobContext } from './job.types';
import { JobWorker } from './job-worker';
import type { ClaimedJob, JobsRepository } from './jobs.repository';

const TIMEOUT_SECONDS = 15;

/** The queue's storage as the worker sees it: one job to claim, and a log of what the worker did with it. */
class FakeJobs {
  claimable: ClaimedJob[] = [];
  heartbeats: string[][] = [];
  completed: string[] = [];
  failed: { id: string; error: string }[] = [];
  released: string[] = [];

  claim = async (_names: readonly string[], limit: number) => this.claimable.splice(0, limit);
  heartbeat = async (ids: readonly string[]) => {
    this.heartbeats.push([...ids]);
    return new Set(ids);
  };
  complete = async (id: string) => {
    this.completed.push(id);
    return true;
  };
  fail = async (id: string, _token: string, error: string) => {
    this.failed.push({ id, error });
    return 'pending' as const;
  };
  release = async (ids: readonly string[]) => {
    this.released.push(...ids);
    return ids.length;
  };
  expireLease = async () => 0;
  reclaimExpired = async () => 0;
  upsertSchedule = async () => undefined;
  deleteSchedule = async () => undefined;
  dueSchedules = async () => [];
}

const config = {
  jobs: { worker: true, concurrency: 1, pollIntervalMs: 1_000, maxAttempts: 3, backoffSeconds: 10 },
  http: { shutdownTimeoutMs: 2_000 },
} as AppConfig;

/** A worker over FakeJobs running one `test.job` with `handler`; the clock is jest's. */
async function workerRunning(handler: (context: JobContext) => Promise<unknown>) {
  const jobs = new FakeJobs();
  const queue = new JobQueue(jobs as unknown as JobsRepository, config);
  let context: JobContext | undefined;
  queue.define({
    name: 'test.job',
    timeoutSeconds: TIMEOUT_SECONDS,
    handler: (_payload, given) => {
      context = given;
      return handler(given);
    },
  });
  jobs.claimable.push({ id: 'job-1', name: 'test.job', payload: {}, attempts: 1, maxAttempts: 3, timeoutSeconds: TIMEOUT_SECONDS });
  const worker = new JobWorker(queue, jobs as unknown as JobsRepository, config, { registry: new Registry() } as MetricsService);
  await worker.onApplicationBootstrap();
  await jest.advanceTimersByTimeAsync(0);
  if (!context) throw new Error('the job did not start');
  return { worker, jobs, signal: context.signal };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const untilAborted = (signal: AbortSignal) => new Promise((resolve) => signal.addEventListener('abort', resolve));

describe('JobWorker: a run’s timeout', () => {
  let worker: JobWorker | undefined;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => jest.useFakeTimers());
  afterEach(async () => {
    const stopping = worker?.beforeApplicationShutdown();
    await jest.advanceTimersByTimeAsync(10_000);
    await stopping;
    worker = undefined;
    jest.useRealTimers();
  });

  it('aborts the handler’s signal after timeoutSeconds and, once the handler stops, records a failed attempt', async () => {
    const started = await workerRunning(async ({ signal }) => {
      await untilAborted(signal);
      await sleep(2_000); // winding down
    });
    ({ worker } = started);
    const { jobs, signal } = started;

    await jest.advanceTimersByTimeAsync(TIMEOUT_SECONDS * 1000 - 1);
    expect(signal.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(signal.aborted).toBe(true);
    expect(jobs.failed).toEqual([]);

    await jest.advanceTimersByTimeAsync(2_000);
    expect(jobs.failed).toEqual([{ id: 'job-1', error: expect.stringMatching(/^Timed out: still running after 15 s/) }]);
    expect(jobs.completed).toEqual([]);
  });

  it('keeps the lease of a handler that ignores the signal until it returns, then fails the attempt all the same', async () => {
    const started = await workerRunning(() => sleep(40_000));
    ({ worker } = started);
    const { jobs, signal } = started;

    await jest.advanceTimersByTimeAsync(39_000);
    expect(signal.aborted).toBe(true);
    expect(jobs.failed).toEqual([]);
    // Still heartbeating past the timeout: no other instance may take the job while this handler runs.
    expect(jobs.heartbeats.at(-1)).toEqual(['job-1']);
    expect(jobs.heartbeats.length).toBeGreaterThan(TIMEOUT_SECONDS / 5);

    await jest.advanceTimersByTimeAsync(1_000);
    expect(jobs.failed).toEqual([{ id: 'job-1', error: expect.stringContaining('Timed out') }]);
    expect(jobs.completed).toEqual([]);
  });

  it('completes a run that finishes in time, and its deadline never fires', async () => {
    const started = await workerRunning(() => sleep(5_000));
    ({ worker } = started);
    const { jobs, signal } = started;

    await jest.advanceTimersByTimeAsync(TIMEOUT_SECONDS * 1000 * 2);
    expect(jobs.completed).toEqual(['job-1']);
    expect(jobs.failed).toEqual([]);
    expect(signal.aborted).toBe(false);
  });

  it('still hands a job back at shutdown, without counting a failure, when its handler stops by rethrowing the abort', async () => {
    const started = await workerRunning(async ({ signal }) => {
      await untilAborted(signal);
      signal.throwIfAborted();
    });
    const { jobs } = started;
    const stopping = started.worker.beforeApplicationShutdown();
    await jest.advanceTimersByTimeAsync(config.http.shutdownTimeoutMs);
    await stopping;

    expect(jobs.released).toEqual(['job-1']);
    expect(jobs.failed).toEqual([]);
  });
});
