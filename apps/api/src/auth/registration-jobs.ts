import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { Conflict } from '@backlot/http';
import { MailOutbox } from '@backlot/mail';
import { AuditService, OneTimeTokens, type RequestMeta, SealedJobs } from '@backlot/security';
import { UsersService } from '../users/users.service';
import { alreadyRegisteredMail, resetPasswordMail, verifyEmailMail } from './auth-mails';

const SIGNED_UP = 'auth.signed-up';
const RESET_REQUESTED = 'auth.password-reset-requested';
const VERIFICATION_REQUESTED = 'auth.verification-requested';

/** An address someone asked about, normalized, with the request for the audit log. */
interface AddressRequest {
  email: string;
  request: RequestMeta;
}

interface SignUp extends AddressRequest {
  passwordHash: string;
}

/**
 * The per-account half of sign-up, password reset and resending the verification: looking the
 * address up, issuing links, mailing, auditing. It runs in sealed jobs (the payloads hold
 * addresses), after the answer, so the request does the same work for every address and its
 * timing cannot tell which have accounts (docs/auth.md#brute-force-and-enumeration).
 */
@Injectable()
export class RegistrationJobs implements OnModuleInit {
  private readonly appUrl: string;
  private readonly verifyTtlHours: number;
  private readonly resetTtlMinutes: number;

  constructor(
    private readonly jobs: SealedJobs,
    private readonly users: UsersService,
    private readonly tokens: OneTimeTokens,
    private readonly outbox: MailOutbox,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.appUrl = config.auth.appUrl;
    this.verifyTtlHours = config.auth.emailVerificationTtlHours;
    this.resetTtlMinutes = config.auth.passwordResetTtlMinutes;
  }

  onModuleInit(): void {
    this.jobs.define<SignUp>({ name: SIGNED_UP, handler: (job) => this.signedUp(job) });
    this.jobs.define<AddressRequest>({ name: RESET_REQUESTED, handler: (job) => this.resetRequested(job) });
    this.jobs.define<AddressRequest>({ name: VERIFICATION_REQUESTED, handler: (job) => this.verificationRequested(job) });
  }

  /** The account is created in the job: the request does the same work for a new and a taken address. */
  signUp(email: string, passwordHash: string, request: RequestMeta): Promise<void> {
    return this.jobs.enqueue<SignUp>(SIGNED_UP, { email, passwordHash, request });
  }

  /** The job's work, done now (see RegistrationService.register for when). */
  signUpNow(email: string, passwordHash: string, request: RequestMeta): Promise<void> {
    return this.signedUp({ email, passwordHash, request });
  }

  requestReset(email: string, request: RequestMeta): Promise<void> {
    return this.jobs.enqueue<AddressRequest>(RESET_REQUESTED, { email, request });
  }

  requestVerification(email: string, request: RequestMeta): Promise<void> {
    return this.jobs.enqueue<AddressRequest>(VERIFICATION_REQUESTED, { email, request });
  }

  private async signedUp({ email, passwordHash, request }: SignUp): Promise<void> {
    const existing = await this.users.findByEmail(email);
    // The same hash (argon2 salts each one) is the account an earlier run of this job made.
    if (existing && existing.passwordHash !== passwordHash) return this.alreadyRegistered(existing.id, email, request);
    if (existing?.emailVerifiedAt) return;
    const userId = existing?.id ?? (await this.createAccount(email, passwordHash));
    if (!userId) return this.alreadyRegistered((await this.users.findByEmail(email))?.id, email, request);
    await this.outbox.send({ kind: 'verify-email', to: email, request }, () => this.verificationMail(userId));
    await this.audit.record({
      action: 'auth.register',
      outcome: 'success',
      actor: { type: 'user', id: userId },
      target: { type: 'user', id: userId },
      request,
    });
  }

  /** The new account's id; null when another sign-up for the address got there first. */
  private async createAccount(email: string, passwordHash: string): Promise<string | null> {
    try {
      return (await this.users.create({ email, passwordHash })).id;
    } catch (error) {
      if (error instanceof Conflict) return null;
      throw error;
    }
  }

  private async alreadyRegistered(ownerId: string | undefined, email: string, request: RequestMeta): Promise<void> {
    await this.outbox.send({ kind: 'already-registered', to: email, request }, async () =>
      alreadyRegisteredMail(ownerId ? await this.resetLink(ownerId) : `${this.appUrl}/forgot-password`),
    );
    await this.audit.record({
      action: 'auth.register',
      outcome: 'failure',
      actor: { type: 'anonymous' },
      target: ownerId ? { type: 'user', id: ownerId } : undefined,
      request,
      details: { reason: 'email-taken' },
    });
  }

  private async resetRequested({ email, request }: AddressRequest): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user || user.disabledAt) return;
    await this.outbox.send({ kind: 'password-reset', to: user.email, request }, async () =>
      resetPasswordMail(await this.resetLink(user.id), this.resetTtlMinutes),
    );
    await this.audit.record({
      action: 'auth.password.reset-requested',
      outcome: 'success',
      actor: { type: 'anonymous', id: user.id },
      request,
    });
  }

  private async verificationRequested({ email, request }: AddressRequest): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (user && !user.emailVerifiedAt)
      await this.outbox.send({ kind: 'verify-email', to: user.email, request }, () => this.verificationMail(user.id));
  }

  private async verificationMail(userId: string) {
    const { token } = await this.tokens.issue(userId, 'verify_email', this.verifyTtlHours * 3600);
    return verifyEmailMail(`${this.appUrl}/verify-email?token=${token}`, this.verifyTtlHours);
  }

  private async resetLink(userId: string): Promise<string> {
    const { token } = await this.tokens.issue(userId, 'reset_password', this.resetTtlMinutes * 60);
    return `${this.appUrl}/reset-password?token=${token}`;
  }
}
