import type { ProfileFields } from '../../users/users.repository';
import { normalizeEmail } from '../../users/users.service';
import type { ProviderProfile } from './provider-client';

/** The provider said who it is, but Backlot will not sign that person in; the code is what the SPA sees. */
export class SignInRefused extends Error {
  constructor(
    readonly code: 'email_not_verified' | 'account_exists' | 'account_disabled' | 'identity_in_use',
    message: string,
  ) {
    super(message);
  }
}

/** No spaces or control characters anywhere in an address (PostgreSQL refuses NUL). */
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;
/** What PATCH /users/me takes for an avatar: https, no spaces, quotes, angle brackets or control characters. */
const AVATAR = /^https:\/\/[^\s"'<>\\\p{Cc}]+$/iu;

/**
 * The parts of a provider profile Backlot keeps, cut to what the users table holds. Provider
 * data is outside input like any other: an address that is not one is dropped, a name is
 * trimmed to its column and cleaned of control and format characters (no name spoofing with
 * bidi overrides), a picture must be an https URL.
 */
export function profileFields(profile: ProviderProfile): { email?: string; profile: ProfileFields } {
  const email = profile.email && profile.email.length <= 254 && EMAIL.test(profile.email) ? normalizeEmail(profile.email) : undefined;
  const displayName = profile.name ? printable(profile.name).trim().slice(0, 100) || undefined : undefined;
  const avatarUrl = profile.picture && profile.picture.length <= 2048 && AVATAR.test(profile.picture) ? profile.picture : undefined;
  return { email, profile: { ...(displayName && { displayName }), ...(avatarUrl && { avatarUrl }) } };
}

/**
 * Without control characters (C0, C1; PostgreSQL refuses NUL) and format characters (bidi
 * overrides, zero-width joiners); a lone surrogate becomes U+FFFD on the way through UTF-8.
 */
function printable(text: string): string {
  const wellFormed = Buffer.from(text, 'utf8').toString('utf8');
  return wellFormed.replace(/[\p{Cc}\p{Cf}]/gu, '');
}
