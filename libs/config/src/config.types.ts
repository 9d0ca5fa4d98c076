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
  /** 32-byte AES-256 key, base64. */
  encryptionKey: string;
  /** Where the secrets came from, for the start-up log (never the values). */
  source: 'environment' | 'generated-file' | 'ephemeral';
}

export interface MailConfig {
  smtpUrl?: string;
  from: string;
}

export interface ObservabilityConfig {
  logLevel: LevelWithSilent;
  metricsToken?: string;
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
  auth: AuthSecrets;
  mail: MailConfig;
  observability: ObservabilityConfig;
}
