import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { JobQueue } from '@backlot/jobs';
import { MailRecipientLimit } from '@backlot/mail';
import { OneTimeTokens } from '@backlot/security';
import { LoginFailuresRepository } from './login-failures.repository';
import { SignInFlowsRepository } from './providers/sign-in-flows.repository';
import { SessionsRepository } from './sessions/sessions.repository';

/** Ended sessions stay listable for this long (a user checking "where was I signed in?"). */
const ENDED_SESSION_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * The `auth.purge-expired` job, on the cleanup schedule (once per slot across instances):
 * ended sessions and their refresh tokens, refresh-token successors kept past the grace window,
 * spent or expired one-time tokens and provider sign-in flows, stale lockout counters, and per-inbox mail counters whose
 * window ran out (the mails they count are mostly auth's).
 */
@Injectable()
export class AuthHousekeeping implements OnModuleInit {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly jobs: JobQueue,
    private readonly sessions: SessionsRepository,
    private readonly tokens: OneTimeTokens,
    private readonly loginFailures: LoginFailuresRepository,
    private readonly mailCounters: MailRecipientLimit,
    private readonly signInFlows: SignInFlowsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.define({ name: 'auth.purge-expired', handler: () => this.purge() });
    this.jobs.schedule('auth.purge-expired', this.config.jobs.cleanupSchedule);
  }

  async purge(): Promise<Record<'sessions' | 'successors' | 'tokens' | 'loginFailures' | 'mailCounters' | 'signInFlows', number>> {
    const now = Date.now();
    const purged = {
      sessions: await this.sessions.purgeEnded(new Date(now - ENDED_SESSION_DAYS * DAY_MS)),
      successors: await this.sessions.clearSuccessors(new Date(now - this.config.auth.refreshReuseGraceSeconds * 1000)),
      tokens: await this.tokens.purgeSpent(new Date(now - DAY_MS)),
      loginFailures: await this.loginFailures.purgeStale(new Date(now - DAY_MS)),
      mailCounters: await this.mailCounters.purgeExpired(),
      signInFlows: await this.signInFlows.purgeBefore(new Date(now - DAY_MS)),
    };
    if (Object.values(purged).some((count) => count > 0)) this.logger.log({ msg: 'purged expired auth data', ...purged });
    return purged;
  }
}
