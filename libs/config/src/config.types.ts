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
  /** How often expired trash and idempotency keys are swept. */
  sweepIntervalSeconds: number;
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
  mail: MailConfig;
  observability: ObservabilityConfig;
}
