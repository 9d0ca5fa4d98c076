import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { AccessGuard } from './access/access.guard';
import { AccessTokens } from './access/access-tokens';
import { JwtStrategy } from './access/jwt.strategy';
import { PrincipalChanges } from './access/principal-changes';
import { VerifiedTokens } from './access/verified-tokens';
import { AuditRepository } from './audit/audit.repository';
import { AuditRetention } from './audit/audit-retention';
import { AuditService } from './audit/audit.service';
import { FieldEncryption, PasswordHasher, SealedJobs } from './crypto';
import { OneTimeTokensRepository } from './tokens/one-time-tokens.repository';
import { OneTimeTokens } from './tokens/one-time-tokens.service';

/**
 * Authentication and the primitives every domain uses: the deny-by-default access guard,
 * access tokens, password hashing, field encryption (of columns and of queued jobs), one-time
 * tokens, the audit log and the cross-instance notice that a principal's access changed.
 * The app provides a PrincipalResolver (the auth module) that the guard consults.
 */
@Global()
@Module({
  imports: [PassportModule],
  providers: [
    { provide: APP_GUARD, useClass: AccessGuard },
    AccessTokens,
    JwtStrategy,
    { provide: VerifiedTokens, useFactory: () => new VerifiedTokens() },
    PasswordHasher,
    {
      provide: FieldEncryption,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new FieldEncryption({ current: config.auth.encryptionKey, previous: config.auth.previousEncryptionKeys }),
    },
    SealedJobs,
    AuditRepository,
    AuditService,
    AuditRetention,
    OneTimeTokensRepository,
    OneTimeTokens,
    PrincipalChanges,
  ],
  exports: [AccessTokens, PasswordHasher, FieldEncryption, SealedJobs, AuditService, OneTimeTokens, PrincipalChanges],
})
export class SecurityModule {}
