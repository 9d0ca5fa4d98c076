import { Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DomainEvents, UserDataExport } from '@backlot/events';
import { OneTimeTokens, PrincipalChanges, PrincipalResolver } from '@backlot/security';
import { CredentialsService } from '../users/credentials.service';
import { UsersModule } from '../users/users.module';
import { UsersService } from '../users/users.service';
import { ApiKeyDto } from './api-keys/api-key.dto';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysRepository } from './api-keys/api-keys.repository';
import { ApiKeysService } from './api-keys/api-keys.service';
import { AuthController } from './auth.controller';
import { AuthHousekeeping } from './auth-housekeeping';
import { EmailCodeJobs } from './email-code/email-code-jobs';
import { EmailCodeController } from './email-code/email-code.controller';
import { EmailCodeService } from './email-code/email-code.service';
import { SignInCodes } from './email-code/sign-in-codes';
import { LockoutService } from './lockout.service';
import { LoginFailuresRepository } from './login-failures.repository';
import { LoginService } from './login.service';
import { MfaController } from './mfa/mfa.controller';
import { AuthPrincipalResolver } from './principal.resolver';
import { PROVIDER_SIGN_IN_CONTROLLERS, PROVIDER_SIGN_IN_EXPORTS, PROVIDER_SIGN_IN_PROVIDERS } from './providers';
import { RefreshCookie } from './refresh-cookie';
import { RegistrationJobs } from './registration-jobs';
import { RegistrationService } from './registration.service';
import { describeDevice } from './sessions/device';
import { SessionsController } from './sessions/sessions.controller';
import { SessionsRepository } from './sessions/sessions.repository';
import { SessionsService } from './sessions/sessions.service';
import { TokenResponse } from './token-response';
import { VerificationController } from './verification.controller';

/** Keeps sessions and keys in step with account changes made elsewhere, and adds them to the data export. */
@Injectable()
class AccountEventHandlers implements OnModuleInit {
  constructor(
    private readonly events: DomainEvents,
    private readonly exports: UserDataExport,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly tokens: OneTimeTokens,
    private readonly principals: PrincipalChanges,
  ) {}

  onModuleInit(): void {
    this.events.on('user.credentials-changed', async ({ userId, keepSessionId, reason }) => {
      await this.sessions.revokeAll(userId, reason, keepSessionId);
      // Links and challenges obtained with the old password must not outlive it (an email
      // change requested by an intruder would otherwise take the account after a reset).
      for (const purpose of ['change_email', 'reset_password', 'mfa_challenge'] as const) await this.tokens.revokeAll(userId, purpose);
    });
    this.events.on('user.access-changed', async ({ userId }) => {
      await this.sessions.evictUser(userId);
      await this.apiKeys.evictUser(userId);
      // Once both are evicted, so a re-check anywhere loads the new role or disabled state.
      await this.principals.announce(userId);
    });
    this.events.on('user.deleted', async ({ userId }) => {
      // Revoked in the database first, so a lookup racing the deletion caches them as revoked.
      await this.sessions.revokeAll(userId, 'account-deleted');
      await this.apiKeys.revokeAll(userId);
    });
    this.exports.register('sessions', async (userId) =>
      (await this.sessions.listForExport(userId)).map((session) => ({ ...session, device: describeDevice(session.userAgent) })),
    );
    this.exports.register('apiKeys', async (userId) =>
      (await this.apiKeys.listForExport(userId)).map((row) => ({
        ...ApiKeyDto.from(row),
        revokedAt: row.revokedAt?.toISOString() ?? null,
      })),
    );
  }
}

/** ADMIN_EMAIL + ADMIN_PASSWORD: create that admin on start, or promote the existing account. */
@Injectable()
class BootstrapAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.auth.bootstrapAdmin;
    if (!admin) return;
    const existing = await this.users.findByEmail(admin.email);
    if (existing) {
      if (existing.role === 'admin') return;
      // Only the holder of the account's password may turn it into an admin: someone who
      // registered the address first must not inherit admin rights from the environment.
      if (!(await this.credentials.passwordMatches(existing, admin.password))) {
        this.logger.error(`ADMIN_EMAIL ${admin.email} belongs to an account whose password is not ADMIN_PASSWORD; not promoted`);
        return;
      }
      await this.users.setRole(existing.id, 'admin');
      if (!existing.emailVerifiedAt) await this.users.markEmailVerified(existing.id);
      this.logger.log(`Promoted ${admin.email} to admin`);
      return;
    }
    const passwordHash = await this.credentials.hashPassword(admin.password);
    await this.users.create({ email: admin.email, passwordHash, role: 'admin', verified: true });
    this.logger.log(`Created the admin account ${admin.email}`);
  }
}

@Module({
  imports: [UsersModule],
  controllers: [
    AuthController,
    VerificationController,
    SessionsController,
    MfaController,
    ApiKeysController,
    EmailCodeController,
    ...PROVIDER_SIGN_IN_CONTROLLERS,
  ],
  providers: [
    SessionsRepository,
    SessionsService,
    ApiKeysRepository,
    ApiKeysService,
    LoginFailuresRepository,
    LockoutService,
    LoginService,
    RegistrationService,
    RegistrationJobs,
    RefreshCookie,
    TokenResponse,
    AccountEventHandlers,
    BootstrapAdmin,
    AuthHousekeeping,
    SignInCodes,
    EmailCodeJobs,
    EmailCodeService,
    ...PROVIDER_SIGN_IN_PROVIDERS,
    { provide: PrincipalResolver, useClass: AuthPrincipalResolver },
  ],
  // The admin surface shows a user's live sessions and identities, and manages providers.
  exports: [SessionsService, ...PROVIDER_SIGN_IN_EXPORTS],
})
export class AuthModule {}
