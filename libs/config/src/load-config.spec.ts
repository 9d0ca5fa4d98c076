import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { problemsOf, STRONG_ENCRYPTION_KEY, STRONG_JWT_SECRET } from '@backlot/testing/config-problems';
import { type ConfigError, EMBEDDED_IN_MEMORY, loadConfig } from './load-config';

describe('loadConfig', () => {
  describe('with an empty test environment', () => {
    it('falls back to the documented defaults', () => {
      const config = loadConfig({ NODE_ENV: 'test' });

      expect(config.env).toBe('test');
      expect(config.dataDir).toBe(resolve(process.cwd(), 'data'));
      expect(config.http).toEqual({
        host: '127.0.0.1',
        port: 3000,
        bodyLimitBytes: 1_048_576,
        corsOrigins: [],
        trustProxy: false,
        shutdownTimeoutMs: 10_000,
      });
      expect(config.cache).toEqual({ redisUrl: undefined, keyPrefix: 'backlot:', ttlSeconds: 60, memoryMaxItems: 10_000 });
      expect(config.rateLimit).toEqual({ ttlSeconds: 60, max: 300 });
      expect(config.mail).toEqual({
        smtpUrl: undefined,
        from: 'Backlot <no-reply@localhost>',
        recipientLimit: { max: 5, windowSeconds: 3_600 },
      });
      expect(config.observability).toEqual({
        logLevel: 'silent',
        metricsToken: undefined,
        metricsEnabled: true,
        metricsListener: undefined,
      });
      expect(config.warnings).toEqual([]);
      expect(config.jobs).toEqual({
        worker: true,
        concurrency: 4,
        pollIntervalMs: 1_000,
        maxAttempts: 5,
        backoffSeconds: 10,
        retentionDays: 7,
        cleanupSchedule: '0 * * * *',
      });
      expect(config.backup).toEqual({
        dir: resolve(process.cwd(), 'data', 'backups'),
        schedule: '0 3 * * *',
        keep: 7,
        includeSessions: false,
        includeFiles: true,
      });
      expect(config.audit).toEqual({ retentionDays: 365, retentionSchedule: '30 2 * * *' });
      expect(config.realtime).toEqual({
        heartbeatSeconds: 15,
        replaySize: 1_000,
        replayMaxBytes: 16_777_216,
        maxConnectionsPerUser: 10,
        maxConnections: 10_000,
        maxBufferBytes: 1_048_576,
      });
      expect(config.webhooks).toEqual({
        allowedHosts: [],
        timeoutMs: 10_000,
        maxAttempts: 6,
        backoffSeconds: 30,
        disableAfterFailures: 10,
        deliveryRetentionDays: 30,
      });
      expect(config.storage).toEqual({
        driver: 'local',
        localDir: resolve(process.cwd(), 'data', 'storage'),
        maxFileBytes: 100 * 1024 * 1024,
        s3: undefined,
      });
    });

    it('logs at info by default outside tests', () => {
      const config = loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: STRONG_JWT_SECRET,
        ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY,
        METRICS_TOKEN: STRONG_JWT_SECRET,
      });

      expect(config.observability.logLevel).toBe('info');
    });

    it('defaults NODE_ENV to development', () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'backlot-config-'));
      try {
        expect(loadConfig({ DATA_DIR: dataDir }).env).toBe('development');
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('validation', () => {
    it('lists every bad variable in one ConfigError, each naming its variable', () => {
      const problems = problemsOf({ NODE_ENV: 'test', PORT: 'abc', DATABASE_URL: 'mysql://x', REDIS_URL: 'nope', LOG_LEVEL: 'loud' });

      expect(problems).toHaveLength(4);
      for (const name of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'LOG_LEVEL']) {
        expect(problems.filter((problem) => problem.startsWith(`${name}: `))).toHaveLength(1);
      }
    });

    it('reports missing production secrets together with the other bad variables', () => {
      expect(problemsOf({ NODE_ENV: 'production', PORT: 'abc' })).toEqual([
        expect.stringMatching(/^PORT: /),
        'JWT_SECRET: is required in production',
        'ENCRYPTION_KEY: is required in production',
        expect.stringMatching(/^METRICS_TOKEN: is required in production/),
      ]);
    });

    it('puts the problem count and each problem in the error message', () => {
      const error = (() => {
        try {
          loadConfig({ NODE_ENV: 'test', PORT: '70000', LOG_LEVEL: 'loud' });
        } catch (caught) {
          return caught as Error;
        }
        throw new Error('expected a ConfigError');
      })();

      expect(error.name).toBe('ConfigError');
      expect(error.message).toContain('(2 problems)');
      expect(error.message).toContain('PORT: must be an integer from 0 to 65535 (got "70000")');
    });

    it('accepts cron schedules with five or six fields, and "off"', () => {
      const config = loadConfig({
        NODE_ENV: 'test',
        CLEANUP_SCHEDULE: '*/30 * * * * *',
        BACKUP_SCHEDULE: 'OFF',
        AUDIT_RETENTION_SCHEDULE: '0 4 * * 1',
      });
      expect(config.jobs.cleanupSchedule).toBe('*/30 * * * * *');
      expect(config.backup.schedule).toBeNull();
      expect(config.audit.retentionSchedule).toBe('0 4 * * 1');
    });

    it('rejects a schedule that is not a cron expression', () => {
      expect(problemsOf({ NODE_ENV: 'test', CLEANUP_SCHEDULE: 'hourly', BACKUP_SCHEDULE: '0 3 * *' })).toEqual([
        expect.stringMatching(/^CLEANUP_SCHEDULE: "hourly" is not a cron expression/),
        expect.stringMatching(/^BACKUP_SCHEDULE: "0 3 \* \*" is not a cron expression/),
      ]);
    });

    it('rejects an unknown NODE_ENV', () => {
      expect(problemsOf({ NODE_ENV: 'staging' })).toEqual([
        expect.stringMatching(/^NODE_ENV: must be one of development, production, test/),
      ]);
    });

    it('rejects a METRICS_TOKEN shorter than 16 characters', () => {
      expect(problemsOf({ NODE_ENV: 'test', METRICS_TOKEN: 'short' })).toEqual(['METRICS_TOKEN: must be at least 16 characters']);
    });

    it('reads REALTIME_REPLAY_MAX_BYTES and refuses a budget below 64 KiB or above 4 GiB', () => {
      expect(loadConfig({ NODE_ENV: 'test', REALTIME_REPLAY_MAX_BYTES: '1048576' }).realtime.replayMaxBytes).toBe(1_048_576);
      expect(problemsOf({ NODE_ENV: 'test', REALTIME_REPLAY_MAX_BYTES: '1000' })).toEqual([
        'REALTIME_REPLAY_MAX_BYTES: must be an integer from 65536 to 4294967296 (got "1000")',
      ]);
      expect(problemsOf({ NODE_ENV: 'test', REALTIME_REPLAY_MAX_BYTES: '16MB' })).toHaveLength(1);
    });

    it('bounds FILES_UPLOAD_TIMEOUT_SECONDS by half the orphan grace period (1 h by default, less when the grace is short)', () => {
      expect(loadConfig({ NODE_ENV: 'test' }).files).toMatchObject({ orphanGraceSeconds: 86_400, uploadTimeoutSeconds: 3_600 });
      expect(loadConfig({ NODE_ENV: 'test', FILES_ORPHAN_GRACE_SECONDS: '600' }).files.uploadTimeoutSeconds).toBe(300);
      expect(loadConfig({ NODE_ENV: 'test', FILES_UPLOAD_TIMEOUT_SECONDS: '5' }).files.uploadTimeoutSeconds).toBe(5);
      expect(problemsOf({ NODE_ENV: 'test', FILES_ORPHAN_GRACE_SECONDS: '600', FILES_UPLOAD_TIMEOUT_SECONDS: '301' })).toEqual([
        'FILES_UPLOAD_TIMEOUT_SECONDS: must be at most half of FILES_ORPHAN_GRACE_SECONDS (300), or the files sweep could remove an upload that is still running',
      ]);
      expect(problemsOf({ NODE_ENV: 'test', FILES_UPLOAD_TIMEOUT_SECONDS: '0' })).toHaveLength(1);
    });

    it('accepts a CORS_ORIGINS list of origins and the * wildcard', () => {
      const config = loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: ' https://app.example.com , http://localhost:5173,* ' });

      expect(config.http.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173', '*']);
    });

    it('rejects a CORS_ORIGINS entry that is not a bare origin', () => {
      const problems = problemsOf({
        NODE_ENV: 'test',
        CORS_ORIGINS: 'https://ok.example.com,https://app.example.com/path,app.example.com',
      });

      expect(problems).toEqual([
        'CORS_ORIGINS: "https://app.example.com/path" is not an origin like https://app.example.com',
        'CORS_ORIGINS: "app.example.com" is not an origin like https://app.example.com',
      ]);
    });
  });

  describe('database', () => {
    it('uses embedded PGlite under DATA_DIR/pglite when DATABASE_URL is unset', () => {
      const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/srv/backlot' });

      expect(config.database).toEqual({
        kind: 'embedded',
        dataDir: join('/srv/backlot', 'pglite'),
        migrateOnStart: true,
        sharedBuffersMb: 8,
      });
    });

    it('keeps an in-memory PGLITE_DATA_DIR as is', () => {
      const config = loadConfig({ NODE_ENV: 'test', PGLITE_DATA_DIR: EMBEDDED_IN_MEMORY });

      expect(config.database).toEqual({ kind: 'embedded', dataDir: 'memory://', migrateOnStart: true, sharedBuffersMb: 8 });
    });

    it('uses PostgreSQL with default pool settings when DATABASE_URL is set', () => {
      const url = 'postgres://backlot:pw@db.internal:5432/backlot';
      const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url });

      expect(config.database).toEqual({
        kind: 'postgres',
        url,
        migrateOnStart: false,
        poolMax: 10,
        poolIdleTimeoutMs: 10_000,
        connectTimeoutMs: 5_000,
        statementTimeoutMs: 15_000,
        preparedStatements: true,
        randomPageCost: 1.1,
      });
    });

    it('reads pool settings and MIGRATE_ON_START for PostgreSQL', () => {
      const config = loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: 'postgresql://db.internal/backlot',
        DATABASE_POOL_MAX: '25',
        DATABASE_POOL_IDLE_TIMEOUT_MS: '0',
        DATABASE_CONNECT_TIMEOUT_MS: '2500',
        DATABASE_STATEMENT_TIMEOUT_MS: '800',
        DATABASE_PREPARED_STATEMENTS: 'false',
        DATABASE_RANDOM_PAGE_COST: '4',
        MIGRATE_ON_START: 'yes',
      });

      expect(config.database).toMatchObject({
        kind: 'postgres',
        poolMax: 25,
        poolIdleTimeoutMs: 0,
        connectTimeoutMs: 2500,
        statementTimeoutMs: 800,
        preparedStatements: false,
        randomPageCost: 4,
        migrateOnStart: true,
      });
    });

    // A large batch or atomic import holds the embedded database's one connection throughout.
    it('bounds batches and atomic imports lower on the embedded database than on PostgreSQL', () => {
      const embedded = loadConfig({ NODE_ENV: 'test', PGLITE_DATA_DIR: 'memory://' });
      const postgres = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgres://db/backlot' });

      expect(embedded.data).toMatchObject({ batchMaxOperations: 200, importAtomicMaxRecords: 2_000 });
      expect(postgres.data).toMatchObject({ batchMaxOperations: 1_000, importAtomicMaxRecords: 0 });
    });

    it.each([
      ['BATCH_MAX_OPERATIONS', '1001', 'must be an integer from 1 to 1000 (got "1001")'],
      ['BATCH_MAX_OPERATIONS', '0', 'must be an integer from 1 to 1000 (got "0")'],
      ['SESSION_CACHE_TTL_SECONDS', '31', 'must be an integer from 1 to 30 (got "31")'],
      ['DATABASE_STATEMENT_TIMEOUT_MS', '50', 'must be an integer from 100 to 3600000 (got "50")'],
    ])('rejects %s=%s', (name, value, message) => {
      expect(problemsOf({ NODE_ENV: 'test', [name]: value })).toEqual([`${name}: ${message}`]);
    });

    it.each(['1', '1001', '-5', '10.5'])('rejects DATABASE_POOL_MAX=%s', (value) => {
      const problems = problemsOf({ NODE_ENV: 'test', DATABASE_URL: 'postgres://db/backlot', DATABASE_POOL_MAX: value });

      expect(problems).toEqual([`DATABASE_POOL_MAX: must be an integer from 2 to 1000 (got "${value}")`]);
    });

    it.each(['2', '1000'])('accepts DATABASE_POOL_MAX=%s at the bounds', (value) => {
      const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgres://db/backlot', DATABASE_POOL_MAX: value });

      expect(config.database).toMatchObject({ poolMax: Number(value) });
    });
  });

  describe('TRUST_PROXY', () => {
    it.each<[string | undefined, boolean | number | string[]]>([
      [undefined, false],
      ['false', false],
      ['true', true],
      ['2', 2],
      ['10.0.0.1, 192.168.0.0/16', ['10.0.0.1', '192.168.0.0/16']],
    ])('parses %p as %p', (value, expected) => {
      expect(loadConfig({ NODE_ENV: 'test', ...(value === undefined ? {} : { TRUST_PROXY: value }) }).http.trustProxy).toEqual(expected);
    });
  });
});

