import type { AppConfig } from '@backlot/config';
import type { SettingDto, SettingsDto, SettingsGroupDto, SettingValue } from './dto/settings.dto';

/** What a secret that is set looks like in the view. */
export const MASK = '********';

/** A setting shown as it is: only what is listed here ever leaves the process (an allow-list). */
const plain = (key: string, env: string | null, value: SettingValue | undefined): SettingDto => ({
  key,
  env,
  value: value ?? null,
  secret: false,
});

/** A secret: whether it is set, never what it is. */
const secret = (key: string, env: string | null, value: unknown): SettingDto => ({
  key,
  env,
  value: value === undefined || value === null || value === '' ? null : MASK,
  secret: true,
});

/** A URL that may carry credentials: the password (and any query value) is masked, the rest kept. */
const url = (key: string, env: string, value: string | undefined): SettingDto => {
  if (!value) return plain(key, env, null);
  try {
    const parsed = new URL(value);
    const hidden = parsed.password !== '' || parsed.search !== '';
    if (parsed.password) parsed.password = MASK;
    for (const name of [...parsed.searchParams.keys()]) parsed.searchParams.set(name, MASK);
    return { key, env, value: parsed.toString().replaceAll(encodeURIComponent(MASK), MASK), secret: hidden };
  } catch {
    return secret(key, env, value);
  }
};

const group = (name: string, label: string, settings: SettingDto[]): SettingsGroupDto => ({ name, label, settings });

const schedule = (cron: string | null) => cron ?? 'off';

/**
 * The effective configuration for the admin settings page, grouped. Built from an explicit list of
 * settings (a new config field stays out until someone adds it here and decides whether it is
 * secret); then, as a second line of defence, any plain value that contains a secret is masked too.
 */
