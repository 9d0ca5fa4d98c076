import { createPrivateKey } from 'node:crypto';
import type { SignInProviderSettings } from '@backlot/config';
import { SignJWT } from 'jose';

/** Apple checks this audience whatever the issuer (a test points the issuer elsewhere). */
const APPLE_AUDIENCE = 'https://appleid.apple.com';
/** Apple accepts up to six months; an hour keeps a leaked secret short-lived, and one is made per half hour. */
const SECRET_TTL_SECONDS = 3_600;
export const APPLE_SECRET_REFRESH_MS = 1_800_000;

/**
 * Apple's client secret: an ES256 JWT signed with the developer account's key (issuer the team,
 * subject the client id), not a fixed string. Made with jose from the key the settings hold.
 */
export function appleClientSecret(provider: SignInProviderSettings, now = Date.now()): Promise<string> {
  if (!provider.appleKey || !provider.clientSecret) throw new Error(`The apple provider "${provider.name}" has no signing key.`);
  const issuedAt = Math.floor(now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: provider.appleKey.keyId })
    .setIssuer(provider.appleKey.teamId)
    .setSubject(provider.clientId)
    .setAudience(APPLE_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + SECRET_TTL_SECONDS)
    .sign(createPrivateKey(provider.clientSecret));
}

/**
 * The name Apple posts once, on the first authorization, as a JSON `user` field beside the code
 * (it is never in the ID token). Anything unexpected is ignored: the field is not signed.
 */
export function appleUserName(user: string | null): string | undefined {
  if (!user || user.length > 10_000) return undefined;
  try {
    const { name } = JSON.parse(user) as { name?: { firstName?: unknown; lastName?: unknown } };
    const parts = [name?.firstName, name?.lastName].filter((part): part is string => typeof part === 'string' && part.trim() !== '');
    return parts.length ? parts.join(' ') : undefined;
  } catch {
    return undefined;
  }
}
