import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** An unguessable token for links, sessions and API keys (256 bits by default), URL-safe. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Hex SHA-256 of a string. Enough to store high-entropy tokens at rest: nobody can brute-force
 * 256 random bits, so the slow, salted hashing that passwords need would only cost latency.
 */
export function sha256(value: string): string {
  return digest(value).toString('hex');
}

/**
 * Compares two secrets in constant time. Comparing fixed-length digests rather than the strings
 * keeps the time independent of where they differ and of how long either one is.
 */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