export function settingsView(config: AppConfig): SettingsDto {
  const { auth, database, storage, signInProviders: sign, observability: obs } = config;
  const groups = [
    group('server', 'Server', [
      plain('env', 'NODE_ENV', config.env),
      plain('version', null, config.version),
      plain('host', 'HOST', config.http.host),
      plain('port', 'PORT', config.http.port),
      plain('bodyLimitBytes', 'BODY_LIMIT_BYTES', config.http.bodyLimitBytes),
      plain('corsOrigins', 'CORS_ORIGINS', config.http.corsOrigins),
      plain('trustProxy', 'TRUST_PROXY', Array.isArray(config.http.trustProxy) ? config.http.trustProxy : String(config.http.trustProxy)),
      plain('shutdownTimeoutMs', 'SHUTDOWN_TIMEOUT_MS', config.http.shutdownTimeoutMs),
      plain('dataDir', 'DATA_DIR', config.dataDir),
      plain('consoleDir', 'CONSOLE_DIR', config.consoleDir),
    ]),
    group(
      'database',
      'Database',
      database.kind === 'embedded'
        ? [
            plain('kind', null, database.kind),
            plain('dataDir', 'PGLITE_DATA_DIR', database.dataDir),
            plain('sharedBuffersMb', 'PGLITE_SHARED_BUFFERS_MB', database.sharedBuffersMb),
          ]
        : [
            plain('kind', null, database.kind),
            url('url', 'DATABASE_URL', database.url),
            plain('poolMax', 'DATABASE_POOL_MAX', database.poolMax),
            plain('poolIdleTimeoutMs', 'DATABASE_POOL_IDLE_TIMEOUT_MS', database.poolIdleTimeoutMs),
            plain('connectTimeoutMs', 'DATABASE_CONNECT_TIMEOUT_MS', database.connectTimeoutMs),
            plain('statementTimeoutMs', 'DATABASE_STATEMENT_TIMEOUT_MS', database.statementTimeoutMs),
            plain('preparedStatements', 'DATABASE_PREPARED_STATEMENTS', database.preparedStatements),
            plain('randomPageCost', 'DATABASE_RANDOM_PAGE_COST', database.randomPageCost),
            plain('migrateOnStart', 'MIGRATE_ON_START', database.migrateOnStart),
          ],
    ),
    group('cache', 'Cache', [
      plain('store', null, config.cache.redisUrl ? 'redis' : 'memory'),
      url('redisUrl', 'REDIS_URL', config.cache.redisUrl),
      plain('keyPrefix', 'REDIS_KEY_PREFIX', config.cache.keyPrefix),
      plain('ttlSeconds', 'CACHE_TTL_SECONDS', config.cache.ttlSeconds),
      plain('memoryMaxItems', 'CACHE_MEMORY_MAX_ITEMS', config.cache.memoryMaxItems),
    ]),
    group('auth', 'Sign-in and tokens', [
      secret('jwtSecret', 'JWT_SECRET', auth.jwtSecret),
      plain('previousJwtSecrets', 'JWT_PREVIOUS_SECRETS', `${auth.previousJwtSecrets.length} kept for verification`),
      secret('encryptionKey', 'ENCRYPTION_KEY', auth.encryptionKey),
      plain('previousEncryptionKeys', 'ENCRYPTION_PREVIOUS_KEYS', `${auth.previousEncryptionKeys.length} kept for decryption`),
      plain('secretsSource', null, auth.source),
      plain('issuer', 'JWT_ISSUER', auth.issuer),
      plain('audience', 'JWT_AUDIENCE', auth.audience),
      plain('accessTokenTtlSeconds', 'ACCESS_TOKEN_TTL_SECONDS', auth.accessTokenTtlSeconds),
      plain('refreshTokenTtlDays', 'REFRESH_TOKEN_TTL_DAYS', auth.refreshTokenTtlDays),
      plain('refreshReuseGraceSeconds', 'REFRESH_REUSE_GRACE_SECONDS', auth.refreshReuseGraceSeconds),
      plain('sessionCacheTtlSeconds', 'SESSION_CACHE_TTL_SECONDS', auth.sessionCacheTtlSeconds),
      plain('cookieSameSite', 'AUTH_COOKIE_SAMESITE', auth.cookie.sameSite),
      plain('cookieSecure', 'AUTH_COOKIE_SECURE', auth.cookie.secure),
      plain('requireEmailVerification', 'AUTH_REQUIRE_EMAIL_VERIFICATION', auth.requireEmailVerification),
      plain('mfaChallengeTtlSeconds', 'MFA_CHALLENGE_TTL_SECONDS', auth.mfaChallengeTtlSeconds),
      plain('emailVerificationTtlHours', 'EMAIL_VERIFICATION_TTL_HOURS', auth.emailVerificationTtlHours),
      plain('passwordResetTtlMinutes', 'PASSWORD_RESET_TTL_MINUTES', auth.passwordResetTtlMinutes),
      plain('emailCodes', 'AUTH_EMAIL_CODES', auth.emailCodes.enabled),
      plain('emailCodeTtlMinutes', 'EMAIL_CODE_TTL_MINUTES', auth.emailCodes.ttlMinutes),
      plain('appUrl', 'APP_URL', auth.appUrl),
      plain('bootstrapAdminEmail', 'ADMIN_EMAIL', auth.bootstrapAdmin?.email),
      secret('bootstrapAdminPassword', 'ADMIN_PASSWORD', auth.bootstrapAdmin?.password),
    ]),
    group('signIn', 'Sign-in providers (from the environment)', [
      plain(
        'providers',
        'AUTH_PROVIDERS',
        sign.providers.map((provider) => provider.name),
      ),
      ...sign.providers.flatMap((provider) => {
        const prefix = `AUTH_${provider.name.toUpperCase().replace(/-/g, '_')}_`;
        return [
          plain(`${provider.name}.preset`, `${prefix}PRESET`, provider.preset),
          plain(`${provider.name}.issuer`, `${prefix}ISSUER`, provider.issuer),
          plain(`${provider.name}.clientId`, `${prefix}CLIENT_ID`, provider.clientId),
          secret(
            `${provider.name}.clientSecret`,
            provider.preset === 'apple' ? `${prefix}PRIVATE_KEY` : `${prefix}CLIENT_SECRET`,
            provider.clientSecret,
          ),
          plain(`${provider.name}.scopes`, `${prefix}SCOPES`, provider.scopes),
        ];
      }),
      plain('redirectUrls', 'OAUTH_REDIRECT_URLS', sign.redirectUrls),
      plain('publicUrl', 'PUBLIC_URL', sign.publicUrl),
      plain('linkVerifiedEmails', 'AUTH_LINK_VERIFIED_EMAILS', sign.linkVerifiedEmails),
      plain('timeoutMs', 'AUTH_PROVIDER_TIMEOUT_MS', sign.timeoutMs),
      plain('flowTtlSeconds', 'AUTH_PROVIDER_FLOW_TTL_SECONDS', sign.flowTtlSeconds),
    ]),
    group('rateLimits', 'Rate limits and lockout', [
      plain('max', 'RATE_LIMIT_MAX', config.rateLimit.max),
      plain('ttlSeconds', 'RATE_LIMIT_TTL_SECONDS', config.rateLimit.ttlSeconds),
      plain('authMax', 'AUTH_RATE_LIMIT_MAX', auth.rateLimit.max),
      plain('authTtlSeconds', 'AUTH_RATE_LIMIT_TTL_SECONDS', auth.rateLimit.ttlSeconds),
      plain('loginMaxFailures', 'LOGIN_MAX_FAILURES', auth.lockout.maxFailures),
      plain('loginLockoutSeconds', 'LOGIN_LOCKOUT_SECONDS', auth.lockout.lockSeconds),
      plain('mailRecipientLimit', 'MAIL_RECIPIENT_LIMIT', config.mail.recipientLimit.max),
      plain('mailRecipientWindowSeconds', 'MAIL_RECIPIENT_WINDOW_SECONDS', config.mail.recipientLimit.windowSeconds),
    ]),
    group('storage', 'File storage', [
      plain('driver', 'STORAGE_DRIVER', storage.driver),
      plain('localDir', 'STORAGE_LOCAL_DIR', storage.driver === 'local' ? storage.localDir : null),
      plain('maxFileBytes', 'STORAGE_MAX_FILE_BYTES', storage.maxFileBytes),
      ...(storage.s3
        ? [
            plain('s3Bucket', 'STORAGE_S3_BUCKET', storage.s3.bucket),
            url('s3Endpoint', 'STORAGE_S3_ENDPOINT', storage.s3.endpoint),
            plain('s3Region', 'STORAGE_S3_REGION', storage.s3.region),
            secret('s3AccessKeyId', 'STORAGE_S3_ACCESS_KEY_ID', storage.s3.credentials?.accessKeyId),
            secret('s3SecretAccessKey', 'STORAGE_S3_SECRET_ACCESS_KEY', storage.s3.credentials?.secretAccessKey),
            plain('s3ForcePathStyle', 'STORAGE_S3_FORCE_PATH_STYLE', storage.s3.forcePathStyle),
            plain('s3Prefix', 'STORAGE_S3_PREFIX', storage.s3.prefix),
            plain('s3PresignedDownloads', 'STORAGE_S3_PRESIGNED_DOWNLOADS', storage.s3.presignedDownloads),
            plain('s3PresignSeconds', 'STORAGE_S3_PRESIGN_SECONDS', storage.s3.presignSeconds),
          ]
        : []),
      plain('userQuotaBytes', 'FILES_USER_QUOTA_BYTES', config.files.userQuotaBytes),
      plain('maxPerRequest', 'FILES_MAX_PER_REQUEST', config.files.maxPerRequest),
      plain('tokenTtlSeconds', 'FILES_TOKEN_TTL_SECONDS', config.files.tokenTtlSeconds),
      plain('tusDir', 'TUS_DIR', config.files.tusDir),
      plain('thumbsConcurrency', 'THUMBS_CONCURRENCY', config.thumbs.concurrency),
      plain('thumbsMaxInputPixels', 'THUMBS_MAX_INPUT_PIXELS', config.thumbs.maxInputPixels),
    ]),
    group('mail', 'Mail', [url('smtpUrl', 'SMTP_URL', config.mail.smtpUrl), plain('from', 'MAIL_FROM', config.mail.from)]),
    group('data', 'Data', [
      plain('idempotencyTtlSeconds', 'IDEMPOTENCY_TTL_SECONDS', config.data.idempotencyTtlSeconds),
      plain('importMaxBytes', 'IMPORT_MAX_BYTES', config.data.importMaxBytes),
      plain('batchMaxOperations', 'BATCH_MAX_OPERATIONS', config.data.batchMaxOperations),
      plain('importAtomicMaxRecords', 'IMPORT_ATOMIC_MAX_RECORDS', config.data.importAtomicMaxRecords),
    ]),
    group('jobs', 'Jobs and schedules', [
      plain('worker', 'JOBS_WORKER', config.jobs.worker),
      plain('concurrency', 'JOBS_CONCURRENCY', config.jobs.concurrency),
      plain('maxAttempts', 'JOBS_MAX_ATTEMPTS', config.jobs.maxAttempts),
      plain('backoffSeconds', 'JOBS_BACKOFF_SECONDS', config.jobs.backoffSeconds),
      plain('retentionDays', 'JOBS_RETENTION_DAYS', config.jobs.retentionDays),
      plain('cleanupSchedule', 'CLEANUP_SCHEDULE', schedule(config.jobs.cleanupSchedule)),
      plain('backupDir', 'BACKUP_DIR', config.backup.dir),
      plain('backupSchedule', 'BACKUP_SCHEDULE', schedule(config.backup.schedule)),
      plain('backupKeep', 'BACKUP_KEEP', config.backup.keep),
      plain('auditRetentionDays', 'AUDIT_RETENTION_DAYS', config.audit.retentionDays),
      plain('auditRetentionSchedule', 'AUDIT_RETENTION_SCHEDULE', schedule(config.audit.retentionSchedule)),
    ]),
    group('realtime', 'Realtime and webhooks', [
      plain('heartbeatSeconds', 'REALTIME_HEARTBEAT_SECONDS', config.realtime.heartbeatSeconds),
      plain('maxConnectionsPerUser', 'REALTIME_MAX_CONNECTIONS_PER_USER', config.realtime.maxConnectionsPerUser),
      plain('maxConnections', 'REALTIME_MAX_CONNECTIONS', config.realtime.maxConnections),
      plain('webhookAllowedHosts', 'WEBHOOK_ALLOWED_HOSTS', config.webhooks.allowedHosts),
      plain('webhookTimeoutMs', 'WEBHOOK_TIMEOUT_MS', config.webhooks.timeoutMs),
      plain('webhookMaxAttempts', 'WEBHOOK_MAX_ATTEMPTS', config.webhooks.maxAttempts),
      plain('webhookDisableAfterFailures', 'WEBHOOK_DISABLE_AFTER_FAILURES', config.webhooks.disableAfterFailures),
    ]),
    group('observability', 'Logs and metrics', [
      plain('logLevel', 'LOG_LEVEL', obs.logLevel),
      plain('metricsEnabled', 'METRICS_ENABLED', obs.metricsEnabled),
      secret('metricsToken', 'METRICS_TOKEN', obs.metricsToken),
      plain('metricsListener', 'METRICS_PORT', obs.metricsListener ? `${obs.metricsListener.host}:${obs.metricsListener.port}` : null),
    ]),
  ];
  return { groups: maskLeaks(groups, secretsOf(config)) };
}

