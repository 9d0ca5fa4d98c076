import type { StorageConfig } from '@backlot/config';
import { LocalStorage } from './local-storage';
import { S3Storage } from './s3-storage';
import type { Storage } from './storage';

/** The Storage STORAGE_DRIVER names: the server's StorageModule and the CLI (backups, restores) both build it here. */
export function createStorage(config: StorageConfig): Storage {
  if (config.driver === 'local') return new LocalStorage(config.localDir);
  if (!config.s3) throw new Error('STORAGE_DRIVER=s3 without S3 settings');
  return new S3Storage(config.s3);
}
