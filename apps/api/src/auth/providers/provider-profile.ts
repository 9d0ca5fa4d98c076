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

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The parts of a provider profile Backlot keeps, cut to what the users table holds. Provider
 * data is outside input like any other: an address that is not one is dropped, a name is
 * trimmed to its column, a picture must be an http(s) URL.
 */
export function profileFields(profile: ProviderProfile): { email?: string; profile: ProfileFields } {
  const email = profile.email && profile.email.length <= 254 && EMAIL.test(profile.email) ? normalizeEmail(profile.email) : undefined;
  const displayName = profile.name ? printable(profile.name).trim().slice(0, 100) || undefined : undefined;
  const avatarUrl =
    profile.picture && profile.picture.length <= 2048 && /^https?:\/\//i.test(profile.picture) ? profile.picture : undefined;
  return { email, profile: { ...(displayName && { displayName }), ...(avatarUrl && { avatarUrl }) } };
}

/** Without control characters (PostgreSQL refuses NUL); a lone surrogate becomes U+FFFD on the way through UTF-8. */
function printable(text: string): string {
  const wellFormed = Buffer.from(text, 'utf8').toString('utf8');
  // eslint-disable-next-line no-control-regex
  return wellFormed.replace(/[\u0000-\u001f\u007f]/g, '');
}
