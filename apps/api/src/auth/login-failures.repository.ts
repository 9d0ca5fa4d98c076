import { Injectable } from '@nestjs/common';
import { PrismaService } from '@backlot/database';

/** Failed sign-ins per email hash. Counting is one atomic upsert so concurrent guesses all count. */
@Injectable()
export class LoginFailuresRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Failure counts past their window and without a running lock no longer matter. */
  async purgeStale(before: Date): Promise<number> {
    const { count } = await this.prisma.loginFailure.deleteMany({
      where: { lastFailureAt: { lt: before }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: new Date() } }] },
    });
    return count;
  }

  async lockedUntil(emailHash: string): Promise<Date | null> {
    const row = await this.prisma.loginFailure.findUnique({ where: { emailHash }, select: { lockedUntil: true } });
    return row?.lockedUntil ?? null;
  }

  /** Adds a failure; the count restarts when the last one is older than the window or a lock has run out. */
  async increment(emailHash: string, windowSeconds: number): Promise<number> {
    const window = `${windowSeconds} seconds`;
    const [row] = await this.prisma.$queryRaw<{ failures: number }[]>`
      INSERT INTO login_failures (email_hash, failures, last_failure_at) VALUES (${emailHash}, 1, now())
      ON CONFLICT (email_hash) DO UPDATE SET
        failures = CASE
          WHEN login_failures.last_failure_at < now() - ${window}::interval OR login_failures.locked_until <= now() THEN 1
          ELSE login_failures.failures + 1 END,
        locked_until = CASE WHEN login_failures.locked_until <= now() THEN NULL ELSE login_failures.locked_until END,
        last_failure_at = now()
      RETURNING failures`;
    return row.failures;
  }

  async lock(emailHash: string, seconds: number): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE login_failures SET locked_until = now() + ${`${seconds} seconds`}::interval, failures = 0 WHERE email_hash = ${emailHash}`;
  }

  async clear(emailHash: string): Promise<void> {
    await this.prisma.loginFailure.deleteMany({ where: { emailHash } });
  }
}
