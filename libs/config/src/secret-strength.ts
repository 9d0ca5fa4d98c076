import type { NodeEnv } from './config.types';
import type { EnvReader } from './env-reader';

/** What a signing secret or token must carry: 32 random bytes. */
const MIN_BITS = 256;
const GENERATE_HINT = 'use 32 or more random bytes, e.g. `openssl rand -base64 48`';

/** Values seen in tutorials and sample .env files; a production deployment must not use them. */
const WELL_KNOWN_WORDS = [
  'secret',
  'changeme',
  'change-me',
  'changethis',
  'password',
  'jwt_secret',
  'your-secret',
  'supersecret',
  'development',
  'example',
  'default',
  'qwerty',
  'letmein',
  'backlot',
];

/**
 * Why `value` is not a strong random secret, or undefined when it looks like one. This is an
 * estimate: it refuses short, made-up and structured values (well-known words, 1234 or abcd
 * runs, repeated blocks, too few characters for 256 bits at the density of the alphabet used),
 * but a long made-up phrase can pass it. Random strings fail it with negligible probability.
 */
export function secretWeakness(value: string): string | undefined {
  const lowered = value.toLowerCase();
  const word = WELL_KNOWN_WORDS.find((known) => lowered.includes(known));
  if (word) return `contains the well-known word "${word}"`;
  if (new Set(value).size < 8) return 'uses fewer than 8 different characters';
  const bits = Math.floor(estimatedBits(value));
  if (bits < MIN_BITS)
    return `carries at most ~${bits} bits of randomness for its length and alphabet (at least ${MIN_BITS}: 64 hex or 43 base64 characters)`;
  if (runShare(value) > 0.5) return 'is mostly runs or sequences (aaaa, 1234, abcd)';
  if (distinctTrigramShare(value) < 0.75) return 'repeats itself';
  return undefined;
}

/** 32 bytes that are all printable ASCII are text someone base64-encoded, not random bytes (odds ~10⁻¹⁴). */
export function keyWeakness(key: Buffer): string | undefined {
  if (key.every((byte) => byte >= 0x20 && byte < 0x7f)) return 'is base64 of text, not of random bytes';
  if (new Set(key).size < 16) return 'repeats bytes too often to be random';
  return undefined;
}

/** Production refuses a weak value; development starts, with a warning (tests check nothing). */
export function requireStrong(read: EnvReader, env: NodeEnv, name: string, weakness: string | undefined, hint = GENERATE_HINT): void {
  if (!weakness || env === 'test') return;
  const problem = `is a default or guessable value (${weakness}); ${hint}`;
  if (env === 'production') read.fail(name, `${problem}. Refusing to start in production`);
  else read.warn(name, `${problem}. Production would refuse it`);
}

/** Length × bits per character of the smallest usual alphabet the value fits (hex, base64, classes). */
function estimatedBits(value: string): number {
  const body = value.replace(/=+$/, '');
  if (/^[0-9]+$/.test(body)) return body.length * Math.log2(10);
  if (/^[0-9a-f]+$/.test(body) || /^[0-9A-F]+$/.test(body)) return body.length * 4;
  // Random base64 of 32+ bytes always mixes both cases; digits and symbols may be missing by chance.
  if (/^[A-Za-z0-9+/_-]+$/.test(body) && /[a-z]/.test(body) && /[A-Z]/.test(body)) return body.length * 6;
  let alphabet = 0;
  if (/[a-z]/.test(body)) alphabet += 26;
  if (/[A-Z]/.test(body)) alphabet += 26;
  if (/[0-9]/.test(body)) alphabet += 10;
  if (/[^A-Za-z0-9]/.test(body)) alphabet += 33;
  return body.length * Math.log2(alphabet);
}

/** Characters that repeat or step (+1, −1) the one before: ~17% of random hex, ~4.5% of base64 (more than half: < 10⁻⁹). */
function runShare(value: string): number {
  let runs = 0;
  for (let i = 1; i < value.length; i++) if (Math.abs(value.charCodeAt(i) - value.charCodeAt(i - 1)) <= 1) runs++;
  return runs / value.length;
}

function distinctTrigramShare(value: string): number {
  const trigrams = new Set<string>();
  for (let i = 0; i + 3 <= value.length; i++) trigrams.add(value.slice(i, i + 3));
  return trigrams.size / Math.max(1, value.length - 2);
}
