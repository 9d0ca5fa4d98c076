import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DomainEvents } from '@backlot/events';
import { BadRequest, Conflict } from '@backlot/http';
import { type MailMessage, MailOutbox } from '@backlot/mail';
import { AuditService, OneTimeTokens, type RequestMeta } from '@backlot/security';
import { CredentialsService } from '../users/credentials.service';
import { normalizeEmail, UsersService } from '../users/users.service';
import { alreadyRegisteredMail, resetPasswordMail, verifyEmailMail } from './auth-mails';
import { LockoutService } from './lockout.service';

/**
 * Sign-up, email verification and password reset. Every answer is the same whether or not
 * the address has an account (the mail differs, and only its owner reads it), and the
 * same work is done either way so timing does not tell either.
 */
@Injectable()
export class RegistrationService {
  private readonly appUrl: string;
  private readonly verifyTtlHours: number;
  private readonly resetTtlMinutes: number;

  constructor(
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly tokens: OneTimeTokens,
    private readonly outbox: MailOutbox,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
    private readonly lockout: LockoutService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.appUrl = config.auth.appUrl;
    this.verifyTtlHours = config.auth.emailVerificationTtlHours;
    this.resetTtlMinutes = config.auth.passwordResetTtlMinutes;
  }

  async register(rawEmail: string, password: string, request: RequestMeta): Promise<void> {
    const email = normalizeEmail(rawEmail);
    const passwordHash = await this.credentials.hashPassword(password);
    const existing = await this.users.findByEmail(email);
    if (existing) return this.registeredTwice(existing.id, email, request);
    let userId: string;
    try {
      userId = (await this.users.create({ email, passwordHash })).id;
    } catch (error) {
      // Two sign-ups for one address at once: the loser is told what the second one always is.
      if (error instanceof Conflict) return this.registeredTwice(null, email, request);
      throw error;
    }
    // Awaited, as the mail to a taken address is (registeredTwice): a mail goes out either way, so
    // a failure to queue it fails both alike, and the caller learns to retry instead of waiting for nothing.
    await this.outbox.send(await this.verificationMail(userId, email));
    await this.audit.record({
      action: 'auth.register',
      outcome: 'success',
      actor: { type: 'user', id: userId },
      target: { type: 'user', id: userId },
      request,
    });
  }

  async verifyEmail(token: string, request: RequestMeta): Promise<void> {
    const stored = await this.tokens.consume('verify_email', token);
    if (!stored) throw new BadRequest('The link is invalid, expired or already used.');
    await this.users.markEmailVerified(stored.userId);
    await this.audit.record({ action: 'auth.email.verified', outcome: 'success', actor: { type: 'user', id: stored.userId }, request });
  }

  async resendVerification(rawEmail: string): Promise<void> {
    const user = await this.users.findByEmail(rawEmail);
    // Detached: only unverified accounts get a mail, so a failure to queue must not change the answer.
    if (user && !user.emailVerifiedAt) this.outbox.sendDetached(await this.verificationMail(user.id, user.email));
  }

  async forgotPassword(rawEmail: string, request: RequestMeta): Promise<void> {
    const user = await this.users.findByEmail(rawEmail);
    if (!user || user.disabledAt) return;
    // Detached: an unknown address gets no mail, so a failure to queue must not change the answer.
    this.outbox.sendDetached(resetPasswordMail(user.email, await this.resetLink(user.id), this.resetTtlMinutes));
    await this.audit.record({
      action: 'auth.password.reset-requested',
      outcome: 'success',
      actor: { type: 'anonymous', id: user.id },
      request,
    });
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

  private async registeredTwice(userId: string | null, email: string, request: RequestMeta): Promise<void> {
    const link = userId ? await this.resetLink(userId) : `${this.appUrl}/forgot-password`;
    // Awaited, as the new account's verification mail is (register).
    await this.outbox.send(alreadyRegisteredMail(email, link));
    await this.audit.record({
      action: 'auth.register',
      outcome: 'failure',
      actor: { type: 'anonymous' },
      target: userId ? { type: 'user', id: userId } : undefined,
      request,
      details: { reason: 'email-taken' },
    });
  }

  private async verificationMail(userId: string, email: string): Promise<MailMessage> {
    const { token } = await this.tokens.issue(userId, 'verify_email', this.verifyTtlHours * 3600);
    return verifyEmailMail(email, `${this.appUrl}/verify-email?token=${token}`, this.verifyTtlHours);
  }

  private async resetLink(userId: string): Promise<string> {
    const { token } = await this.tokens.issue(userId, 'reset_password', this.resetTtlMinutes * 60);
    return `${this.appUrl}/reset-password?token=${token}`;
  }
}
