import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { JobQueue } from '@backlot/jobs';
import { BackupsService } from './backups.service';

export const SCHEDULED_BACKUP_JOB = 'backup.scheduled';

/** BACKUP_SCHEDULE (cron, UTC; `off` to disable): one backup per slot across all instances, pruned to BACKUP_KEEP. */
@Injectable()
export class BackupSchedule implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly backups: BackupsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.queue.define({
      name: SCHEDULED_BACKUP_JOB,
      handler: async () => {
        await this.backups.createScheduled();
      },
      maxAttempts: 3,
      // A large database takes a while; the worker's heartbeats keep the claim alive meanwhile.
      timeoutSeconds: 1_800,
    });
    this.queue.schedule(SCHEDULED_BACKUP_JOB, this.config.backup.schedule);
  }
}
