import { Injectable } from '@nestjs/common';
import { DatabaseConnection, newId, type Queryable, storableText } from '@backlot/database';
import type { JobState, JobStats, JobView } from './job.types';
import { JOB_STATES } from './job.types';

/** A claimed job as the worker runs it. */
export interface ClaimedJob {
  id: string;
  name: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  timeoutSeconds: number;
}

export interface NewJob {
  name: string;
  payload: unknown;
  runAt: Date;
  maxAttempts: number;
  timeoutSeconds: number;
  singletonKey?: string;
}

interface JobRow {
  id: string;
  name: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  last_error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const VIEW_COLUMNS = 'id, name, state, attempts, max_attempts, run_at, last_error, created_at, started_at, finished_at';

/**
 * The jobs and job_schedules tables, in plain SQL on the shared connection (the embedded
 * database included). Every state change is one statement guarded by the claim token
 * (`locked_by`), so a worker that lost its lease can no longer complete or fail the job.
 */
@Injectable()
export class JobsRepository {
  constructor(private readonly db: DatabaseConnection) {}

  /** Adds jobs in one statement (through `q`: the connection, or a transaction); the id of each, or null where its singleton key exists. */
  async insert(jobs: readonly NewJob[], q: Queryable = this.db): Promise<(string | null)[]> {
    const rows = jobs.map((job) => ({
      id: newId(),
      name: job.name,
      payload: job.payload ?? null,
      max_attempts: job.maxAttempts,
      timeout_seconds: job.timeoutSeconds,
      run_at: job.runAt.toISOString(),
      singleton_key: job.singletonKey ?? null,
    }));
    const inserted = await q.query<{ id: string }>(
      `INSERT INTO jobs (id, name, payload, state, max_attempts, timeout_seconds, run_at, singleton_key)
       SELECT id, name, payload, 'pending', max_attempts, timeout_seconds, run_at, singleton_key
         FROM jsonb_to_recordset($1::jsonb) AS job(id uuid, name text, payload jsonb, max_attempts int,
                                                   timeout_seconds int, run_at timestamptz, singleton_key text)
       ON CONFLICT (singleton_key) DO NOTHING RETURNING id`,
      [JSON.stringify(rows)],
    );
    const ids = new Set(inserted.map((row) => row.id));
    return rows.map((row) => (ids.has(row.id) ? row.id : null));
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Takes up to `limit` due jobs this instance can run; SKIP LOCKED lets instances claim side by side. */
  async claim(names: readonly string[], limit: number, token: string): Promise<ClaimedJob[]> {
    const rows = await this.db.query<{
      id: string;
      name: string;
      payload: unknown;
      attempts: number;
      max_attempts: number;
      timeout_seconds: number;
    }>(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $3, started_at = now(),
              locked_until = now() + make_interval(secs => timeout_seconds)
        WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND run_at <= now() AND name = ANY($1::text[])
                      ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, name, payload, attempts, max_attempts, timeout_seconds`,
      [names, limit, token],
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      payload: row.payload,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      timeoutSeconds: row.timeout_seconds,
    }));
  }

  /** Extends the lease of jobs still running here; returns the ids this worker still holds. */
  async heartbeat(ids: readonly string[], token: string): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }>(
      `UPDATE jobs SET locked_until = now() + make_interval(secs => timeout_seconds)
        WHERE id = ANY($1::uuid[]) AND locked_by = $2 AND state = 'running' RETURNING id`,
      [ids, token],
    );
    return new Set(rows.map((row) => row.id));
  }

  async complete(id: string, token: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE jobs SET state = 'completed', finished_at = now(), locked_by = NULL, locked_until = NULL, last_error = NULL
        WHERE id = $1 AND locked_by = $2 RETURNING id`,
      [id, token],
    );
    return rows.length === 1;
  }

  /** A failed attempt: back to pending at `retryAt`, or dead-lettered when attempts are used up. */
  async fail(id: string, token: string, error: string, retryAt: Date): Promise<JobState | null> {
    const rows = await this.db.query<{ state: JobState }>(
      `UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
              run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE $4 END,
              finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END,
              last_error = $3, locked_by = NULL, locked_until = NULL
        WHERE id = $1 AND locked_by = $2 RETURNING state`,
      [id, token, storableText(error, 2000), retryAt],
    );
    return rows[0]?.state ?? null;
  }

  /** Hands jobs back untouched (shutdown): the interrupted attempt does not count. */
  async release(ids: readonly string[], token: string): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.db.query(
      `UPDATE jobs SET state = 'pending', attempts = greatest(attempts - 1, 0), locked_by = NULL, locked_until = NULL, run_at = now()
        WHERE id = ANY($1::uuid[]) AND locked_by = $2 AND state = 'running' RETURNING id`,
      [ids, token],
    );
    return rows.length;
  }

