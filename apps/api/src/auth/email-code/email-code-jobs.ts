import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { MailOutbox } from '@backlot/mail';
import { AuditService, type RequestMeta, SealedJobs, sha256 } from '@backlot/security';
import { UsersService } from '../../users/users.service';
import { signInCodeMail } from '../auth-mails';
import { SignInCodes } from './sign-in-codes';

const CODE_REQUESTED = 'auth.sign-in-code-requested';

/** An address someone asked a code for, normalized, with the request for the audit log. */
interface CodeRequest {
  email: string;
  request: RequestMeta;
}

/**
 * The per-account half of asking for a sign-in code: looking the address up, issuing the code
 * and mailing it. It runs in a sealed job after the answer, as RegistrationJobs does, so the
 * request does the same work for every address and its timing cannot tell which have accounts.
 */
@Injectable()
export class EmailCodeJobs implements OnModuleInit {
  private readonly appUrl: string;
  private readonly ttlMinutes: number;

  constructor(
    private readonly jobs: SealedJobs,
    private readonly users: UsersService,
    private readonly codes: SignInCodes,
    private readonly outbox: MailOutbox,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.appUrl = config.auth.appUrl;
    this.ttlMinutes = config.auth.emailCodes.ttlMinutes;
  }

  onModuleInit(): void {
    this.jobs.define<CodeRequest>({ name: CODE_REQUESTED, handler: (job) => this.codeRequested(job) });
  }

  requestCode(email: string, request: RequestMeta): Promise<void> {
    return this.jobs.enqueue<CodeRequest>(CODE_REQUESTED, { email, request });
  }

  private async codeRequested({ email, request }: CodeRequest): Promise<void> {
    const user = await this.users.findByEmail(email);
    // A hash, as for failed sign-ins: requests for unknown addresses show up without naming them.
    const emailHash = sha256(email).slice(0, 16);
    if (!user || user.disabledAt) {
      await this.audit.record({
        action: 'auth.email-code.requested',
        outcome: 'failure',
        actor: { type: 'anonymous' },
        request,
        details: { emailHash, reason: user ? 'account-disabled' : 'no-account' },
      });
      return;
    }
    // The code is issued only when the mail may go: past the inbox's limit, the last one mailed stays valid.
    const mailed = await this.outbox.send({ kind: 'sign-in-code', to: user.email, request }, async () => {
      const { code, linkToken } = await this.codes.issue(user);
      return signInCodeMail(code, `${this.appUrl}/email-sign-in?token=${linkToken}`, this.ttlMinutes);
    });
    await this.audit.record({
      action: 'auth.email-code.requested',
      outcome: 'success',
      actor: { type: 'anonymous', id: user.id },
      target: { type: 'user', id: user.id },
      request,
      details: { emailHash, mailed },
    });
  }
}
