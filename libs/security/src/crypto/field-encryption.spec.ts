import { createHash, randomBytes } from 'node:crypto';
import { DecryptionError, FieldEncryption, keyIdOf } from './field-encryption';

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Rewrites one base64url segment of an encrypted value, as someone with write access to the database could. */
function tamper(value: string, segment: 3 | 4, change: (bytes: Buffer) => Buffer): string {
  const parts = value.split(':');
  parts[segment] = change(Buffer.from(parts[segment], 'base64url')).toString('base64url');
  return parts.join(':');
}

function catchError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

function flipFirstBit(bytes: Buffer): Buffer {
  bytes[0] ^= 1;
  return bytes;
}

describe('FieldEncryption', () => {
  const encryption = new FieldEncryption({ current: KEY_A });

  it.each([
    ['text', 'JBSWY3DPEHPK3PXP'],
    ['unicode', 'pässwörd 🔐 秘密'],
    ['the empty string', ''],
  ])('decrypts what it encrypted (%s)', (_, plaintext) => {
    expect(encryption.decrypt(encryption.encrypt(plaintext))).toBe(plaintext);
    expect(encryption.decrypt(encryption.encrypt(plaintext, 'user:1:totp'), 'user:1:totp')).toBe(plaintext);
  });

  it('writes enc:v1:<key id>:<12-byte iv>:<ciphertext and 16-byte tag>', () => {
    const [prefix, version, kid, iv, sealed] = encryption.encrypt('secret').split(':');

    expect([prefix, version, kid]).toEqual(['enc', 'v1', keyIdOf(KEY_A)]);
    expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(sealed, 'base64url')).toHaveLength('secret'.length + 16);
  });

  it('uses a fresh IV for every value, so equal plaintexts do not look equal', () => {
    const first = encryption.encrypt('same');
    const second = encryption.encrypt('same');

    expect(first.split(':')[3]).not.toBe(second.split(':')[3]);
    expect(first).not.toBe(second);
  });

  it('derives the key id from the first 8 hex characters of the key bytes’ SHA-256', () => {
    const expected = createHash('sha256').update(Buffer.from(KEY_A, 'base64')).digest('hex').slice(0, 8);

    expect(keyIdOf(KEY_A)).toBe(expected);
  });

  describe('refuses to decrypt', () => {
    const value = encryption.encrypt('top secret', 'user:1:totp');

    it.each([
      ['a flipped ciphertext bit', tamper(value, 4, flipFirstBit)],
      ['a flipped tag bit', tamper(value, 4, (bytes) => flipFirstBit(bytes.reverse()).reverse())],
      ['a flipped IV bit', tamper(value, 3, flipFirstBit)],
      ['a truncated ciphertext', tamper(value, 4, (bytes) => bytes.subarray(1))],
    ])('a value with %s', (_, tampered) => {
      expect(() => encryption.decrypt(tampered, 'user:1:totp')).toThrow(DecryptionError);
    });

    it('a value copied to another row or field (wrong context)', () => {
      expect(() => encryption.decrypt(value, 'user:2:totp')).toThrow(DecryptionError);
      expect(() => encryption.decrypt(value)).toThrow(DecryptionError);
    });

    it.each([
      ['plaintext', 'top secret'],
      ['another version', value.replace('enc:v1:', 'enc:v2:')],
      ['a missing segment', value.split(':').slice(0, 4).join(':')],
      ['a short IV', tamper(value, 3, (bytes) => bytes.subarray(4))],
    ])('%s', (_, malformed) => {
      expect(() => encryption.decrypt(malformed, 'user:1:totp')).toThrow(DecryptionError);
    });

    it('a second spelling of the same bytes (non-canonical base64url)', () => {
      // 26 sealed bytes leave 2 unused bits in the last character; flipping one keeps the bytes.
      const last = ALPHABET[ALPHABET.indexOf(value.at(-1) ?? '') ^ 1];
      const respelled = value.slice(0, -1) + last;

      expect(Buffer.from(respelled.split(':')[4], 'base64url')).toEqual(Buffer.from(value.split(':')[4], 'base64url'));
      expect(encryption.isEncrypted(respelled)).toBe(false);
      expect(() => encryption.decrypt(respelled, 'user:1:totp')).toThrow(DecryptionError);
    });

    it('a value whose key is not in the ring', () => {
      expect(() => new FieldEncryption({ current: KEY_B }).decrypt(value, 'user:1:totp')).toThrow(
        new DecryptionError(`Encrypted with key ${keyIdOf(KEY_A)}, which is not in the key ring`),
      );
    });

    it('without putting key material or plaintext in the error', () => {
      const error = catchError(() => encryption.decrypt(tamper(value, 4, flipFirstBit), 'user:1:totp'));

      expect(error).toBeInstanceOf(DecryptionError);
      expect(error.name).toBe('DecryptionError');
      expect(error.stack).not.toContain('top secret');
      expect(error.stack).not.toContain(KEY_A);
    });
  });

  describe('key rotation', () => {
    const withA = new FieldEncryption({ current: KEY_A }).encrypt('seed', 'user:1:totp');
    const rotated = new FieldEncryption({ current: KEY_B, previous: [KEY_A] });

    it('decrypts values written with a previous key', () => {
      expect(rotated.decrypt(withA, 'user:1:totp')).toBe('seed');
    });

    it('flags values written with a previous key for re-encryption, and new ones not', () => {
      const withB = rotated.encrypt('seed', 'user:1:totp');

      expect(rotated.needsReencryption(withA)).toBe(true);
      expect(rotated.needsReencryption(withB)).toBe(false);
      expect(rotated.decrypt(withB, 'user:1:totp')).toBe('seed');
    });

    it('flags anything not encrypted with the current key, including plaintext', () => {
      expect(rotated.needsReencryption('legacy plaintext')).toBe(true);
    });

    it('no longer decrypts once the previous key has left the ring', () => {
      expect(() => new FieldEncryption({ current: KEY_B }).decrypt(withA, 'user:1:totp')).toThrow(DecryptionError);
    });
  });

  describe('isEncrypted', () => {
    it('recognises its own output', () => {
      expect(encryption.isEncrypted(encryption.encrypt('x'))).toBe(true);
      expect(encryption.isEncrypted(encryption.encrypt(''))).toBe(true);
    });

    it.each([['plain text'], ['enc:v1:'], ['enc:v1:zzzzzzzz:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA'], [null], [undefined], [42], [{}]])(
      'rejects %p',
      (value) => {
        expect(encryption.isEncrypted(value)).toBe(false);
      },
    );
  });

  describe('key validation', () => {
    it.each([
      ['16 bytes', randomBytes(16).toString('base64')],
      ['64 bytes', randomBytes(64).toString('base64')],
      ['hex text', randomBytes(32).toString('hex')],
      ['the empty string', ''],
    ])('rejects a current key of %s', (_, key) => {
      expect(() => new FieldEncryption({ current: key })).toThrow('Encryption key current must be 32 bytes, base64-encoded');
    });

    it('rejects a previous key of the wrong length, naming which one without printing it', () => {
      const short = randomBytes(31).toString('base64');

      expect(() => new FieldEncryption({ current: KEY_A, previous: [KEY_B, short] })).toThrow(
        'Encryption key previous[1] must be 32 bytes, base64-encoded',
      );
    });

    it('accepts the current key repeated among the previous ones', () => {
      expect(() => new FieldEncryption({ current: KEY_A, previous: [KEY_A] })).not.toThrow();
    });
  });
});
