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
      handler: async (_payload, { signal }) => {
        await this.backups.createScheduled(signal);
      },
      maxAttempts: 3,
      // Backups run at about 30,000 records/s here: a run past two hours is stuck, and is stopped. It is also the
      // lease, so a backup whose instance died is taken over this long after its last heartbeat.
      timeoutSeconds: 2 * 3_600,
    });
    this.queue.schedule(SCHEDULED_BACKUP_JOB, this.config.backup.schedule);
  }
}
