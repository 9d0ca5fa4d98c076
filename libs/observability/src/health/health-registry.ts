import { Injectable } from '@nestjs/common';

export interface DependencyHealth {
  status: 'up' | 'down';
  latencyMs?: number;
  /** Safe, human-readable reason when down (never a connection string or credential). */
  error?: string;
  [detail: string]: unknown;
}

export type HealthCheck = () => Promise<DependencyHealth>;

const CHECK_TIMEOUT_MS = 2_000;

/**
 * Dependencies (database, Redis …) register a check here when their module starts;
 * readiness runs them all, so the health endpoint needs no knowledge of who they are.
 */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async checkAll(): Promise<Record<string, DependencyHealth>> {
    const entries = await Promise.all([...this.checks].map(async ([name, check]) => [name, await withTimeout(check)] as const));
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
