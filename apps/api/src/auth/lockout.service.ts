import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { AccountLocked } from '@backlot/http';
import { sha256 } from '@backlot/security';
import { LoginFailuresRepository } from './login-failures.repository';

/**
 * Per-account brute-force defence: after LOGIN_MAX_FAILURES wrong passwords within the
 * lockout window the address is locked for LOGIN_LOCKOUT_SECONDS. Counted per email
 * (hashed) in the database, shared by every instance, and the same for addresses that
 * have no account, so lockout cannot tell which addresses are registered.
 */
@Injectable()
export class LockoutService {
  private readonly maxFailures: number;
  private readonly lockSeconds: number;

  constructor(
    private readonly failures: LoginFailuresRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxFailures = config.auth.lockout.maxFailures;
    this.lockSeconds = config.auth.lockout.lockSeconds;
  }

  async assertNotLocked(email: string): Promise<void> {
    const remainingMs = ((await this.failures.lockedUntil(sha256(email)))?.getTime() ?? 0) - Date.now();
    if (remainingMs > 0)
      throw new AccountLocked(Math.ceil(remainingMs / 1000), 'Too many failed sign-ins; this account is locked for a while.');
  }

  /** Returns true when this failure locked the account. */
  async recordFailure(email: string): Promise<boolean> {
    if ((await this.failures.increment(sha256(email), this.lockSeconds)) < this.maxFailures) return false;
    await this.failures.lock(sha256(email), this.lockSeconds);
    return true;
  }

  clear(email: string): Promise<void> {
    return this.failures.clear(sha256(email));
  }
}