describe('TRUST_PROXY validation', () => {
  const problems = (value: string) => {
    try {
      loadConfig({ NODE_ENV: 'test', TRUST_PROXY: value });
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('accepts true and false in any case', () => {
    expect(loadConfig({ NODE_ENV: 'test', TRUST_PROXY: 'TRUE' }).http.trustProxy).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test', TRUST_PROXY: 'False' }).http.trustProxy).toBe(false);
  });

  it('accepts IP addresses and CIDR ranges', () => {
    expect(loadConfig({ NODE_ENV: 'test', TRUST_PROXY: '10.0.0.0/8, 192.168.1.7, ::1' }).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
    ]);
  });

  it('rejects an entry that is not an address', () => {
    expect(problems('yes')).toEqual([expect.stringContaining('TRUST_PROXY: "yes"')]);
    expect(problems('10.0.0.0/33')).toEqual([expect.stringContaining('TRUST_PROXY: "10.0.0.0/33"')]);
  });
});

describe('metrics exposure (loadConfig)', () => {
  const production = { NODE_ENV: 'production', JWT_SECRET: STRONG_JWT_SECRET, ENCRYPTION_KEY: STRONG_ENCRYPTION_KEY };

  it('refuses production with /metrics on the API port and no METRICS_TOKEN, saying what would do', () => {
    expect(problemsOf(production)).toEqual([
      'METRICS_TOKEN: is required in production, or /metrics would be public: set it (`openssl rand -base64 48`), or serve metrics ' +
        'on a private listener with METRICS_PORT (METRICS_HOST defaults to 127.0.0.1), or switch them off with METRICS_ENABLED=false',
    ]);
  });

  it('starts in production with a strong token, a separate listener, or metrics switched off', () => {
    const token = randomBytes(48).toString('base64');
    expect(loadConfig({ ...production, METRICS_TOKEN: token }).observability).toMatchObject({ metricsToken: token, metricsEnabled: true });
    expect(loadConfig({ ...production, METRICS_PORT: '9464' }).observability).toMatchObject({
      metricsToken: undefined,
      metricsListener: { host: '127.0.0.1', port: 9464 },
    });
    expect(loadConfig({ ...production, METRICS_ENABLED: 'false' }).observability).toMatchObject({
      metricsEnabled: false,
      metricsListener: undefined,
    });
  });

  it('refuses a guessable METRICS_TOKEN in production and warns about one in development', () => {
    expect(problemsOf({ ...production, METRICS_TOKEN: 'metrics-token-0123456789' })).toEqual([
      expect.stringMatching(/^METRICS_TOKEN: is a default or guessable value \(carries at most ~\d+ bits/),
    ]);
    const dataDir = mkdtempSync(join(tmpdir(), 'backlot-config-'));
    try {
      const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, METRICS_TOKEN: 'metrics-token-0123456789' });
      expect(config.observability.metricsToken).toBe('metrics-token-0123456789');
      expect(config.warnings).toEqual([
        expect.stringMatching(/^METRICS_TOKEN: is a default or guessable value .* Production would refuse it$/),
      ]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reads METRICS_HOST for the separate listener and refuses METRICS_PORT equal to PORT', () => {
    expect(loadConfig({ NODE_ENV: 'test', METRICS_PORT: '0', METRICS_HOST: '10.0.0.5' }).observability.metricsListener).toEqual({
      host: '10.0.0.5',
      port: 0,
    });
    expect(problemsOf({ NODE_ENV: 'test', PORT: '3000', METRICS_PORT: '3000' })).toEqual(['METRICS_PORT: must differ from PORT (3000)']);
    expect(problemsOf({ NODE_ENV: 'test', METRICS_PORT: 'ninety' })).toEqual([expect.stringMatching(/^METRICS_PORT: must be an integer/)]);
  });
});
