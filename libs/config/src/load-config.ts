import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import type { LevelWithSilent } from 'pino';
import { CronExpressionParser } from 'cron-parser';
import type { AppConfig, CronSchedule, DatabaseConfig, HttpConfig, NodeEnv, ObservabilityConfig } from './config.types';
import { readStorage } from './storage-config';
import { EnvReader } from './env-reader';
import { packageVersion, projectRoot } from './project-root';
import { readSecrets } from './secrets';
import { readAuthConfig } from './auth-config';
import { readSignInProviders } from './sign-in-providers-config';
import { readThumbs } from './thumbs-config';
import { requireStrong, secretWeakness } from './secret-strength';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const EMBEDDED_IN_MEMORY = 'memory://';
/** The most operations BATCH_MAX_OPERATIONS may allow (and the default on PostgreSQL). */
export const MAX_BATCH_OPERATIONS = 1_000;

/** Validates the whole environment once; throws a ConfigError listing every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const read = new EnvReader(env);
  const nodeEnv = read.oneOf<NodeEnv>('NODE_ENV', ['development', 'production', 'test'], 'development');
  const root = projectRoot();
  const dataDir = absolute(read.string('DATA_DIR', './data'));
  const http = readHttp(read);
  const database = readDatabase(read, dataDir);
  const orphanGraceSeconds = read.int('FILES_ORPHAN_GRACE_SECONDS', 24 * 3_600, { min: 60, max: 30 * 24 * 3_600 });

  const config: AppConfig = {
    env: nodeEnv,
    version: packageVersion(),
    dataDir,
    migrationsDir: absolute(read.string('MIGRATIONS_DIR', join(root, 'prisma', 'migrations'))),
    schemaPath: join(root, 'prisma', 'schema.prisma'),
    consoleDir: absolute(read.string('CONSOLE_DIR', join(root, 'dist', 'console'))),
    http,
    database,
    cache: {
      redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
      keyPrefix: read.string('REDIS_KEY_PREFIX', 'backlot:'),
      ttlSeconds: read.int('CACHE_TTL_SECONDS', 60, { min: 1, max: 86_400 }),
      memoryMaxItems: read.int('CACHE_MEMORY_MAX_ITEMS', 10_000, { min: 100, max: 10_000_000 }),
    },
    rateLimit: {
      ttlSeconds: read.int('RATE_LIMIT_TTL_SECONDS', 60, { min: 1, max: 86_400 }),
      max: read.int('RATE_LIMIT_MAX', 300, { min: 1, max: 1_000_000 }),
    },
    auth: readAuthConfig(read, readSecrets(read, nodeEnv, dataDir), http, nodeEnv),
    signInProviders: readSignInProviders(read, nodeEnv === 'production'),
    data: {
      idempotencyTtlSeconds: read.int('IDEMPOTENCY_TTL_SECONDS', 86_400, { min: 60, max: 30 * 86_400 }),
      importMaxBytes: read.int('IMPORT_MAX_BYTES', 100 * 1024 * 1024, { min: 1024, max: 10 * 1024 * 1024 * 1024 }),
      batchMaxOperations: read.int('BATCH_MAX_OPERATIONS', database.kind === 'embedded' ? 200 : MAX_BATCH_OPERATIONS, {
        min: 1,
        max: MAX_BATCH_OPERATIONS,
      }),
      importAtomicMaxRecords: read.int('IMPORT_ATOMIC_MAX_RECORDS', database.kind === 'embedded' ? 2_000 : 0, { min: 0, max: 100_000_000 }),
    },
    jobs: {
      worker: read.bool('JOBS_WORKER', true),
      concurrency: read.int('JOBS_CONCURRENCY', 4, { min: 1, max: 100 }),
      pollIntervalMs: read.int('JOBS_POLL_INTERVAL_MS', 1_000, { min: 50, max: 60_000 }),
      maxAttempts: read.int('JOBS_MAX_ATTEMPTS', 5, { min: 1, max: 100 }),
      backoffSeconds: read.int('JOBS_BACKOFF_SECONDS', 10, { min: 1, max: 3_600 }),
      retentionDays: read.int('JOBS_RETENTION_DAYS', 7, { min: 1, max: 3_650 }),
      cleanupSchedule: readCron(read, 'CLEANUP_SCHEDULE', '0 * * * *'),
    },
    storage: readStorage(read, dataDir),
    files: {
      userQuotaBytes: read.int('FILES_USER_QUOTA_BYTES', 0, { min: 0, max: 1024 ** 5 }),
      maxPerRequest: read.int('FILES_MAX_PER_REQUEST', 20, { min: 1, max: 1_000 }),
      orphanGraceSeconds,
      uploadTimeoutSeconds: readUploadTimeout(read, orphanGraceSeconds),
      tokenTtlSeconds: read.int('FILES_TOKEN_TTL_SECONDS', 300, { min: 10, max: 24 * 3_600 }),
      tusDir: absolute(read.string('TUS_DIR', join(dataDir, 'uploads'))),
      tusExpirySeconds: read.int('TUS_EXPIRY_SECONDS', 24 * 3_600, { min: 60, max: 30 * 24 * 3_600 }),
    },
    backup: {
      dir: absolute(read.string('BACKUP_DIR', join(dataDir, 'backups'))),
      schedule: readCron(read, 'BACKUP_SCHEDULE', '0 3 * * *'),
      keep: read.int('BACKUP_KEEP', 7, { min: 1, max: 1_000 }),
      includeSessions: read.bool('BACKUP_INCLUDE_SESSIONS', false),
      includeFiles: read.bool('BACKUP_INCLUDE_FILES', true),
    },
    audit: {
      retentionDays: read.int('AUDIT_RETENTION_DAYS', 365, { min: 0, max: 36_500 }),
      retentionSchedule: readCron(read, 'AUDIT_RETENTION_SCHEDULE', '30 2 * * *'),
    },
    realtime: {
      heartbeatSeconds: read.int('REALTIME_HEARTBEAT_SECONDS', 15, { min: 1, max: 3_600 }),
      replaySize: read.int('REALTIME_REPLAY_SIZE', 1_000, { min: 1, max: 1_000_000 }),
      replayMaxBytes: read.int('REALTIME_REPLAY_MAX_BYTES', 16_777_216, { min: 65_536, max: 4_294_967_296 }),
      maxConnectionsPerUser: read.int('REALTIME_MAX_CONNECTIONS_PER_USER', 10, { min: 1, max: 100_000 }),
      maxConnections: read.int('REALTIME_MAX_CONNECTIONS', 10_000, { min: 1, max: 1_000_000 }),
      maxBufferBytes: read.int('REALTIME_MAX_BUFFER_BYTES', 1_048_576, { min: 1_024, max: 1_073_741_824 }),
    },
    thumbs: readThumbs(read),
    webhooks: {
      allowedHosts: readAllowedHosts(read),
      timeoutMs: read.int('WEBHOOK_TIMEOUT_MS', 10_000, { min: 100, max: 120_000 }),
      maxAttempts: read.int('WEBHOOK_MAX_ATTEMPTS', 6, { min: 1, max: 50 }),
      backoffSeconds: read.int('WEBHOOK_BACKOFF_SECONDS', 30, { min: 1, max: 3_600 }),
      disableAfterFailures: read.int('WEBHOOK_DISABLE_AFTER_FAILURES', 10, { min: 1, max: 10_000 }),
      deliveryRetentionDays: read.int('WEBHOOK_DELIVERY_RETENTION_DAYS', 30, { min: 1, max: 3_650 }),
    },
    mail: {
      smtpUrl: read.url('SMTP_URL', ['smtp:', 'smtps:']),
      from: read.string('MAIL_FROM', 'Backlot <no-reply@localhost>'),
      recipientLimit: {
        max: read.int('MAIL_RECIPIENT_LIMIT', 5, { min: 0, max: 10_000 }),
        windowSeconds: read.int('MAIL_RECIPIENT_WINDOW_SECONDS', 3_600, { min: 1, max: 604_800 }),
      },
    },
    observability: readObservability(read, nodeEnv, http),
    warnings: read.warnings,
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

function absolute(path: string): string {
  return path === EMBEDDED_IN_MEMORY || isAbsolute(path) ? path : resolve(process.cwd(), path);
}

/**
 * FILES_UPLOAD_TIMEOUT_SECONDS: one hour by default, never more than half the orphan grace
 * period. The sweep takes pending files, partial files and multipart uploads older than the
 * grace period for abandoned ones; an upload that cannot outlive half of it never is one.
 */
