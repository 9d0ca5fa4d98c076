import type { StorageConfig } from '@backlot/config';
import { LocalStorage } from './local-storage';
import type { S3Storage, S3StorageOptions } from './s3-storage';
import type { Storage } from './storage';

/** The Storage STORAGE_DRIVER names: the server's StorageModule and the CLI (backups, restores) both build it here. */
export function createStorage(config: StorageConfig): Storage {
  if (config.driver === 'local') return new LocalStorage(config.localDir);
  if (!config.s3) throw new Error('STORAGE_DRIVER=s3 without S3 settings');
  return s3Storage(config.s3);
}

/** The S3 driver. The AWS SDK is loaded here, at its first use: a server on a local directory never pays for its code. */
export function s3Storage(options: S3StorageOptions): S3Storage {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { S3Storage: Driver } = require('./s3-storage') as { S3Storage: typeof S3Storage };
  return new Driver(options);
}
