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
   * Queues the message without holding up the request: the answer must not take longer when
   * a mail goes out (that would tell whether an account exists).
   */
  send(message: MailMessage): void {
    const sealed = this.encryption.encrypt(JSON.stringify(message), CONTEXT);
    this.jobs
      .enqueue(JOB, { sealed })
      .catch((error: unknown) => this.logger.error({ msg: 'mail not queued', error: (error as Error).message }));
  }
}

@Global()
@Module({ providers: [MailOutbox], exports: [MailOutbox] })
export class MailOutboxModule {}
