import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DomainEvents } from '@backlot/events';
import { BadRequest } from '@backlot/http';
import { AuditService, OneTimeTokens, type RequestMeta } from '@backlot/security';
import { CredentialsService } from '../users/credentials.service';
import { normalizeEmail, UsersService } from '../users/users.service';
import { LockoutService } from './lockout.service';
import { RegistrationJobs } from './registration-jobs';

/**
 * Sign-up, email verification and password reset. Every answer is the same whether or not
 * the address has an account, and so is the work done before it: the routes that take an
 * address queue a job (RegistrationJobs) that does the per-account part afterwards, so
 * timing does not tell either.
 */
@Injectable()
export class RegistrationService {
  private readonly accountsNeedVerification: boolean;

  constructor(
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly tokens: OneTimeTokens,
    private readonly jobs: RegistrationJobs,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
    private readonly lockout: LockoutService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.accountsNeedVerification = config.auth.requireEmailVerification;
  }

  /**
   * Hashes the password here (the plain one must not be queued; the work is the same for every
   * address) and queues the rest: the account is created moments after the answer. A database
   * that refuses the job fails a new and a taken address alike, and the caller learns to retry.
   *
   * Without email verification the account is created before the answer instead: a sign-in
   * right after sign-up must work (SPAs do just that), and it would tell a new address from a
   * taken one anyway (the password works only for the new one), so deferring hides nothing.
   */
  async register(rawEmail: string, password: string, request: RequestMeta): Promise<void> {
    const passwordHash = await this.credentials.hashPassword(password);
    const email = normalizeEmail(rawEmail);
    if (this.accountsNeedVerification) await this.jobs.signUp(email, passwordHash, request);
    else await this.jobs.signUpNow(email, passwordHash, request);
  }

  async verifyEmail(token: string, request: RequestMeta): Promise<void> {
    const stored = await this.tokens.consume('verify_email', token);
    if (!stored) throw new BadRequest('The link is invalid, expired or already used.');
    await this.users.markEmailVerified(stored.userId);
    await this.audit.record({ action: 'auth.email.verified', outcome: 'success', actor: { type: 'user', id: stored.userId }, request });
  }

  async resendVerification(rawEmail: string, request: RequestMeta): Promise<void> {
    await this.jobs.requestVerification(normalizeEmail(rawEmail), request);
  }

  async forgotPassword(rawEmail: string, request: RequestMeta): Promise<void> {
    await this.jobs.requestReset(normalizeEmail(rawEmail), request);
  }

  /** Sets the new password and ends every session: whoever had the old one is out. */
  async resetPassword(token: string, password: string, request: RequestMeta): Promise<void> {
    const stored = await this.tokens.consume('reset_password', token);
    if (!stored) throw new BadRequest('The link is invalid, expired or already used.');
    const user = await this.users.get(stored.userId);
    await this.credentials.setPassword(user.id, password);
    // Following the mailed link proves the mailbox, as verification would.
    if (!user.emailVerifiedAt) await this.users.markEmailVerified(user.id);
    await this.lockout.clear(user.email);
    await this.events.emit('user.credentials-changed', { userId: user.id, reason: 'password-reset' });
    await this.audit.record({ action: 'auth.password.reset', outcome: 'success', actor: { type: 'user', id: user.id }, request });
  }
}