  /**
   * Lets the lease of jobs this worker cannot stop run out `seconds` from now, without
   * further heartbeats: another instance reclaims them then, once this one has exited.
   */
  async expireLease(ids: readonly string[], token: string, seconds: number): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.db.query(
      `UPDATE jobs SET locked_until = now() + make_interval(secs => $3)
        WHERE id = ANY($1::uuid[]) AND locked_by = $2 AND state = 'running' RETURNING id`,
      [ids, token, seconds],
    );
    return rows.length;
  }

  /** Jobs whose worker vanished (crash, kill -9) without a heartbeat: retried, or dead-lettered. */
  async reclaimExpired(): Promise<number> {
    const rows = await this.db.query(
      `UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
              finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END,
              last_error = 'The instance running it stopped without finishing (lease expired).',
              locked_by = NULL, locked_until = NULL, run_at = now()
        WHERE state = 'running' AND locked_until < now() RETURNING id`,
    );
    return rows.length;
  }

  async purgeCompleted(before: Date): Promise<number> {
    const rows = await this.db.query(`DELETE FROM jobs WHERE state = 'completed' AND finished_at < $1 RETURNING id`, [before]);
    return rows.length;
  }

  async find(id: string): Promise<JobView | null> {
    const rows = await this.db.query<JobRow>(`SELECT ${VIEW_COLUMNS} FROM jobs WHERE id = $1`, [id]);
    return rows[0] ? toView(rows[0]) : null;
  }

