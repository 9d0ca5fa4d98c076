export * from './job-queue';
export * from './job.types';
export * from './jobs.module';
export * from './retry-at';
