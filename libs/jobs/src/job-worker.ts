import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { MetricsService } from '@backlot/observability';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import { JobQueue, type ResolvedDefinition } from './job-queue';
import { type ClaimedJob, JobsRepository } from './jobs.repository';
import { RetryAt } from './retry-at';
import { nextSlot, retryDelayMs } from './timing';

const HEARTBEAT_MS = 5_000;
const RECLAIM_EVERY_MS = 10_000;
/** How long an aborted handler gets to stop before its job is handed back. */
const ABORT_SETTLE_MS = 1_000;
/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

/** The abort reason of a run that outlived its job's timeoutSeconds (other aborts hand the job back). */
class RunTimedOut extends Error {
  constructor(seconds: number) {
    super(`Timed out: still running after ${seconds} s (timeoutSeconds)`);
    this.name = 'RunTimedOut';
  }
}

/**
 * Runs due jobs on this instance: polls (or is woken by a local enqueue), claims up to its
 * free slots, keeps their leases alive with heartbeats, fires due schedules, and reclaims
 * jobs whose instance died. A run still going after its job's timeoutSeconds is aborted and,
 * once its handler stops, counts as a failed attempt (the heartbeats go on until then, so a
 * handler that ignores the signal never runs beside a retry). On shutdown it stops claiming,
 * lets running jobs finish within half the shutdown budget, and hands the rest back to the
 * queue for another instance — at once when the handler has stopped, or when the lease runs
 * out after this process has exited when it has not (a handler that ignores its abort
 * signal, say an SMTP call in progress, must not run on two instances at the same time).
 */
