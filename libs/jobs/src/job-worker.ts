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

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Runs due jobs on this instance: polls (or is woken by a local enqueue), claims up to its
 * free slots, keeps their leases alive with heartbeats, fires due schedules, and reclaims
 * jobs whose instance died. On shutdown it stops claiming, lets running jobs finish within
 * half the shutdown budget, and hands the rest back to the queue for another instance.
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
    if (this.running.size === 0) return;
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.config.http.shutdownTimeoutMs / 2).unref());
    await Promise.race([Promise.all([...this.running.values()].map((job) => job.done)), grace]);
    const unfinished = [...this.running.keys()];
    if (unfinished.length === 0) return;
    for (const id of unfinished) this.running.get(id)?.abort.abort();
    const released = await this.jobs.release(unfinished, this.token).catch(() => 0);
    this.logger.warn({ msg: 'jobs handed back to the queue at shutdown', jobs: released });
  }

  private wake(): void {
    if (this.stopping) return;
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
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
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private start(job: ClaimedJob): void {
    const definition = this.queue.definedJobs().get(job.name)!;
    const abort = new AbortController();
    const done = this.execute(job, definition, abort.signal).finally(() => {
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
      if (signal.aborted) return;
      await this.jobs.complete(job.id, this.token);
      this.outcomes.inc({ name: job.name, outcome: 'completed' });
    } catch (error) {
      if (signal.aborted) return;
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
