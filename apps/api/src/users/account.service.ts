import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DomainEvents, UserDataExport } from '@backlot/events';
import { BadRequest, Conflict } from '@backlot/http';
import { MailOutbox } from '@backlot/mail';
import { AuditService, OneTimeTokens, type Principal, type RequestMeta, SealedJobs } from '@backlot/security';
import { emailChangedNotice, emailChangeMail } from './account-mails';
import { CredentialsService } from './credentials.service';
import { UserDto } from './dto/user.dto';
import { toProfile } from './users.repository';
import { normalizeEmail, UsersService } from './users.service';

const EMAIL_CHANGE_REQUESTED = 'users.email-change-requested';

interface EmailChangeRequest {
  userId: string;
  email: string;
  /** ISO time of the request: a password changed since then cancels it, as it cancels issued links. */
  requestedAt: string;
  request: RequestMeta;
}

/** Changes a user makes to their own account: password, email, export, deletion. */
@Injectable()
export class AccountService implements OnModuleInit {
  private readonly appUrl: string;
  private readonly emailTtlHours: number;

  constructor(
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly tokens: OneTimeTokens,
    private readonly outbox: MailOutbox,
    private readonly jobs: SealedJobs,
    private readonly audit: AuditService,
    private readonly events: DomainEvents,
    private readonly exports: UserDataExport,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.appUrl = config.auth.appUrl;
    this.emailTtlHours = config.auth.emailVerificationTtlHours;
  }

  onModuleInit(): void {
    this.jobs.define<EmailChangeRequest>({ name: EMAIL_CHANGE_REQUESTED, handler: (job) => this.mailEmailChange(job) });
  }

  /** Ends every other session: whoever else knew the old password is signed out. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string, request: RequestMeta): Promise<void> {
    const user = await this.users.get(principal.userId);
    if (!(await this.credentials.passwordMatches(user, currentPassword))) {
      await this.audit.record({ action: 'user.password.change', outcome: 'failure', actor: { type: 'user', id: user.id }, request });
      throw new BadRequest('The current password is wrong.');
    }
    await this.credentials.setPassword(user.id, newPassword);
    await this.events.emit('user.credentials-changed', {
      userId: user.id,
      keepSessionId: principal.kind === 'session' ? principal.sessionId : undefined,
      reason: 'password-changed',
    });
    await this.audit.record({ action: 'user.password.change', outcome: 'success', actor: { type: 'user', id: user.id }, request });
  }

  /** Sends a confirmation link to the new address; the change happens only when it is followed. */
  async requestEmailChange(userId: string, newEmail: string, password: string, request: RequestMeta): Promise<void> {
    const user = await this.users.get(userId);
    if (!(await this.credentials.passwordMatches(user, password))) throw new BadRequest('The password is wrong.');
    const email = normalizeEmail(newEmail);
    if (email === user.email) throw new BadRequest('That is already your email address.');
    await this.audit.record({ action: 'user.email.change-requested', outcome: 'success', actor: { type: 'user', id: userId }, request });
    // Whether the address is taken is looked up in the job, after the answer: the request does the
    // same work either way, so neither its answer nor its timing can probe for accounts.
    await this.jobs.enqueue<EmailChangeRequest>(EMAIL_CHANGE_REQUESTED, { userId, email, requestedAt: new Date().toISOString(), request });
  }

  async confirmEmailChange(token: string, request: RequestMeta): Promise<void> {
    const stored = await this.tokens.consume('change_email', token);
    if (!stored) throw new BadRequest('The link is invalid, expired or already used.');
    const { email } = stored.payload as { email: string };
    const before = await this.users.get(stored.userId);
    try {
      await this.users.changeEmail(stored.userId, email);
    } catch (error) {
      if (error instanceof Conflict) throw new BadRequest('That email address is no longer available.');
      throw error;
    }
    // Reset and verification links went to the old mailbox; it no longer speaks for the account.
    await this.tokens.revokeAll(stored.userId, 'reset_password');
    await this.tokens.revokeAll(stored.userId, 'verify_email');
    // Detached: the change is committed, and a failed answer would tell the caller it was not.
    this.outbox.sendDetached({ kind: 'email-changed', to: before.email, request }, () => emailChangedNotice(email));
    await this.audit.record({ action: 'user.email.changed', outcome: 'success', actor: { type: 'user', id: stored.userId }, request });
  }

  /** A taken address gets no mail; nor does a request that a password change has overtaken. */
  private async mailEmailChange({ userId, email, requestedAt, request }: EmailChangeRequest): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user || user.passwordChangedAt.getTime() > Date.parse(requestedAt) || (await this.users.findByEmail(email))) return;
    await this.outbox.send({ kind: 'email-change', to: email, request }, async () => {
      const { token } = await this.tokens.issue(userId, 'change_email', this.emailTtlHours * 3600, { email });
      return emailChangeMail(`${this.appUrl}/confirm-email-change?token=${token}`, this.emailTtlHours);
    });
  }

  /** Everything stored about the user, as one JSON document (GDPR art. 20). */
  async export(userId: string): Promise<Record<string, unknown>> {
    const user = await this.users.get(userId);
    const auditEvents = await this.audit.listByActor(userId);
    return {
      exportedAt: new Date().toISOString(),
      profile: UserDto.from(toProfile(user)),
      mfa: {
        enabled: user.mfaEnabledAt !== null,
        enabledAt: user.mfaEnabledAt?.toISOString() ?? null,
        unusedRecoveryCodes: await this.credentials.remainingRecoveryCodes(userId),
      },
      ...(await this.exports.collect(userId)),
      auditEvents: auditEvents.map((event) => ({
        at: event.at.toISOString(),
        action: event.action,
        outcome: event.outcome,
        targetType: event.targetType,
        targetId: event.targetId,
        ip: event.ip,
        userAgent: event.userAgent,
      })),
    };
  }

  /** Deletes the account after re-authentication (see UsersService.deleteAccount). */
  async delete(userId: string, password: string, code: string | undefined, request: RequestMeta): Promise<void> {
    const user = await this.users.get(userId);
    await this.credentials.reauthenticate(user, password, code);
    await this.users.deleteAccount(userId, { type: 'user', id: userId }, request);
  }
}