@Injectable()
export class JobWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  /** The claim token: only the holder can complete, fail or extend a job. */
  private readonly token = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(6).toString('hex')}`;
  private readonly running = new Map<string, Running>();
  private readonly outcomes: Counter<'name' | 'outcome'>;
  private timer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private ticking = false;
  private currentTick?: Promise<void>;
  private wakeRequested = false;
  private stopping = false;
  private lastReclaim = 0;

  constructor(
    private readonly queue: JobQueue,
    private readonly jobs: JobsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.outcomes = new Counter({
      name: 'jobs_processed_total',
      help: 'Job runs by name and outcome (completed, retried, failed = dead-lettered)',
      labelNames: ['name', 'outcome'],
      registers: [metrics.registry],
    });
  }

  /** Definitions and schedules are registered in onModuleInit; the worker starts once they all are. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.jobs.worker) return;
    await this.syncSchedules();
    this.queue.onWake(() => this.wake());
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS).unref();
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeatTimer);
    // A claim in flight still lands: wait for it, so what it claimed is handed back below.
    await this.currentTick;
    if (this.running.size === 0) return;
    await this.settled([...this.running.values()], this.config.http.shutdownTimeoutMs / 2);
    const unfinished = [...this.running.entries()];
    if (unfinished.length === 0) return;
    for (const [, job] of unfinished) job.abort.abort();
    await this.settled(
      unfinished.map(([, job]) => job),
      ABORT_SETTLE_MS,
    );
    const stopped = unfinished.filter(([id]) => !this.running.has(id)).map(([id]) => id);
    const stillRunning = unfinished.filter(([id]) => this.running.has(id)).map(([id]) => id);
    const released = await this.jobs.release(stopped, this.token).catch(() => 0);
    // Past the shutdown budget the process is gone, and its handlers with it.
    const leaseSeconds = Math.ceil(this.config.http.shutdownTimeoutMs / 1000) + 5;
    const leased = await this.jobs.expireLease(stillRunning, this.token, leaseSeconds).catch(() => 0);
    this.logger.warn({ msg: 'jobs handed back to the queue at shutdown', jobs: released, afterExit: leased });
  }

  private async settled(jobs: Running[], withinMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
    await Promise.race([Promise.all(jobs.map((job) => job.done)), deadline]);
    clearTimeout(timer);
  }

  private wake(): void {
    if (this.stopping) return;
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runTick(), 0);
  }

  private runTick(): void {
    this.currentTick = this.tick();
  }

  private async tick(): Promise<void> {
    if (this.stopping) return;
    this.ticking = true;
    let full = false;
    try {
      await this.fireDueSchedules();
      if (Date.now() - this.lastReclaim >= RECLAIM_EVERY_MS) {
        this.lastReclaim = Date.now();
        const reclaimed = await this.jobs.reclaimExpired();
        if (reclaimed > 0) this.logger.warn({ msg: 'reclaimed jobs whose instance stopped', jobs: reclaimed });
      }
      const free = this.config.jobs.concurrency - this.running.size;
      const names = [...this.queue.definedJobs().keys()];
      if (free > 0 && names.length > 0 && !this.stopping) {
        const claimed = await this.jobs.claim(names, free, this.token);
        for (const job of claimed) this.start(job);
        full = claimed.length === free;
      }
    } catch (error) {
      this.logger.warn({ msg: 'job polling failed; retrying', error: (error as Error).message });
    } finally {
      this.ticking = false;
    }
    if (this.stopping) return;
    // A full claim may have left more due jobs: look again as soon as a slot frees (see finish()).
    const delay = this.wakeRequested && !full ? 0 : this.config.jobs.pollIntervalMs;
    this.wakeRequested = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runTick(), delay);
    this.timer.unref();
  }

  private start(job: ClaimedJob): void {
    const definition = this.queue.definedJobs().get(job.name)!;
    const abort = new AbortController();
    const deadline = setTimeout(
      () => {
        this.logger.warn({ msg: 'job timed out; aborting it', job: job.name, jobId: job.id, timeoutSeconds: job.timeoutSeconds });
        abort.abort(new RunTimedOut(job.timeoutSeconds));
      },
      Math.min(job.timeoutSeconds * 1000, MAX_TIMER_MS),
    );
    deadline.unref();
    const done = this.execute(job, definition, abort.signal).finally(() => {
      clearTimeout(deadline);
      this.running.delete(job.id);
      this.wake();
    });
    this.running.set(job.id, { abort, done });
  }

  private async execute(job: ClaimedJob, definition: ResolvedDefinition, signal: AbortSignal): Promise<void> {
    const retryDelay = retryDelayMs(definition.backoffSeconds, job.attempts);
    try {
      await definition.handler(job.payload, {
        id: job.id,
        name: job.name,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        signal,
        retryDelayMs: retryDelay,
      });
      // What a handler returns once aborted says nothing of its work (it may just have stopped early).
      if (signal.reason instanceof RunTimedOut) throw signal.reason;
      if (signal.aborted) return;
      await this.jobs.complete(job.id, this.token);
      this.outcomes.inc({ name: job.name, outcome: 'completed' });
    } catch (thrown) {
      const timedOut = signal.reason instanceof RunTimedOut;
      // Aborted for shutdown or a lost lease: the job is handed back, not failed.
      if (signal.aborted && !timedOut) return;
      const error: unknown = timedOut ? signal.reason : thrown;
      const message = error instanceof Error ? error.message : String(error);
      const retryAt = error instanceof RetryAt ? error.at : new Date(Date.now() + retryDelay);
      const state = await this.jobs.fail(job.id, this.token, message, retryAt).catch(() => null);
      const outcome = state === 'failed' ? 'failed' : 'retried';
      this.outcomes.inc({ name: job.name, outcome });
      this.logger.warn({
        msg: state === 'failed' ? 'job failed for good (dead-lettered)' : 'job failed; will retry',
        job: job.name,
        jobId: job.id,
        attempt: job.attempts,
        error: message,
        ...(state === 'pending' && { retryAt: retryAt.toISOString() }),
      });
    }
  }

  private async heartbeat(): Promise<void> {
    const ids = [...this.running.keys()];
    if (ids.length === 0) return;
    try {
      const held = await this.jobs.heartbeat(ids, this.token);
      // A lease lost (this instance stalled past it) means another instance may run the job: stop ours.
      for (const id of ids) if (!held.has(id)) this.running.get(id)?.abort.abort();
    } catch (error) {
      this.logger.warn({ msg: 'job heartbeat failed', error: (error as Error).message });
    }
  }

  private async syncSchedules(): Promise<void> {
    const now = new Date();
    for (const entry of this.queue.scheduled()) {
      if (entry.cron) await this.jobs.upsertSchedule(entry.name, entry.cron, nextSlot(entry.cron, now));
      else await this.jobs.deleteSchedule(entry.name);
    }
  }

  private async fireDueSchedules(): Promise<void> {
    const entries = new Map(
      this.queue
        .scheduled()
        .filter((entry) => entry.cron)
        .map((entry) => [entry.name, entry]),
    );
    if (entries.size === 0) return;
    for (const due of await this.jobs.dueSchedules([...entries.keys()])) {
      const entry = entries.get(due.name)!;
      const definition = this.queue.definedJobs().get(due.name)!;
      // Missed slots (every instance was down) collapse into one run now.
      const id = await this.jobs.fireSchedule(
        { name: due.name, seenSlot: due.nextRunAt, nextRunAt: nextSlot(due.cron, new Date()) },
        { payload: entry.payload, maxAttempts: definition.maxAttempts, timeoutSeconds: definition.timeoutSeconds },
      );
      if (id) this.wakeRequested = true;
    }
  }
}