  /** Newest first, keyset on (created_at, id). */
  async list(
    filter: { state?: JobState; name?: string },
    after: { createdAt: Date; id: string } | null,
    limit: number,
  ): Promise<JobView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state) where.push(`state = $${params.push(filter.state)}`);
    if (filter.name) where.push(`name = $${params.push(filter.name)}`);
    if (after) where.push(`(created_at, id) < ($${params.push(after.createdAt)}, $${params.push(after.id)}::uuid)`);
    const rows = await this.db.query<JobRow>(
      `SELECT ${VIEW_COLUMNS} FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.map(toView);
  }

  /** Failed → pending with fresh attempts; null when the job is not (or no longer) failed. */
  async retry(id: string): Promise<JobView | null> {
    const rows = await this.db.query<JobRow>(
      `UPDATE jobs SET state = 'pending', attempts = 0, run_at = now(), finished_at = NULL
        WHERE id = $1 AND state = 'failed' RETURNING ${VIEW_COLUMNS}`,
      [id],
    );
    return rows[0] ? toView(rows[0]) : null;
  }

  async discard(id: string): Promise<boolean> {
    const rows = await this.db.query(`DELETE FROM jobs WHERE id = $1 AND state = 'failed' RETURNING id`, [id]);
    return rows.length === 1;
  }

  /** One statement, so the counts and the due figure come from one snapshot (two reads could see a job in neither). */
  async stats(): Promise<JobStats> {
    const rows = await this.db.query<{ name: string; state: JobState; count: number; due: number; oldest: number | null }>(
      `SELECT name, state, count(*)::int AS count,
              count(*) FILTER (WHERE state = 'pending' AND run_at <= now())::int AS due,
              extract(epoch FROM now() - min(run_at) FILTER (WHERE state = 'pending' AND run_at <= now()))::float8 AS oldest
         FROM jobs GROUP BY name, state ORDER BY name`,
    );
    const states = emptyStates();
    const byName = new Map<string, Record<JobState, number>>();
    let due = 0;
    let oldest = 0;
    for (const row of rows) {
      states[row.state] = (states[row.state] ?? 0) + row.count;
      const forName = byName.get(row.name) ?? emptyStates();
      forName[row.state] = row.count;
      byName.set(row.name, forName);
      due += row.due;
      oldest = Math.max(oldest, row.oldest ?? 0);
    }
    return { states, due, oldestDueSeconds: Math.round(oldest), byName: [...byName].map(([name, forName]) => ({ name, states: forName })) };
  }

  // Schedules

  /** Registers or updates a schedule; a changed expression takes effect from its next slot. */
  async upsertSchedule(name: string, cron: string, nextRunAt: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO job_schedules (name, cron, next_run_at, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (name) DO UPDATE SET cron = EXCLUDED.cron, updated_at = now(),
         next_run_at = CASE WHEN job_schedules.cron = EXCLUDED.cron THEN job_schedules.next_run_at ELSE EXCLUDED.next_run_at END`,
      [name, cron, nextRunAt],
    );
  }

  async deleteSchedule(name: string): Promise<void> {
    await this.db.query('DELETE FROM job_schedules WHERE name = $1', [name]);
  }

  async dueSchedules(names: readonly string[]): Promise<{ name: string; cron: string; nextRunAt: Date }[]> {
    const rows = await this.db.query<{ name: string; cron: string; next_run_at: Date }>(
      'SELECT name, cron, next_run_at FROM job_schedules WHERE next_run_at <= now() AND name = ANY($1::text[])',
      [names],
    );
    return rows.map((row) => ({ name: row.name, cron: row.cron, nextRunAt: row.next_run_at }));
  }

  /**
   * Moves a schedule from the slot it was seen at to the next one and enqueues that slot's
   * job, in one statement: of several instances seeing the same due slot, exactly one wins
   * the compare-and-set, and the singleton key stops a second job for the slot regardless.
   */
  async fireSchedule(
    schedule: { name: string; seenSlot: Date; nextRunAt: Date },
    job: { payload: unknown; maxAttempts: number; timeoutSeconds: number },
  ): Promise<string | null> {
    const rows = await this.db.query<{ id: string }>(
      `WITH won AS (
         UPDATE job_schedules SET next_run_at = $3, last_run_at = now()
          WHERE name = $1 AND next_run_at = $2 RETURNING name)
       INSERT INTO jobs (id, name, payload, state, max_attempts, timeout_seconds, run_at, singleton_key)
       SELECT $4, name, $5::jsonb, 'pending', $6, $7, now(), $8 FROM won
       ON CONFLICT (singleton_key) DO NOTHING RETURNING id`,
      [
        schedule.name,
        schedule.seenSlot,
        schedule.nextRunAt,
        newId(),
        JSON.stringify(job.payload ?? null),
        job.maxAttempts,
        job.timeoutSeconds,
        `schedule:${schedule.name}:${schedule.seenSlot.toISOString()}`,
      ],
    );
    return rows[0]?.id ?? null;
  }

  async schedules(): Promise<{ name: string; cron: string; nextRunAt: string; lastRunAt: string | null }[]> {
    const rows = await this.db.query<{ name: string; cron: string; next_run_at: Date; last_run_at: Date | null }>(
      'SELECT name, cron, next_run_at, last_run_at FROM job_schedules ORDER BY name',
    );
    return rows.map((row) => ({
      name: row.name,
      cron: row.cron,
      nextRunAt: row.next_run_at.toISOString(),
      lastRunAt: row.last_run_at?.toISOString() ?? null,
    }));
  }
}

function emptyStates(): Record<JobState, number> {
  return Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<JobState, number>;
}

function toView(row: JobRow): JobView {
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at.toISOString(),
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}
