import { Global, Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { JobQueue } from '@backlot/jobs';
import { FieldEncryption } from '@backlot/security';
import { type MailMessage, MailService } from './mail.service';

const JOB = 'mail.send';
/** Bound into the ciphertext: a sealed mail decrypts nowhere else. */
const CONTEXT = 'jobs:mail.send';

/**
 * Mail that leaves through the job queue: a refused or unreachable SMTP server means a
 * retry with backoff, and after the last attempt a dead-lettered job an admin can retry,
 * not a lost message. Messages carry sign-in links, so the queued payload is encrypted
 * with the field-encryption key ring.
 */
@Injectable()
export class MailOutbox implements OnModuleInit {
  private readonly logger = new Logger('Mail');

  constructor(
    private readonly jobs: JobQueue,
    private readonly mail: MailService,
    private readonly encryption: FieldEncryption,
  ) {}

  onModuleInit(): void {
    this.jobs.define<{ sealed: string }>({
      name: JOB,
      timeoutSeconds: 120,
      handler: async ({ sealed }) => this.mail.send(JSON.parse(this.encryption.decrypt(sealed, CONTEXT)) as MailMessage),
    });
  }

  /**
   * Queues the message; rejects when it could not be queued (the database refused the job),
   * so the request fails instead of losing the mail. Only for answers that may differ when a
   * mail goes out: where a mail is sent for some addresses and not others, use sendDetached.
   */
  async send(message: MailMessage): Promise<void> {
    await this.jobs.enqueue(JOB, { sealed: this.seal(message) });
  }

  /**
   * Queues the message without the caller waiting or learning the outcome. For answers that
   * must be the same whether or not a mail goes out (it would tell whether an account exists,
   * by status or by time); a mail that cannot be queued is logged and lost.
   */
  sendDetached(message: MailMessage): void {
    this.send(message).catch((error: unknown) => this.logger.error({ msg: 'mail not queued', error: (error as Error).message }));
  }

  private seal(message: MailMessage): string {
    return this.encryption.encrypt(JSON.stringify(message), CONTEXT);
  }
}

@Global()
@Module({ providers: [MailOutbox], exports: [MailOutbox] })
export class MailOutboxModule {}
