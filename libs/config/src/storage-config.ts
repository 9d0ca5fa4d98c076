import { join, resolve } from 'node:path';
import type { S3StorageConfig, StorageConfig } from './config.types';
import type { EnvReader } from './env-reader';

/** Where file bytes go: a local directory (default) or an S3-compatible bucket (STORAGE_DRIVER=s3). */
export function readStorage(read: EnvReader, dataDir: string): StorageConfig {
  const driver = read.oneOf('STORAGE_DRIVER', ['local', 's3'] as const, 'local');
  return {
    driver,
    localDir: resolve(read.string('STORAGE_LOCAL_DIR', join(dataDir, 'storage'))),
    maxFileBytes: read.int('STORAGE_MAX_FILE_BYTES', 100 * 1024 * 1024, { min: 1_024, max: 5 * 1024 ** 4 }),
    s3: driver === 's3' ? readS3(read) : undefined,
  };
}

// Bucket names as S3 allows them (3–63 characters, lowercase, digits, dots, hyphens); other
// services accept a little more, but a name outside this would not move to S3 anyway.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function readS3(read: EnvReader): S3StorageConfig {
  const bucket = read.raw('STORAGE_S3_BUCKET') ?? '';
  if (!bucket) read.fail('STORAGE_S3_BUCKET', 'is required with STORAGE_DRIVER=s3 (the bucket that holds file bytes)');
  else if (!BUCKET.test(bucket)) read.fail('STORAGE_S3_BUCKET', `"${bucket}" is not a bucket name (3–63 of a-z, 0-9, dots, hyphens)`);
  const accessKeyId = read.raw('STORAGE_S3_ACCESS_KEY_ID');
  const secretAccessKey = read.raw('STORAGE_S3_SECRET_ACCESS_KEY');
  // One without the other is a typo, not a choice: the default chain would silently be used instead.
  if (accessKeyId && !secretAccessKey) read.fail('STORAGE_S3_SECRET_ACCESS_KEY', 'is required when STORAGE_S3_ACCESS_KEY_ID is set');
  if (secretAccessKey && !accessKeyId) read.fail('STORAGE_S3_ACCESS_KEY_ID', 'is required when STORAGE_S3_SECRET_ACCESS_KEY is set');
  const prefix = read.string('STORAGE_S3_PREFIX', '');
  if (/[^A-Za-z0-9!_.*'()/-]/.test(prefix) || prefix.split('/').includes('..'))
    read.fail('STORAGE_S3_PREFIX', 'may hold only letters, digits, / and !_.*\'()- (no "..")');
  return {
    bucket,
    endpoint: read.url('STORAGE_S3_ENDPOINT', ['http:', 'https:']),
    region: read.string('STORAGE_S3_REGION', 'us-east-1'),
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    forcePathStyle: read.bool('STORAGE_S3_FORCE_PATH_STYLE', false),
    prefix: normalizeKeyPrefix(prefix),
    presignedDownloads: read.bool('STORAGE_S3_PRESIGNED_DOWNLOADS', false),
    presignSeconds: read.int('STORAGE_S3_PRESIGN_SECONDS', 300, { min: 1, max: 604_800 }),
  };
}

/** `/a//b` → `a/b/`; nothing → `''`: keys are then `<prefix><collection>/<record>/<name>`. */
function normalizeKeyPrefix(raw: string): string {
  const parts = raw.split('/').filter(Boolean);
  return parts.length ? `${parts.join('/')}/` : '';
}
