import { Injectable } from '@nestjs/common';

export interface DependencyHealth {
  status: 'up' | 'down';
  latencyMs?: number;
  /** Safe, human-readable reason when down (never a connection string or credential). */
  error?: string;
  [detail: string]: unknown;
}

export type HealthCheck = () => Promise<DependencyHealth>;

/** A check's result as readiness reports it. */
export type ReportedHealth = DependencyHealth & { required: boolean };

const CHECK_TIMEOUT_MS = 2_000;

/**
 * Dependencies (database, Redis …) register a check here when their module starts;
 * readiness runs them all, so the health endpoint needs no knowledge of who they are.
 * A required dependency (the database) down means the instance cannot serve; an optional
 * one (Redis: requests go on without the cache) only degrades it.
 */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, { check: HealthCheck; required: boolean }>();

  register(name: string, check: HealthCheck, options: { required: boolean } = { required: true }): void {
    this.checks.set(name, { check, required: options.required });
  }

  async checkAll(): Promise<Record<string, ReportedHealth>> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, { check, required }]) => [name, { ...(await withTimeout(check)), required }] as const),
    );
    return Object.fromEntries(entries);
  }
}

async function withTimeout(check: HealthCheck): Promise<DependencyHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DependencyHealth>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'down', error: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([check(), timeout]);
    return { latencyMs: Math.round((performance.now() - started) * 100) / 100, ...result };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
