import { randomBytes } from 'node:crypto';

/**
 * Crockford's base32 alphabet in lower case: 32 symbols, no two of which look alike (it has 0
 * and 1 but no o, i or l, and no u). Ten symbols carry 50 bits, and people misreading a code
 * as o, i or l are forgiven by normalizeRecoveryCode.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const LENGTH = 10;
const SHAPE = /^[0-9a-hjkmnp-tv-z]{10}$/;
const LOOKALIKES: Record<string, string> = { o: '0', i: '1', l: '1' };

/** One-time codes for when the authenticator is lost, shown once as `abcde-fghij`. */
export function generateRecoveryCodes(count = 10): string[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError('Recovery code count must be a non-negative integer');
  const codes = new Set<string>();
  while (codes.size < count) codes.add(format(randomCode()));
  return [...codes];
}

/**
 * The canonical `abcde-fghij` form of what someone typed (any case, spaces or dashes anywhere,
 * o for 0, i or l for 1), or '' when it cannot be a recovery code. Hash and compare this form.
 */
export function normalizeRecoveryCode(input: string): string {
  const compact = input
    .trim()
    .toLowerCase()
    .replace(/[\s-]/g, '')
    .replace(/[oil]/g, (char) => LOOKALIKES[char]);
  return SHAPE.test(compact) ? format(compact) : '';
}

function randomCode(): string {
  // 256 is a multiple of 32, so keeping the low 5 bits of each byte leaves every symbol equally likely.
  return Array.from(randomBytes(LENGTH), (byte) => ALPHABET[byte & 31]).join('');
}

function format(compact: string): string {
  return `${compact.slice(0, 5)}-${compact.slice(5)}`;
}
