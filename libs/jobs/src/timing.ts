import { CronExpressionParser } from 'cron-parser';

const MAX_DELAY_MS = 3_600_000;

/**
 * Delay before retry number `attempt` (1 = after the first failure): the base doubled per
 * attempt, capped at an hour, spread ±20% so jobs that failed together do not retry together.
 */
export function retryDelayMs(baseSeconds: number, attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(baseSeconds * 1000 * 2 ** Math.max(0, attempt - 1), MAX_DELAY_MS);
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

/** The first slot of a cron expression (UTC) strictly after `after`. */
export function nextSlot(cron: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { currentDate: after, tz: 'UTC' }).next().toDate();
}
