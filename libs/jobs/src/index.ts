export * from './job-queue';
export * from './job.types';
export * from './jobs.module';
