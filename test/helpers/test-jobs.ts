import { type DynamicModule, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { JobQueue, RetryAt } from '@backlot/jobs';
import type { TestApp } from './test-app';

/** One run of a test job: which job, which attempt, on which app instance. */
export interface TestJobRun {
  jobId: string;
  name: string;
  attempt: number;
  instance: string;
  payload: { key?: string; failures?: number; holdMs?: number; retryAt?: string };
  /** Set when the handler returns or throws: orders runs without reading clocks. */
  endedAfter?: number;
  startedAfter: number;
}

/** A counter bumped at every start and end of a test job run. */
let step = 0;

/**
 * What the test jobs did, shared by every app instance in this process (two instances of one
 * deployment are two Nest apps in the same jest worker).
 */
export const testJobRuns: TestJobRun[] = [];

let instances = 0;
const TEST_JOB_OPTIONS = Symbol('TEST_JOB_OPTIONS');

/**
 * Test-only jobs mounted into the real app: `test.flaky` fails its first `failures` attempts,
 * `test.fails` always fails, `test.slow` holds for `holdMs` (or until the instance shuts down),
 * `test.stubborn` holds for `holdMs` and ignores the abort signal (an SMTP call in progress),
 * `test.later` fails its first attempt asking to be retried at `retryAt` (RetryAt),
 * `test.tick` runs on `tickSchedule` when one is given.
 */
@Injectable()
class TestJobs implements OnModuleInit {
  readonly instance = `instance-${++instances}`;

  constructor(
    private readonly jobs: JobQueue,
    @Inject(TEST_JOB_OPTIONS) private readonly options: { tickSchedule?: string },
  ) {}

  onModuleInit(): void {
    const record =
      (name: string) => async (payload: TestJobRun['payload'], context: { id: string; attempt: number; signal: AbortSignal }) => {
        const run: TestJobRun = {
          jobId: context.id,
          name,
          attempt: context.attempt,
          instance: this.instance,
          payload,
          startedAfter: ++step,
        };
        testJobRuns.push(run);
        try {
          if (name === 'test.fails') throw new Error(`planned failure ${context.attempt}`);
          if (name === 'test.flaky' && context.attempt <= (payload.failures ?? 0)) throw new Error(`flaky failure ${context.attempt}`);
          if (name === 'test.slow') await sleepUnlessAborted(payload.holdMs ?? 0, context.signal);
          if (name === 'test.stubborn') await new Promise((resolve) => setTimeout(resolve, payload.holdMs ?? 0));
          if (name === 'test.later' && context.attempt === 1) throw new RetryAt('later, please', new Date(payload.retryAt ?? 0));
        } finally {
          run.endedAfter = ++step;
        }
      };
    for (const name of ['test.flaky', 'test.fails', 'test.slow', 'test.stubborn', 'test.later', 'test.tick']) {
      this.jobs.define({ name, handler: record(name), maxAttempts: 3, backoffSeconds: 1 });
    }
    if (this.options.tickSchedule) this.jobs.schedule('test.tick', this.options.tickSchedule);
  }
}

@Module({})
export class TestJobsModule {
  static register(options: { tickSchedule?: string } = {}): DynamicModule {
    return { module: TestJobsModule, providers: [TestJobs, { provide: TEST_JOB_OPTIONS, useValue: options }] };
  }
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function queueOf(t: TestApp): JobQueue {
  return t.app.get(JobQueue);
}

/** Until no job is due or running (the queue is shared: for two instances, ask either). */
export async function jobsSettled(t: TestApp, pollMs = 2): Promise<void> {
  for (;;) {
    const { due, states } = await queueOf(t).stats();
    if (due === 0 && states.running === 0) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Polls until `check` holds (jobs run in the background); fails with `what` after the deadline. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
