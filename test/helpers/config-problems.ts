import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '@backlot/config';

export const STRONG_JWT_SECRET = randomBytes(48).toString('base64url');
export const STRONG_ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** Loads a config that is expected to be invalid and returns the problems it lists. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}
