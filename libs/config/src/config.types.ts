import type { LevelWithSilent } from 'pino';

export type NodeEnv = 'development' | 'production' | 'test';

export type DatabaseConfig =
  | {
      kind: 'embedded';
      /** A directory, or `memory://` for a throw-away database. */
      dataDir: string;
      migrateOnStart: true;
      sharedBuffersMb: number;
      /** A PGlite dump (.tar) an in-memory database starts from (the test suite's migrated template). */
      seedArchive?: string;
    }
  | { kind: 'postgres'; url: string; poolMax: number; poolIdleTimeoutMs: number; connectTimeoutMs: number; migrateOnStart: boolean };

export interface HttpConfig {
  host: string;
  port: number;
  bodyLimitBytes: number;
  corsOrigins: string[];
  /** false, true, a hop count, or a list of trusted proxy addresses/CIDRs (Fastify's trustProxy). */
  trustProxy: boolean | number | string[];
  shutdownTimeoutMs: number;
}

export interface CacheConfig {
  redisUrl?: string;
  keyPrefix: string;
  ttlSeconds: number;
  memoryMaxItems: number;
}

export interface RateLimitConfig {
  ttlSeconds: number;
  max: number;
}

export interface AuthSecrets {
  jwtSecret: string;
  /** Earlier signing secrets: tokens they signed stay valid until they expire (key rotation). */
  previousJwtSecrets: string[];
  /** 32-byte AES-256 key, base64. */
  encryptionKey: string;
  /** Earlier encryption keys, still used to decrypt values written with them. */
  previousEncryptionKeys: string[];
  /** Where the secrets came from, for the start-up log (never the values). */
  source: 'environment' | 'generated-file' | 'ephemeral';
}

export interface AuthConfig extends AuthSecrets {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  /** A refresh token used again within this many seconds (same client) is a race, not theft. */
  refreshReuseGraceSeconds: number;
  cookie: { sameSite: 'strict' | 'lax'; secure: boolean };
  requireEmailVerification: boolean;
  lockout: { maxFailures: number; lockSeconds: number };
  rateLimit: { max: number; ttlSeconds: number };
  mfaChallengeTtlSeconds: number;
  emailVerificationTtlHours: number;
  passwordResetTtlMinutes: number;
  /** Base of the links in mails (the SPA that handles /verify-email, /reset-password …). */
  appUrl: string;
  /** Created (or promoted) on start when both are set. */
  bootstrapAdmin?: { email: string; password: string };
}

export interface MailConfig {
  smtpUrl?: string;
  from: string;
}

export interface ObservabilityConfig {
  logLevel: LevelWithSilent;
  metricsToken?: string;
}

export interface DataConfig {
  /** How long an Idempotency-Key's first response is replayed. */
  idempotencyTtlSeconds: number;
  /** Largest import body (NDJSON or CSV), in bytes. */
  importMaxBytes: number;
}

/** A five- or six-field cron expression (UTC), or null when the schedule is switched off. */
export type CronSchedule = string | null;

export interface JobsConfig {
  /** Whether this process runs jobs at all (CLI commands and API-only instances do not). */
  worker: boolean;
  /** Jobs one instance runs at the same time. */
  concurrency: number;
  /** How often an idle instance looks for due jobs (a job enqueued on the instance starts at once). */
  pollIntervalMs: number;
  /** Attempts before a job is dead-lettered (state `failed`). */
  maxAttempts: number;
  /** First retry delay; each further retry doubles it (with jitter), capped at an hour. */
  backoffSeconds: number;
  /** Completed jobs are deleted after this many days; failed ones stay until retried or discarded. */
  retentionDays: number;
  /** Purge of expired sessions, tokens, idempotency keys, trash and old jobs. */
  cleanupSchedule: CronSchedule;
}

export interface BackupConfig {
  /** Where backup files are written and listed from. */
  dir: string;
  schedule: CronSchedule;
  /** Scheduled backups kept; older ones are deleted after each scheduled run. */
  keep: number;
  /** Whether scheduled backups include sessions and refresh tokens. */
  includeSessions: boolean;
}

export interface AuditConfig {
  /** Audit events older than this are deleted daily; 0 keeps them forever. */
  retentionDays: number;
  retentionSchedule: CronSchedule;
}

export interface RealtimeConfig {
  /** Seconds between heartbeat comments (and session re-checks) on each SSE connection. */
  heartbeatSeconds: number;
  /** Change events kept per instance for Last-Event-ID resume. */
  replaySize: number;
  /** Most bytes of rows (as JSON) those kept events may hold; the oldest go first. */
  replayMaxBytes: number;
  /** Open SSE connections per user (per IP for anonymous callers), per instance. */
  maxConnectionsPerUser: number;
  /** Open SSE connections on this instance, all callers together (sign-ups are free: many accounts must not exhaust the instance). */
  maxConnections: number;
  /** Unsent bytes a connection may hold before it is dropped as a slow consumer. */
  maxBufferBytes: number;
}

export interface WebhooksConfig {
  /** Hostnames, IP addresses or CIDRs that deliveries may reach even though they are private or loopback. */
  allowedHosts: string[];
  /** Budget for one delivery attempt: connect, send, and read the (capped) response. */
  timeoutMs: number;
  /** Attempts per delivery before it is marked failed. */
  maxAttempts: number;
  /** First retry delay; each further retry doubles it (±20% jitter). */
  backoffSeconds: number;
  /** Failed attempts in a row (across deliveries) after which a webhook is disabled. */
  disableAfterFailures: number;
  /** Finished deliveries are deleted from the log after this many days (cleanup schedule). */
  deliveryRetentionDays: number;
}

export interface AppConfig {
  env: NodeEnv;
  version: string;
  dataDir: string;
  migrationsDir: string;
  schemaPath: string;
  http: HttpConfig;
  database: DatabaseConfig;
  cache: CacheConfig;
  rateLimit: RateLimitConfig;
  auth: AuthConfig;
  data: DataConfig;
  jobs: JobsConfig;
  backup: BackupConfig;
  audit: AuditConfig;
  realtime: RealtimeConfig;
  webhooks: WebhooksConfig;
  mail: MailConfig;
  observability: ObservabilityConfig;
}
