import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type CronSchedule } from '@backlot/config';
import type { Queryable } from '@backlot/database';
import { Conflict, decodeTimeCursor, NotFound, type TimePage, timePage } from '@backlot/http';
import type { EnqueueOptions, JobDefinition, JobListQuery, JobStats, JobView } from './job.types';
import { JobsRepository, type NewJob } from './jobs.repository';
import { nextSlot } from './timing';

const JOB_NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_TIMEOUT_SECONDS = 300;
const MIN_TIMEOUT_SECONDS = 15;

export type ResolvedDefinition = Required<JobDefinition>;

export interface ScheduleEntry {
  name: string;
  cron: CronSchedule;
  payload: unknown;
}

/**
 * The durable job queue (PostgreSQL or the embedded database; no Redis needed). Modules
 * define their jobs and schedules when they start; the worker (job-worker.ts) runs them.
 * Delivery is at least once: a job can run again after a crash, so handlers are idempotent.
 */
@Injectable()
export class JobQueue {
  private readonly definitions = new Map<string, ResolvedDefinition>();
  private readonly scheduleEntries = new Map<string, ScheduleEntry>();
  private wakeListener?: () => void;

  constructor(
    private readonly jobs: JobsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  define<P>(definition: JobDefinition<P>): void {
    if (!JOB_NAME.test(definition.name) || definition.name.length > 100) throw new Error(`Invalid job name "${definition.name}"`);
    if (this.definitions.has(definition.name)) throw new Error(`Job "${definition.name}" is defined twice`);
    this.definitions.set(definition.name, {
      name: definition.name,
      handler: definition.handler as ResolvedDefinition['handler'],
      maxAttempts: definition.maxAttempts ?? this.config.jobs.maxAttempts,
      backoffSeconds: definition.backoffSeconds ?? this.config.jobs.backoffSeconds,
      timeoutSeconds: Math.max(MIN_TIMEOUT_SECONDS, definition.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS),
    });
  }

  /** Adds a job; returns its id, or null when a job with the same singleton key exists. */
  async enqueue<P>(name: string, payload: P, options: EnqueueOptions = {}): Promise<string | null> {
    const [id] = await this.jobs.insert(this.newJobs(name, [{ ...options, payload }]));
    if (id && (options.runAt ?? new Date()).getTime() <= Date.now()) this.wakeListener?.();
    return id;
  }

  /**
   * Adds jobs through `tx`, a transaction of `transaction()` below, so they exist exactly when
   * the rows written in it do; the id of each, or null where its singleton key exists.
   */
  enqueueMany<P>(name: string, jobs: readonly (EnqueueOptions & { payload: P })[], tx: Queryable): Promise<(string | null)[]> {
    return this.jobs.insert(this.newJobs(name, jobs), tx);
  }

  /**
   * Runs `work` in one database transaction: a module writes its rows through `tx` (in its own
   * repository) and adds the jobs that process them with `enqueueMany(…, tx)`; both commit or
   * neither does. The jobs are invisible until the commit, so the worker is woken after it.
   */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const result = await this.jobs.transaction(work);
    this.wakeListener?.();
    return result;
  }

  /** Runs `name` on a cron schedule (UTC), once per slot across every instance; null switches it off. */
  schedule(name: string, cron: CronSchedule, payload: unknown = {}): void {
    this.definition(name);
    if (cron) nextSlot(cron, new Date());
    this.scheduleEntries.set(name, { name, cron, payload });
  }

  async list(query: JobListQuery): Promise<TimePage<JobView>> {
    const after = query.cursor === undefined ? null : decodeTimeCursor(query.cursor);
    const rows = await this.jobs.list(
      { state: query.state, name: query.name },
      after && { createdAt: after.at, id: after.id },
      query.limit + 1,
    );
    return timePage(rows, { limit: query.limit, key: (job) => ({ at: new Date(job.createdAt), id: job.id }), view: (job) => job });
  }

  async get(id: string): Promise<JobView> {
    const job = UUID.test(id) ? await this.jobs.find(id.toLowerCase()) : null;
    if (!job) throw new NotFound('No such job.');
    return job;
  }

  async retry(id: string): Promise<JobView> {
    const job = await this.get(id);
    const retried = await this.jobs.retry(job.id);
    if (!retried) throw new Conflict(`Only failed jobs can be retried; this one is ${job.state}.`);
    this.wakeListener?.();
    return retried;
  }

  async discard(id: string): Promise<void> {
    const job = await this.get(id);
    if (!(await this.jobs.discard(job.id))) throw new Conflict(`Only failed jobs can be discarded; this one is ${job.state}.`);
  }

  stats(): Promise<JobStats> {
    return this.jobs.stats();
  }

  schedules() {
    return this.jobs.schedules();
  }

  /** @internal for the worker */
  definedJobs(): ReadonlyMap<string, ResolvedDefinition> {
    return this.definitions;
  }

  /** @internal for the worker */
  scheduled(): readonly ScheduleEntry[] {
    return [...this.scheduleEntries.values()];
  }

  /** @internal the worker is told when a job it can start now was added on this instance */
  onWake(listener: () => void): void {
    this.wakeListener = listener;
  }

  private newJobs(name: string, jobs: readonly (EnqueueOptions & { payload: unknown })[]): NewJob[] {
    const definition = this.definition(name);
    return jobs.map((job) => ({
      name,
      payload: job.payload,
      runAt: job.runAt ?? new Date(),
      maxAttempts: job.maxAttempts ?? definition.maxAttempts,
      timeoutSeconds: definition.timeoutSeconds,
      singletonKey: job.singletonKey,
    }));
  }

  private definition(name: string): ResolvedDefinition {
    const definition = this.definitions.get(name);
    if (!definition) throw new Error(`Job "${name}" is not defined`);
    return definition;
  }
}
