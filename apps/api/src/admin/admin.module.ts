import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DataModule } from '../data/data.module';
import { UsersModule } from '../users/users.module';
import { BackupEngine } from '@backlot/backup';
import { AdminAuditInterceptor } from './admin-audit.interceptor';
import { AdminAuditController } from './audit/admin-audit.controller';
import { AdminCacheController } from './cache/admin-cache.controller';
import { AdminJobsController } from './jobs/admin-jobs.controller';
import { AdminStatsController } from './stats/admin-stats.controller';
import { AdminStatsService } from './stats/admin-stats.service';
import { AdminUsersController } from './users/admin-users.controller';
import { AdminUsersService } from './users/admin-users.service';
import { BackupSchedule } from './backups/backup-schedule';
import { BackupsController } from './backups/backups.controller';
import { BackupsService } from './backups/backups.service';
import { AdminWebhooksController } from './webhooks/admin-webhooks.controller';

/** The operators' surface under /api/v1/admin: users, audit log, stats, cache, jobs, backups. */
@Module({
  imports: [UsersModule, DataModule, AuthModule],
  controllers: [
    BackupsController,
    AdminUsersController,
    AdminAuditController,
    AdminStatsController,
    AdminCacheController,
    AdminJobsController,
    AdminWebhooksController,
  ],
  providers: [BackupEngine, BackupsService, BackupSchedule, AdminAuditInterceptor, AdminUsersService, AdminStatsService],
})
export class AdminModule {}