function readUploadTimeout(read: EnvReader, orphanGraceSeconds: number): number {
  const most = Math.floor(orphanGraceSeconds / 2);
  const timeout = read.int('FILES_UPLOAD_TIMEOUT_SECONDS', Math.min(3_600, most), { min: 1, max: 15 * 24 * 3_600 });
  if (timeout <= most) return timeout;
  read.fail(
    'FILES_UPLOAD_TIMEOUT_SECONDS',
    `must be at most half of FILES_ORPHAN_GRACE_SECONDS (${most}), or the files sweep could remove an upload that is still running`,
  );
  return most;
}

/** A cron expression (five fields, or six with seconds; UTC), or `off`. */
function readCron(read: EnvReader, name: string, fallback: string): CronSchedule {
  const value = read.string(name, fallback).trim();
  if (value.toLowerCase() === 'off') return null;
  try {
    CronExpressionParser.parse(value, { tz: 'UTC' });
    const fields = value.split(/\s+/).length;
    if (fields === 5 || fields === 6) return value;
  } catch {
    // reported below
  }
  read.fail(name, `"${value}" is not a cron expression with 5 or 6 fields (or "off")`);
  return null;
}

function readHttp(read: EnvReader): HttpConfig {
  return {
    host: read.string('HOST', '127.0.0.1'),
    port: read.int('PORT', 3000, { min: 0, max: 65_535 }),
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 1_048_576, { min: 1_024, max: 1_073_741_824 }),
    corsOrigins: read.list('CORS_ORIGINS').filter((origin) => {
      const valid = origin === '*' || /^https?:\/\/[^/\s]+$/.test(origin);
      if (!valid) read.fail('CORS_ORIGINS', `"${origin}" is not an origin like https://app.example.com`);
      return valid;
    }),
    trustProxy: readTrustProxy(read),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000, { min: 0, max: 600_000 }),
  };
}

