import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DataModule } from '../data/data.module';
import { UsersModule } from '../users/users.module';
import { BackupEngine } from '@backlot/backup';
import { AdminAuditInterceptor } from './admin-audit.interceptor';
import { AdminAuditController } from './audit/admin-audit.controller';
import { AdminCacheController } from './cache/admin-cache.controller';
import { AdminJobsController } from './jobs/admin-jobs.controller';
import { AdminSettingsController } from './settings/admin-settings.controller';
import { AdminStatsController } from './stats/admin-stats.controller';
import { AdminStatsRepository } from './stats/admin-stats.repository';
import { AdminStatsService } from './stats/admin-stats.service';
import { AdminUsersController } from './users/admin-users.controller';
import { AdminUserLookupService } from './users/admin-user-lookup.service';
import { BackupLocksRepository } from './backups/backup-locks.repository';
import { BackupSchedule } from './backups/backup-schedule';
import { BackupsController } from './backups/backups.controller';
import { BackupsService } from './backups/backups.service';
import { AdminIdentitiesController, AdminSignInController } from './sign-in/admin-sign-in.controller';
import { AdminWebhooksController } from './webhooks/admin-webhooks.controller';

/** The operators' surface under /api/v1/admin: users, audit log, stats, cache, jobs, settings, backups, webhooks, sign-in providers. */
@Module({
  imports: [UsersModule, DataModule, AuthModule],
  controllers: [
    BackupsController,
    AdminUsersController,
    AdminAuditController,
    AdminStatsController,
    AdminCacheController,
    AdminJobsController,
    AdminSettingsController,
    AdminWebhooksController,
    AdminSignInController,
    AdminIdentitiesController,
  ],
  providers: [
    BackupEngine,
    BackupLocksRepository,
    BackupsService,
    BackupSchedule,
    AdminAuditInterceptor,
    AdminUserLookupService,
    AdminStatsRepository,
    AdminStatsService,
  ],
})
export class AdminModule {}
