import { randomBytes } from 'node:crypto';
import { keyWeakness, secretWeakness } from './secret-strength';

describe('secret strength', () => {
  it.each([
    ['openssl rand -hex 32', () => randomBytes(32).toString('hex')],
    ['openssl rand -base64 32', () => randomBytes(32).toString('base64')],
    ['32 random bytes, base64url', () => randomBytes(32).toString('base64url')],
    ['openssl rand -base64 48', () => randomBytes(48).toString('base64')],
  ])('accepts what %s makes (2,000 of them)', (_, make) => {
    const refused = Array.from({ length: 2_000 }, make).filter((secret) => secretWeakness(secret) !== undefined);

    expect(refused).toEqual([]);
  });

  it.each([
    ['16 bytes as 32 hex characters', '0123456789abcdef0123456789abcdef', /~128 bits/],
    ['16 random bytes as hex', randomBytes(16).toString('hex'), /~128 bits/],
    ['40 random lower-case letters', Array.from(randomBytes(40), (byte) => String.fromCharCode(97 + (byte % 26))).join(''), /~188 bits/],
    ['a 64-character run', '0123456789abcdef'.repeat(4), /runs or sequences/],
    ['the alphabet in order', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', /runs or sequences/],
    ['one block repeated', 'Xq7!pL2#vB9$'.repeat(4), /repeats itself/],
    ['one character repeated', 'x'.repeat(64), /fewer than 8 different characters/],
    ['a tutorial value', `${randomBytes(32).toString('hex')}-changeme`, /well-known word "changeme"/],
  ])('refuses %s, naming why', (_, secret, reason) => {
    expect(secretWeakness(secret)).toMatch(reason);
  });

  it('refuses an encryption key that is base64 of text, and accepts random bytes', () => {
    expect(keyWeakness(Buffer.from('my-very-own-key-for-backlot-0001'))).toBe('is base64 of text, not of random bytes');
    expect(keyWeakness(Buffer.alloc(32, 0xff))).toBe('repeats bytes too often to be random');
    expect(Array.from({ length: 2_000 }, () => keyWeakness(randomBytes(32))).filter(Boolean)).toEqual([]);
  });
});
