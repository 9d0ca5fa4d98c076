import { Global, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { JobQueue } from './job-queue';
import { JobWorker } from './job-worker';
import { JobsRepository } from './jobs.repository';

/** The durable job queue and this instance's worker; every module may define and enqueue jobs. */
@Global()
@Module({ providers: [JobsRepository, JobQueue, JobWorker], exports: [JobQueue] })
export class JobsModule implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly jobs: JobsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Completed jobs are kept a while for inspection; failed ones stay until an admin retries or discards them. */
  onModuleInit(): void {
    this.queue.define({
      name: 'jobs.purge-completed',
      handler: async () => {
        await this.jobs.purgeCompleted(new Date(Date.now() - this.config.jobs.retentionDays * 86_400_000));
      },
    });
    this.queue.schedule('jobs.purge-completed', this.config.jobs.cleanupSchedule);
  }
}
