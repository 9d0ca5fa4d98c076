import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { embeddedTemplate } from './embedded-template';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined;

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/**
 * A fresh, isolated backing store for one test app: an in-memory PGlite by default, or a
 * new PostgreSQL database (created here, dropped on cleanup) when TEST_DATABASE_URL is
 * set; plus a unique Redis key prefix when TEST_REDIS_URL is set.
 */
export interface TestEnvironment {
  env: Record<string, string>;
  databaseUrl?: string;
  cleanup(): Promise<void>;
}

export async function createTestEnvironment(overrides: Record<string, string> = {}): Promise<TestEnvironment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'backlot-test-'));
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    PGLITE_DATA_DIR: 'memory://',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  };
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dataDir, { recursive: true, force: true })];

  let databaseUrl: string | undefined;
  const usePostgres = TEST_DATABASE_URL !== undefined && overrides.DATABASE_URL === undefined;
  if (!usePostgres && !overrides.PGLITE_DATA_DIR) env.PGLITE_SEED_ARCHIVE = await embeddedTemplate();
  if (usePostgres) {
    const name = uniqueName('backlot_test');
    await adminQuery(`CREATE DATABASE ${name}`);
    databaseUrl = withDatabase(TEST_DATABASE_URL!, name);
    Object.assign(env, { DATABASE_URL: databaseUrl, MIGRATE_ON_START: 'true' });
    cleanups.push(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
  if (TEST_REDIS_URL && overrides.REDIS_URL === undefined) {
    const prefix = `${uniqueName('backlot-test')}:`;
    Object.assign(env, { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix });
    cleanups.push(() => deleteRedisKeys(TEST_REDIS_URL, prefix));
  }
  Object.assign(env, overrides);

  return {
    env,
    databaseUrl,
    cleanup: async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
