import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthSecrets, NodeEnv } from './config.types';
import type { EnvReader } from './env-reader';
import { keyWeakness, requireStrong, secretWeakness } from './secret-strength';

const MIN_JWT_SECRET_LENGTH = 32;

// Node's base64 decoder skips characters it does not know, so check the text itself first.
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=?$/;

function checkEncryptionKey(value: string): string | undefined {
  const problem = 'must be 32 random bytes, base64-encoded (openssl rand -base64 32)';
  if (!BASE64_32_BYTES.test(value) || Buffer.from(value, 'base64').length !== 32) return problem;
  return new Set(value).size < 16 ? problem : undefined;
}

function generate(): Pick<AuthSecrets, 'jwtSecret' | 'encryptionKey'> {
  return { jwtSecret: randomBytes(48).toString('base64url'), encryptionKey: randomBytes(32).toString('base64') };
}

/**
 * Secrets come from the environment. Outside production, missing ones are generated once
 * and kept in `<DATA_DIR>/secrets.json` (mode 0600) so `npm start` needs no setup and
 * sessions survive a restart; tests get throw-away secrets and write nothing.
 */
export function readSecrets(reader: EnvReader, env: NodeEnv, dataDir: string): AuthSecrets {
  const current = readCurrentSecrets(reader, env, dataDir);
  const previousJwtSecrets = reader.list('JWT_PREVIOUS_SECRETS');
  if (previousJwtSecrets.some((secret) => secret.length < MIN_JWT_SECRET_LENGTH)) {
    reader.fail('JWT_PREVIOUS_SECRETS', `every secret must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
  } else {
    // Tokens signed with a guessable earlier secret would still be accepted: it is as weak as the current one.
    const weak = previousJwtSecrets.map((secret, i) => [i + 1, secretWeakness(secret)] as const).find(([, weakness]) => weakness);
    requireStrong(reader, env, 'JWT_PREVIOUS_SECRETS', weak && `entry ${weak[0]} ${weak[1]}`);
  }
  const previousEncryptionKeys = reader.list('ENCRYPTION_PREVIOUS_KEYS');
  if (previousEncryptionKeys.some((key) => checkEncryptionKey(key) !== undefined)) {
    reader.fail('ENCRYPTION_PREVIOUS_KEYS', 'every key must be 32 random bytes, base64-encoded');
  }
  return { ...current, previousJwtSecrets, previousEncryptionKeys };
}

type CurrentSecrets = Omit<AuthSecrets, 'previousJwtSecrets' | 'previousEncryptionKeys'>;

function readCurrentSecrets(reader: EnvReader, env: NodeEnv, dataDir: string): CurrentSecrets {
  const jwtSecret = reader.optional('JWT_SECRET', (v) =>
    v.length < MIN_JWT_SECRET_LENGTH ? `must be at least ${MIN_JWT_SECRET_LENGTH} characters` : undefined,
  );
  const encryptionKey = reader.optional('ENCRYPTION_KEY', checkEncryptionKey);
  if (jwtSecret) requireStrong(reader, env, 'JWT_SECRET', secretWeakness(jwtSecret));
  if (encryptionKey) {
    requireStrong(reader, env, 'ENCRYPTION_KEY', keyWeakness(Buffer.from(encryptionKey, 'base64')), 'use `openssl rand -base64 32`');
  }

  if (env === 'production') {
    if (!reader.raw('JWT_SECRET')) reader.fail('JWT_SECRET', 'is required in production');
    if (!reader.raw('ENCRYPTION_KEY')) reader.fail('ENCRYPTION_KEY', 'is required in production');
    return { jwtSecret: jwtSecret ?? '', encryptionKey: encryptionKey ?? '', source: 'environment' };
  }
  if (reader.raw('JWT_SECRET') && reader.raw('ENCRYPTION_KEY')) {
    return { jwtSecret: jwtSecret ?? '', encryptionKey: encryptionKey ?? '', source: 'environment' };
  }
  let fallback: Pick<AuthSecrets, 'jwtSecret' | 'encryptionKey'>;
  try {
    fallback = env === 'test' ? generate() : persistedSecrets(dataDir);
  } catch (error) {
    reader.fail('DATA_DIR', (error as Error).message);
    return { jwtSecret: '', encryptionKey: '', source: 'generated-file' };
  }
  return {
    jwtSecret: reader.raw('JWT_SECRET') ? (jwtSecret ?? '') : fallback.jwtSecret,
    encryptionKey: reader.raw('ENCRYPTION_KEY') ? (encryptionKey ?? '') : fallback.encryptionKey,
    source: env === 'test' ? 'ephemeral' : 'generated-file',
  };
}

function persistedSecrets(dataDir: string): Pick<AuthSecrets, 'jwtSecret' | 'encryptionKey'> {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const stored = readStoredSecrets(file);
    if (stored?.jwtSecret && stored.encryptionKey) return { jwtSecret: stored.jwtSecret, encryptionKey: stored.encryptionKey };
    // Regenerating would silently invalidate every session and encrypted value: refuse instead.
    throw new Error(`${file} is unreadable or incomplete; fix or delete it (deleting logs everyone out and loses encrypted fields)`);
  }
  const secrets = generate();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}

function readStoredSecrets(file: string): Partial<AuthSecrets> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<AuthSecrets>;
  } catch {
    return undefined;
  }
}
