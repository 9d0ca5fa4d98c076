export * from './storage';
export * from './local-storage';
export * from './storage.module';
export * from './local-dir-peers';
export * from './create-storage';
// Types only: the driver itself is loaded by s3Storage() when used.
export type { S3Storage, S3StorageOptions } from './s3-storage';
