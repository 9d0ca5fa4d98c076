import { randomBytes } from 'node:crypto';
import { loadConfig } from '@backlot/config';
import { MASK, settingsView } from './settings-view';

const key = () => randomBytes(32).toString('base64');
const token = (label: string) => `${label}-${randomBytes(24).toString('hex')}`;

/** Every secret the environment can hold, each a value that would be easy to spot in the view. */
const SECRETS = {
  JWT_SECRET: token('jwt'),
  JWT_PREVIOUS_SECRETS: `${token('jwt-old-1')},${token('jwt-old-2')}`,
  ENCRYPTION_KEY: key(),
  ENCRYPTION_PREVIOUS_KEYS: key(),
  ADMIN_PASSWORD: token('admin-password'),
  METRICS_TOKEN: token('metrics'),
  STORAGE_S3_ACCESS_KEY_ID: token('s3-access'),
  STORAGE_S3_SECRET_ACCESS_KEY: token('s3-secret'),
  AUTH_GITHUB_CLIENT_SECRET: token('github-secret'),
  AUTH_CORP_CLIENT_SECRET: token('corp-secret'),
};
const DATABASE_PASSWORD = token('db-password');
const REDIS_PASSWORD = token('redis-password');
const SMTP_PASSWORD = token('smtp-password');

const ENV = {
  NODE_ENV: 'test',
  DATA_DIR: '/tmp/backlot-settings-view',
  ...SECRETS,
  ADMIN_EMAIL: 'root@example.test',
  DATABASE_URL: `postgres://backlot:${DATABASE_PASSWORD}@db.internal:5432/backlot?sslpassword=${SMTP_PASSWORD}x`,
  REDIS_URL: `redis://:${REDIS_PASSWORD}@cache.internal:6379/0`,
  SMTP_URL: `smtps://mailer:${encodeURIComponent(SMTP_PASSWORD)}@smtp.example.test:465`,
  STORAGE_DRIVER: 's3',
  STORAGE_S3_BUCKET: 'backlot-files',
  AUTH_PROVIDERS: 'github,corp',
  AUTH_GITHUB_CLIENT_ID: 'github-client',
  AUTH_CORP_CLIENT_ID: 'corp-client',
  AUTH_CORP_ISSUER: 'https://id.example.test',
};

describe('settingsView', () => {
  const view = settingsView(loadConfig(ENV));
  const body = JSON.stringify(view);
  const setting = (group: string, name: string) =>
    view.groups.find((each) => each.name === group)?.settings.find((each) => each.key === name);

  it('never carries a secret value, whatever the variable', () => {
    const planted = [
      ...Object.values(SECRETS).flatMap((value) => value.split(',')),
      DATABASE_PASSWORD,
      REDIS_PASSWORD,
      SMTP_PASSWORD,
      encodeURIComponent(SMTP_PASSWORD),
    ];
    for (const value of planted) expect({ value, found: body.includes(value) }).toEqual({ value, found: false });
  });

  it('masks secrets that are set and says null for those that are not', () => {
    expect(setting('auth', 'jwtSecret')).toEqual({ key: 'jwtSecret', env: 'JWT_SECRET', value: MASK, secret: true });
    expect(setting('storage', 's3SecretAccessKey')?.value).toBe(MASK);
    expect(setting('signIn', 'github.clientSecret')?.value).toBe(MASK);
    expect(setting('signIn', 'github.clientId')?.value).toBe('github-client');
    const bare = settingsView(loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/backlot-settings-view' }));
    const metrics = bare.groups.find((each) => each.name === 'observability')?.settings.find((each) => each.key === 'metricsToken');
    expect(metrics).toMatchObject({ value: null, secret: true });
  });

  it('keeps what an operator needs from a URL: scheme, user, host, port and database, not the password or query values', () => {
    expect(setting('database', 'url')).toMatchObject({
      value: `postgres://backlot:${MASK}@db.internal:5432/backlot?sslpassword=${MASK}`,
      secret: true,
    });
    expect(setting('cache', 'redisUrl')?.value).toBe(`redis://:${MASK}@cache.internal:6379/0`);
    expect(setting('mail', 'smtpUrl')?.value).toBe(`smtps://mailer:${MASK}@smtp.example.test:465`);
    expect(setting('cache', 'store')?.value).toBe('redis');
  });

  it('groups the settings an operator looks for', () => {
    expect(view.groups.map((each) => each.name)).toEqual(
      expect.arrayContaining(['server', 'database', 'cache', 'auth', 'signIn', 'rateLimits', 'storage', 'mail', 'jobs', 'observability']),
    );
    expect(setting('auth', 'accessTokenTtlSeconds')).toMatchObject({ env: 'ACCESS_TOKEN_TTL_SECONDS', value: 900, secret: false });
    expect(setting('database', 'kind')?.value).toBe('postgres');
    expect(setting('storage', 'driver')?.value).toBe('s3');
  });
});
