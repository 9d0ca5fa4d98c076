import { Global, Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { AuditService, type RequestMeta, SealedJobs } from '@backlot/security';
import { type MailMessage, MailService } from './mail.service';
import { recipientDomain } from './recipient';
import { MailRecipientLimit } from './recipient-limit';

const JOB = 'mail.send';

/** Who a mail goes to and why; the content comes from a `compose` function, called only when the mail may go. */
export interface OutgoingMail {
  /** What the mail is for (`password-reset`, `verify-email` …), named in the audit event of a held-back mail. */
  kind: string;
  to: string;
  /** The request that caused the mail, for that audit event. */
  request?: RequestMeta;
}

export type MailContent = Omit<MailMessage, 'to'>;

/**
 * Mail that leaves through the job queue: a refused or unreachable SMTP server means a
 * retry with backoff, and after the last attempt a dead-lettered job an admin can retry,
 * not a lost message. Messages carry sign-in links, so the queued payload is sealed with
 * the field-encryption key ring. Every mail passes the per-inbox limit (MailRecipientLimit)
 * first: anyone can ask Backlot to mail any address, and one inbox must not be flooded.
 */
@Injectable()
export class MailOutbox implements OnModuleInit {
  private readonly logger = new Logger('Mail');

  constructor(
    private readonly jobs: SealedJobs,
    private readonly mail: MailService,
    private readonly limit: MailRecipientLimit,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.jobs.define<MailMessage>({ name: JOB, timeoutSeconds: 120, handler: (message) => this.mail.send(message) });
  }

  /**
   * Queues the mail `compose` writes; resolves false, having composed nothing (no link is
   * issued, so earlier links stay valid), when the recipient's inbox is over its limit: that
   * is audited as `mail.suppressed` and not an error, so callers answer exactly as if it went.
   * Rejects when the job could not be queued (the database refused it).
   */
  async send(mail: OutgoingMail, compose: () => MailContent | Promise<MailContent>): Promise<boolean> {
    const { admitted, recipientHash } = await this.limit.admit(mail.to);
    if (!admitted) {
      await this.audit.record({
        action: 'mail.suppressed',
        outcome: 'denied',
        actor: { type: 'system' },
        target: { type: 'mail-recipient', id: recipientHash },
        request: mail.request,
        details: { kind: mail.kind, recipientDomain: recipientDomain(mail.to), ...this.limit.settings },
      });
      return false;
    }
    await this.jobs.enqueue<MailMessage>(JOB, { ...(await compose()), to: mail.to });
    return true;
  }

  /**
   * Like send, without the caller waiting or learning the outcome: for answers that must not
   * wait on the mail (it would tell, by status or by time, what the caller must not learn).
   * A mail that cannot be queued is logged and lost.
   */
  sendDetached(mail: OutgoingMail, compose: () => MailContent | Promise<MailContent>): void {
    this.send(mail, compose).catch((error: unknown) =>
      this.logger.error({ msg: 'mail not queued', kind: mail.kind, error: (error as Error).message }),
    );
  }
}

@Global()
@Module({ providers: [MailRecipientLimit, MailOutbox], exports: [MailOutbox, MailRecipientLimit] })
export class MailOutboxModule {}
