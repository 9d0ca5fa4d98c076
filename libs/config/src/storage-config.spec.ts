import { problemsOf } from '@backlot/testing/config-problems';
import { loadConfig } from './load-config';

describe('file storage (loadConfig)', () => {
  it('reads the S3 driver settings, with the SDK default credentials when no keys are set', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      STORAGE_DRIVER: 's3',
      STORAGE_S3_BUCKET: 'backlot-files',
      STORAGE_S3_PREFIX: '/prod//eu/',
    });
    expect(config.storage.driver).toBe('s3');
    expect(config.storage.s3).toEqual({
      bucket: 'backlot-files',
      endpoint: undefined,
      region: 'us-east-1',
      credentials: undefined,
      forcePathStyle: false,
      prefix: 'prod/eu/',
      presignedDownloads: false,
      presignSeconds: 300,
    });
  });

  it('reads an S3-compatible service with static keys, path-style addressing and presigned downloads', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      STORAGE_DRIVER: 's3',
      STORAGE_S3_BUCKET: 'files',
      STORAGE_S3_ENDPOINT: 'http://minio:9000',
      STORAGE_S3_REGION: 'eu-west-3',
      STORAGE_S3_ACCESS_KEY_ID: 'backlot',
      STORAGE_S3_SECRET_ACCESS_KEY: 'a-secret-that-stays-secret',
      STORAGE_S3_FORCE_PATH_STYLE: 'true',
      STORAGE_S3_PRESIGNED_DOWNLOADS: 'true',
      STORAGE_S3_PRESIGN_SECONDS: '60',
    });
    expect(config.storage.s3).toMatchObject({
      endpoint: 'http://minio:9000',
      region: 'eu-west-3',
      credentials: { accessKeyId: 'backlot', secretAccessKey: 'a-secret-that-stays-secret' },
      forcePathStyle: true,
      prefix: '',
      presignedDownloads: true,
      presignSeconds: 60,
    });
  });

  it('refuses the S3 driver without a bucket, and half a key pair, never echoing the secret', () => {
    const problems = problemsOf({
      NODE_ENV: 'test',
      STORAGE_DRIVER: 's3',
      STORAGE_S3_SECRET_ACCESS_KEY: 'a-secret-that-stays-secret',
      STORAGE_S3_ENDPOINT: 'minio:9000',
      STORAGE_S3_PRESIGN_SECONDS: '0',
    });
    expect(problems).toEqual([
      'STORAGE_S3_BUCKET: is required with STORAGE_DRIVER=s3 (the bucket that holds file bytes)',
      'STORAGE_S3_ACCESS_KEY_ID: is required when STORAGE_S3_SECRET_ACCESS_KEY is set',
      expect.stringMatching(/^STORAGE_S3_ENDPOINT: must start with http:\/\/ or https:\/\//),
      expect.stringMatching(/^STORAGE_S3_PRESIGN_SECONDS: must be an integer from 1/),
    ]);
    expect(problems.join('\n')).not.toContain('a-secret-that-stays-secret');
  });

  it('refuses an unknown driver, a bad bucket name and a prefix that climbs', () => {
    expect(problemsOf({ NODE_ENV: 'test', STORAGE_DRIVER: 'gcs' })).toEqual(['STORAGE_DRIVER: must be one of local, s3 (got "gcs")']);
    expect(problemsOf({ NODE_ENV: 'test', STORAGE_DRIVER: 's3', STORAGE_S3_BUCKET: 'My_Bucket', STORAGE_S3_PREFIX: 'a/../b' })).toEqual([
      expect.stringMatching(/^STORAGE_S3_BUCKET: "My_Bucket" is not a bucket name/),
      expect.stringMatching(/^STORAGE_S3_PREFIX: /),
    ]);
  });

  it('ignores the S3 settings with the local driver', () => {
    expect(loadConfig({ NODE_ENV: 'test', STORAGE_S3_PRESIGN_SECONDS: 'junk' }).storage.s3).toBeUndefined();
  });
});

describe('resumable uploads (loadConfig)', () => {
  it('reads TUS_DIR and TUS_EXPIRY_SECONDS (resumable uploads) and refuses an expiry out of range', () => {
    const defaults = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/srv/backlot' }).files;
    expect([defaults.tusDir, defaults.tusExpirySeconds]).toEqual(['/srv/backlot/uploads', 86_400]);
    const set = loadConfig({ NODE_ENV: 'test', TUS_DIR: '/mnt/shared/tus', TUS_EXPIRY_SECONDS: '3600' }).files;
    expect([set.tusDir, set.tusExpirySeconds]).toEqual(['/mnt/shared/tus', 3_600]);
    expect(problemsOf({ NODE_ENV: 'test', TUS_EXPIRY_SECONDS: '10' })).toEqual([
      'TUS_EXPIRY_SECONDS: must be an integer from 60 to 2592000 (got "10")',
    ]);
  });
});
