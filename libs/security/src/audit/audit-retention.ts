import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { JobQueue } from '@backlot/jobs';
import { AuditService } from './audit.service';

export const AUDIT_RETENTION_JOB = 'audit.retention';

/**
 * Deletes audit events older than AUDIT_RETENTION_DAYS (0 keeps them forever) on
 * AUDIT_RETENTION_SCHEDULE, once per slot across all instances, and audits the purge itself.
 */
@Injectable()
export class AuditRetention implements OnModuleInit {
  private readonly retentionDays: number;

  constructor(
    private readonly jobs: JobQueue,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.retentionDays = config.audit.retentionDays;
  }

  onModuleInit(): void {
    this.jobs.define({ name: AUDIT_RETENTION_JOB, handler: (_payload, context) => this.run(context.signal).then(() => undefined) });
    this.jobs.schedule(AUDIT_RETENTION_JOB, this.retentionDays > 0 ? this.config.audit.retentionSchedule : null);
  }

  /** Returns how many events were deleted (null when retention is off). */
  async run(signal?: AbortSignal): Promise<number | null> {
    if (this.retentionDays <= 0) return null;
    const cutoff = new Date(Date.now() - this.retentionDays * 86_400_000);
    const deleted = await this.audit.purgeBefore(cutoff, signal);
    await this.audit.record({
      action: AUDIT_RETENTION_JOB,
      outcome: 'success',
      actor: { type: 'system' },
      details: { deleted, before: cutoff.toISOString(), retentionDays: this.retentionDays },
    });
    return deleted;
  }
}