/**
 * Metrics tell an attacker what runs and how busy it is: production serves them behind a token,
 * on a separate listener meant for a private interface, or not at all.
 */
function readObservability(read: EnvReader, env: NodeEnv, http: HttpConfig): ObservabilityConfig {
  const metricsToken = read.optional('METRICS_TOKEN', (v) => (v.length < 16 ? 'must be at least 16 characters' : undefined));
  if (metricsToken) requireStrong(read, env, 'METRICS_TOKEN', secretWeakness(metricsToken));
  const metricsEnabled = read.bool('METRICS_ENABLED', true);
  const port = read.raw('METRICS_PORT') === undefined ? undefined : read.int('METRICS_PORT', 0, { min: 0, max: 65_535 });
  if (port && port === http.port) read.fail('METRICS_PORT', `must differ from PORT (${http.port})`);
  const metricsListener = metricsEnabled && port !== undefined ? { host: read.string('METRICS_HOST', '127.0.0.1'), port } : undefined;
  if (env === 'production' && metricsEnabled && !metricsListener && read.raw('METRICS_TOKEN') === undefined) {
    read.fail(
      'METRICS_TOKEN',
      'is required in production, or /metrics would be public: set it (`openssl rand -base64 48`), or serve metrics on a private ' +
        'listener with METRICS_PORT (METRICS_HOST defaults to 127.0.0.1), or switch them off with METRICS_ENABLED=false',
    );
  }
  return {
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, env === 'test' ? 'silent' : 'info'),
    metricsToken,
    metricsEnabled,
    metricsListener,
  };
}

function readTrustProxy(read: EnvReader): boolean | number | string[] {
  const value = read.raw('TRUST_PROXY')?.toLowerCase();
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return read.list('TRUST_PROXY').filter((entry) => {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    const valid = family !== 0 && validBits && extra === undefined;
    if (!valid) read.fail('TRUST_PROXY', `"${entry}" is not true, false, a hop count, or an IP address/CIDR`);
    return valid;
  });
}

/** Hostnames (exact, case-insensitive), IP addresses and CIDRs that webhook deliveries may reach despite being internal. */
function readAllowedHosts(read: EnvReader): string[] {
  return read.list('WEBHOOK_ALLOWED_HOSTS').flatMap((raw) => {
    const entry = raw.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const validCidr =
      family !== 0 && extra === undefined && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32)));
    const validHost =
      bits === undefined && /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/.test(entry);
    if (validCidr || validHost) return [entry.replace(/\.$/, '')];
    read.fail('WEBHOOK_ALLOWED_HOSTS', `"${raw}" is not a hostname, an IP address or a CIDR`);
    return [];
  });
}

function readDatabase(read: EnvReader, dataDir: string): DatabaseConfig {
  const url = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const migrateOnStart = read.bool('MIGRATE_ON_START', false);
  const pool = {
    poolMax: read.int('DATABASE_POOL_MAX', 10, { min: 2, max: 1_000 }),
    poolIdleTimeoutMs: read.int('DATABASE_POOL_IDLE_TIMEOUT_MS', 10_000, { min: 0, max: 3_600_000 }),
    connectTimeoutMs: read.int('DATABASE_CONNECT_TIMEOUT_MS', 5_000, { min: 100, max: 120_000 }),
    statementTimeoutMs: read.int('DATABASE_STATEMENT_TIMEOUT_MS', 15_000, { min: 100, max: 3_600_000 }),
    preparedStatements: read.bool('DATABASE_PREPARED_STATEMENTS', true),
    randomPageCost: read.decimal('DATABASE_RANDOM_PAGE_COST', 1.1, { min: 0.1, max: 100 }),
  };
  if (read.raw('DATABASE_URL') !== undefined) {
    return { kind: 'postgres', url: url ?? '', migrateOnStart, ...pool };
  }
  const embeddedDir = absolute(read.string('PGLITE_DATA_DIR', join(dataDir, 'pglite')));
  const seedArchive = read.optional('PGLITE_SEED_ARCHIVE', (path) => {
    if (embeddedDir !== EMBEDDED_IN_MEMORY) return 'only applies with PGLITE_DATA_DIR=memory://';
    return existsSync(path) ? undefined : `file ${path} does not exist`;
  });
  return {
    kind: 'embedded',
    dataDir: embeddedDir,
    migrateOnStart: true,
    // PostgreSQL's 128 MB default would make the embedded shape's resident memory balloon.
    sharedBuffersMb: read.int('PGLITE_SHARED_BUFFERS_MB', 8, { min: 1, max: 4_096 }),
    seedArchive,
  };
}
