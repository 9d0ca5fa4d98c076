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
  | {
      kind: 'postgres';
      url: string;
      poolMax: number;
      poolIdleTimeoutMs: number;
      /** Longest wait for a pool connection: a free one, or a new one connecting. */
      connectTimeoutMs: number;
      /** Longest a statement may run: the server cancels it, and the client gives up a little later if the server is frozen. */
      statementTimeoutMs: number;
      /** Hot statements are prepared once per connection (off behind a pooler that cannot keep them, e.g. PgBouncer in transaction mode before 1.21). */
      preparedStatements: boolean;
      /** The planner's cost of a random page read, set on Backlot's connections (see docs/indexes.md). */
      randomPageCost: number;
      migrateOnStart: boolean;
    };

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
  /**
   * How long a session's or API key's state (revoked, role, account disabled) may be served
   * from the cache. Evictions can be lost in a partition (the revoking instance cannot reach
   * Redis); this bounds how long any instance may go on trusting the old state.
   */
  sessionCacheTtlSeconds: number;
  cookie: { sameSite: 'strict' | 'lax'; secure: boolean };
  requireEmailVerification: boolean;
  lockout: { maxFailures: number; lockSeconds: number };
  rateLimit: { max: number; ttlSeconds: number };
  mfaChallengeTtlSeconds: number;
  emailVerificationTtlHours: number;
  passwordResetTtlMinutes: number;
  /** One-time sign-in codes and links by mail (POST /auth/otp); off: those routes answer 404. */
  emailCodes: { enabled: boolean; ttlMinutes: number };
  /** Base of the links in mails (the SPA that handles /verify-email, /reset-password …). */
  appUrl: string;
  /** Development without APP_URL: the links point at the API, which serves small pages for them (apps/api/src/auth/link-pages). */
  linkPages: boolean;
  /** Created (or promoted) on start when both are set. */
  bootstrapAdmin?: { email: string; password: string };
}

export interface MailConfig {
  smtpUrl?: string;
  from: string;
  /** Mails per inbox per window, all kinds together; max 0 switches the limit off. */
  recipientLimit: { max: number; windowSeconds: number };
}

export interface ObservabilityConfig {
  logLevel: LevelWithSilent;
  metricsToken?: string;
  /** false: no metrics anywhere (METRICS_ENABLED=false). */
  metricsEnabled: boolean;
  /** Set: metrics are served only by this separate listener; /metrics on the API port answers 404. */
  metricsListener?: { host: string; port: number };
}