/** Every secret value the configuration holds, for the second line of defence. */
function secretsOf(config: AppConfig): string[] {
  const { auth, storage, database } = config;
  const passwordOf = (value: string | undefined) => {
    try {
      return value ? decodeURIComponent(new URL(value).password) : undefined;
    } catch {
      return value;
    }
  };
  return [
    auth.jwtSecret,
    ...auth.previousJwtSecrets,
    auth.encryptionKey,
    ...auth.previousEncryptionKeys,
    auth.bootstrapAdmin?.password,
    storage.s3?.credentials?.accessKeyId,
    storage.s3?.credentials?.secretAccessKey,
    config.observability.metricsToken,
    ...config.signInProviders.providers.map((provider) => provider.clientSecret),
    passwordOf(database.kind === 'postgres' ? database.url : undefined),
    passwordOf(config.cache.redisUrl),
    passwordOf(config.mail.smtpUrl),
  ].filter((value): value is string => typeof value === 'string' && value.length >= 4);
}

function maskLeaks(groups: SettingsGroupDto[], secrets: string[]): SettingsGroupDto[] {
  const leaks = (text: string) => secrets.some((value) => text.includes(value));
  return groups.map((each) => ({
    ...each,
    settings: each.settings.map((setting) => {
      const { value } = setting;
      const texts = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
      return texts.some(leaks) ? { ...setting, value: MASK, secret: true } : setting;
    }),
  }));
}
