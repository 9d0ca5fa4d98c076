export type JobState = 'pending' | 'running' | 'completed' | 'failed';
export const JOB_STATES: readonly JobState[] = ['pending', 'running', 'completed', 'failed'];

/** What a handler gets besides its payload. */
export interface JobContext {
  id: string;
  name: string;
  /** 1 on the first run; a handler may be run again after a crash, so it must be idempotent. */
  attempt: number;
  maxAttempts: number;
  /**
   * Aborted when the run passes its job's timeoutSeconds (the attempt then fails), when the
   * instance shuts down (the job is handed back to the queue), or when this instance lost its
   * lease. Once aborted, what the handler returns is ignored: stop promptly.
   */
  signal: AbortSignal;
  /**
   * How long a retry after this run would wait: the job's backoff for this attempt, capped and
   * with jitter, drawn once per run. A handler that records when it runs again throws
   * `RetryAt` with `now + retryDelayMs`, so what it recorded is when the queue runs it.
   */
  retryDelayMs: number;
}

export type JobHandler<P> = (payload: P, context: JobContext) => Promise<unknown>;

export interface JobDefinition<P = unknown> {
  /** Dotted lower-case name, e.g. `mail.send`. */
  name: string;
  handler: JobHandler<P>;
  /** Attempts before dead-lettering (default JOBS_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** First retry delay in seconds (default JOBS_BACKOFF_SECONDS), doubled per attempt. */
  backoffSeconds?: number;
  /**
   * Longest run, in seconds (default 300, at least 15). Past it the run's `signal` is aborted,
   * and once the handler stops the run counts as a failed attempt (retried with backoff, or
   * dead-lettered after the last). Until the handler stops, heartbeats keep the job leased
   * here, so a retry never runs beside it. It is also the lease: an instance that stops
   * heartbeating (it died) loses the job to another one this long after the last heartbeat.
   */
  timeoutSeconds?: number;
}

export interface EnqueueOptions {
  /** Not before this time (default now). */
  runAt?: Date;
  /** At most one job with this key ever exists: a second enqueue returns null. */
  singletonKey?: string;
  maxAttempts?: number;
}

/** A job as admins see it (payloads are not shown: they may hold sealed personal data). */
export interface JobView {
  id: string;
  name: string;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  lastError: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface JobStats {
  /** Jobs per state over all names. */
  states: Record<JobState, number>;
  /** Pending jobs already due (the backlog) and the age of the oldest, in seconds. */
  due: number;
  oldestDueSeconds: number;
  /** Per job name: counts per state. */
  byName: { name: string; states: Record<JobState, number> }[];
}

export interface JobListQuery {
  state?: JobState;
  name?: string;
  /** Opaque cursor from the previous page. */
  cursor?: string;
  limit: number;
}