export interface DataConfig {
  /** How long an Idempotency-Key's first response is replayed. */
  idempotencyTtlSeconds: number;
  /** Largest import body (NDJSON or CSV), in bytes. */
  importMaxBytes: number;
  /** Most operations in one batch: its transaction holds the embedded database's one connection, so less there. */
  batchMaxOperations: number;
  /** Most records an atomic import (one transaction) may hold; 0: no limit (PostgreSQL's default). */
  importAtomicMaxRecords: number;
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

/** Where file bytes are stored, and how much of them anyone may send. */
export interface StorageConfig {
  driver: 'local' | 's3';
  /** The local driver's directory (default DATA_DIR/storage); a volume every instance shares when there are several. */
  localDir: string;
  /** Largest upload of any one file, whatever a field allows. */
  maxFileBytes: number;
  /** The S3 driver's bucket and client settings; present exactly when the driver is `s3`. */
  s3?: S3StorageConfig;
}

export interface S3StorageConfig {
  bucket: string;
  /** An S3-compatible service's URL (MinIO, R2, Ceph …); AWS S3 when absent. */
  endpoint?: string;
  region: string;
  /** Static credentials; absent → the AWS SDK's default chain (AWS_* variables, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: boolean;
  /** Key prefix inside the bucket (normalised: no leading slash, one trailing slash, or `''`). */
  prefix: string;
  /** Downloads redirect to a presigned URL (the bucket serves the bytes) instead of streaming through the API. */
  presignedDownloads: boolean;
  /** Lifetime of a presigned download URL. */
  presignSeconds: number;
}

/** Uploads and downloads of record files (the bytes' storage is StorageConfig). */
export interface FilesConfig {
  /** Bytes one user's uploads may take in all (0: no quota). */
  userQuotaBytes: number;
  /** Files one multipart request may carry. */
  maxPerRequest: number;
  /** How long an upload whose record write never committed is kept before the sweep removes it. */
  orphanGraceSeconds: number;
  /**
   * The longest one request may spend uploading files (at most half of orphanGraceSeconds, so
   * the sweep never takes an upload that is still running for an abandoned one).
   */
  uploadTimeoutSeconds: number;
  /** Lifetime of a file token (downloads of protected files). */
  tokenTtlSeconds: number;
  /** Where the bytes of resumable (tus) uploads wait until they are complete (default DATA_DIR/uploads; shared by every instance). */
  tusDir: string;
  /** An unfinished resumable upload is removed this long after its creation. */
  tusExpirySeconds: number;
}

/** Image thumbnails: how big a source may be and how much CPU they may take. */
export interface ThumbsConfig {
  /** Largest source image (width × height) a thumbnail is made of; larger ones (decompression bombs) are refused. */
  maxInputPixels: number;
  /** Thumbnails one instance renders at the same time (each on one thread of libuv's pool). */
  concurrency: number;
  /** Renders that may wait for a slot; past them a request is turned away (503 with Retry-After). */
  maxQueue: number;
  /** Longest one render may run before it is abandoned. */
  timeoutSeconds: number;
  /** Bytes of stored thumbnails kept in memory (the most recently used), so a hot one is served without storage; 0: none. */
  memoryBytes: number;
}

export interface BackupConfig {
  /** Where backup files are written and listed from. */
  dir: string;
  schedule: CronSchedule;
  /** Scheduled backups kept; older ones are deleted after each scheduled run. */
  keep: number;
  /** Whether scheduled backups include sessions and refresh tokens. */
  includeSessions: boolean;
  /** Whether scheduled backups include the bytes of stored files. */
  includeFiles: boolean;
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
  /** The admin console's build (`npm run build` writes it), served under /_/. */
  consoleDir: string;
  schemaPath: string;
  http: HttpConfig;
  database: DatabaseConfig;
  cache: CacheConfig;
  rateLimit: RateLimitConfig;
  auth: AuthConfig;
  signInProviders: SignInProvidersConfig;
  data: DataConfig;
  jobs: JobsConfig;
  storage: StorageConfig;
  files: FilesConfig;
  backup: BackupConfig;
  audit: AuditConfig;
  realtime: RealtimeConfig;
  thumbs: ThumbsConfig;
  webhooks: WebhooksConfig;
  mail: MailConfig;
  observability: ObservabilityConfig;
  /** Problems that do not stop a development start (a guessable secret set by hand); logged at start. */
  warnings: string[];
}

/** One sign-in provider, from the environment or the admin API. */
export interface SignInProviderSettings {
  /** Path segment and identity namespace: `/auth/providers/<name>/…`. */
  name: string;
  preset: 'oidc' | 'google' | 'microsoft' | 'apple' | 'gitlab' | 'github' | 'discord';
  displayName: string;
  /** OpenID Connect issuer (discovery); unused by the plain OAuth 2.0 presets (github, discord). */
  issuer?: string;
  clientId: string;
  /** For apple: the private key (PEM) that signs the client secret, which is a JWT. */
  clientSecret?: string;
  /** Apple: who signs the client-secret JWT (team) and with which key. */
  appleKey?: { teamId: string; keyId: string };
  /** Space-separated. */
  scopes: string;
  enabled: boolean;
  source: 'env' | 'admin';
}

export interface SignInProvidersConfig {
  providers: SignInProviderSettings[];
  /** The SPA pages a provider sign-in may return to (OAUTH_REDIRECT_URLS): same origin and path. */
  redirectUrls: string[];
  /** The API's public base URL, for the callback URL registered at providers; the request's own otherwise. */
  publicUrl?: string;
  /** A provider identity joins an existing account with the same address when both sides verified it. */
  linkVerifiedEmails: boolean;
  /** Bound on every call to a provider (discovery, token, user info). */
  timeoutMs: number;
  /** How long a sign-in may take at the provider. */
  flowTtlSeconds: number;
}
