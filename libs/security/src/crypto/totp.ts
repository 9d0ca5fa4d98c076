import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from './secrets';

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TotpOptions {
  /** Seconds per time step (default 30). */
  stepSeconds?: number;
  /** Code length (default 6). */
  digits?: number;
  /** HMAC hash (default sha1, the only one every authenticator app supports). */
  algorithm?: TotpAlgorithm;
}

export interface TotpVerifyOptions extends TotpOptions {
  /** The time to verify at (default now). */
  timeMs?: number;
  /** Steps accepted either side of the current one, for clock drift and typing time (default 1). */
  window?: number;
  /** The last step accepted for this secret: that step and earlier ones are refused, so a code cannot be replayed. */
  afterStep?: number;
}

// RFC 4648 §6.
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(buf: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of buf) {
    value = ((value << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(value >>> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Lenient about what people paste (lower case, spaces, padding), strict about anything else. */
export function base32Decode(text: string): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text.toUpperCase().replace(/[\s=]/g, '')) {
    const index = BASE32.indexOf(char);
    if (index === -1) throw new Error('Invalid base32 character');
    value = ((value << 5) | index) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** 160 bits: the secret length RFC 4226 §4 recommends (128 is its minimum). */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

export function totpCode(secretBase32: string, timeMs: number, options: TotpOptions = {}): string {
  const { stepSeconds, digits, algorithm } = withDefaults(options);
  return hotp(decodeSecret(secretBase32), stepAt(timeMs, stepSeconds), digits, algorithm);
}

/**
 * Returns the time step the code belongs to, or null. Store the step of each accepted code and
 * pass it back as `afterStep`, so the same code (or an older one) cannot be used twice.
 */
export function verifyTotp(secretBase32: string, code: string, options: TotpVerifyOptions = {}): number | null {
  const { stepSeconds, digits, algorithm } = withDefaults(options);
  const { timeMs = Date.now(), window = 1, afterStep = -1 } = options;
  if (!new RegExp(`^\\d{${digits}}$`).test(code)) return null;
  const key = decodeSecret(secretBase32);
  const current = stepAt(timeMs, stepSeconds);
  let matched: number | null = null;
  // Every step in the window is computed and compared, so timing does not tell which one matched.
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue;
    const equal = safeEqual(hotp(key, step, digits, algorithm), code);
    if (equal && step > afterStep && matched === null) matched = step;
  }
  return matched;
}

/** The Key URI that authenticator apps read from a QR code (Google Authenticator's format). */
export function otpauthUri(params: { secret: string; issuer: string; account: string } & TotpOptions): string {
  const { stepSeconds, digits, algorithm } = withDefaults(params);
  const label = `${encodeURIComponent(params.issuer)}:${encodeURIComponent(params.account)}`;
  const query = [
    ['secret', params.secret],
    ['issuer', params.issuer],
    ['algorithm', algorithm.toUpperCase()],
    ['digits', String(digits)],
    ['period', String(stepSeconds)],
  ]
    // encodeURIComponent rather than URLSearchParams: apps show a '+' for a space literally.
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
  return `otpauth://totp/${label}?${query}`;
}

/** RFC 4226 §5.3: HMAC of the counter, dynamically truncated to 31 bits, reduced to `digits` digits. */
function hotp(key: Buffer, counter: number, digits: number, algorithm: TotpAlgorithm): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

// An empty key would make every code predictable; refuse it rather than verify against it.
function decodeSecret(secretBase32: string): Buffer {
  const key = base32Decode(secretBase32);
  if (key.length === 0) throw new Error('TOTP secret is empty');
  return key;
}

function stepAt(timeMs: number, stepSeconds: number): number {
  return Math.floor(timeMs / 1000 / stepSeconds);
}

function withDefaults(options: TotpOptions): Required<TotpOptions> {
  const { stepSeconds = 30, digits = 6, algorithm = 'sha1' } = options;
  // Past 10 digits the 31-bit truncated value cannot fill the code; under 6 is guessable (RFC 4226 §5.3).
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new RangeError('TOTP digits must be an integer from 6 to 10');
  if (!Number.isInteger(stepSeconds) || stepSeconds <= 0) throw new RangeError('TOTP step must be a positive number of seconds');
  return { stepSeconds, digits, algorithm };
}
