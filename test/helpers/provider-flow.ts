import { createHash } from 'node:crypto';

/** The verifier a test SPA keeps between the authorize call and the exchange, and its challenge. */
export const VERIFIER = 'test-spa-verifier-'.padEnd(64, 'v');
export const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

/** Path (under the app's base URL) that starts a provider sign-in returning to `redirect`. */
export function authorizePath(provider: string, redirect: string, challenge = CHALLENGE): string {
  return `/api/v1/auth/providers/${provider}/authorize?redirect=${encodeURIComponent(redirect)}&challenge=${challenge}`;
}
