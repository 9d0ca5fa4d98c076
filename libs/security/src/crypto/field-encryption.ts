import { createCipheriv, createHmac, createDecipheriv, createHash, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

export interface EncryptionKeyRing {
  /** Encrypts every new value. Base64 of 32 random bytes. */
  current: string;
  /** Retired keys, kept only to decrypt values written with them until they are re-encrypted. */
  previous?: readonly string[];
}

/** Why a value could not be decrypted. Never carries key material or plaintext. */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Node's base64 decoder skips characters it does not know, so the text is checked first.
const KEY_TEXT = /^[A-Za-z0-9+/]{43}=?$/;
// enc:v1:<kid>:<12-byte IV>:<ciphertext + 16-byte tag>, both base64url without padding.
const SHAPE = /^enc:v1:([0-9a-f]{8}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/;

/** The key id written into each value: enough to pick the key, too short to say anything about it. */
export function keyIdOf(keyBase64: string): string {
  return createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('hex').slice(0, 8);
}

/**
 * AES-256-GCM for secrets stored in database columns (TOTP seeds, provider tokens), with a key
 * ring so the key can be rotated: new values use the current key, older ones stay readable
 * through the previous keys until they are re-encrypted.
 */
export class FieldEncryption {
  private readonly current: { kid: string; key: KeyObject };
  // KeyObjects rather than Buffers, so logging or serialising this object cannot print a key.
  private readonly keys = new Map<string, KeyObject>();

  constructor(ring: EncryptionKeyRing) {
    this.current = this.addKey(ring.current, 'current');
    ring.previous?.forEach((key, index) => this.addKey(key, `previous[${index}]`));
  }

  /**
   * `context` names where the value lives (e.g. `user:<id>:totp`). It is authenticated with the
   * ciphertext, so a value copied into another row or column does not decrypt there.
   */
  encrypt(plaintext: string, context?: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context ?? '', 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.current.kid}:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
  }

  /** Decrypts with whichever key of the ring wrote the value; the context must be the one it was encrypted with. */
  decrypt(value: string, context?: string): string {
    const parts = parse(value);
    if (!parts) throw new DecryptionError('Not an encrypted value (expected enc:v1:<kid>:<iv>:<ciphertext>)');
    const key = this.keys.get(parts.kid);
    if (!key) throw new DecryptionError(`Encrypted with key ${parts.kid}, which is not in the key ring`);
    const decipher = createDecipheriv('aes-256-gcm', key, parts.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context ?? '', 'utf8'));
    decipher.setAuthTag(parts.sealed.subarray(-TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(parts.sealed.subarray(0, -TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('Encrypted value failed authentication (tampered, or decrypted in the wrong context)');
    }
  }

  /**
   * Keyed digests (HMAC-SHA256) of a low-entropy secret under every key of the ring, current
   * first: stored instead of a plain hash (recovery codes), a database copy alone cannot be
   * brute-forced, and values digested under a previous key still match.
   */
  keyedDigests(value: string, context: string): string[] {
    return [this.current.key, ...[...this.keys.values()].filter((key) => key !== this.current.key)].map((key) =>
      createHmac('sha256', key).update(context).update('\u0000').update(value).digest('hex'),
    );
  }

  /** Whether the value should be rewritten with the current key: true for anything not encrypted with it. */
  needsReencryption(value: string): boolean {
    return parse(value)?.kid !== this.current.kid;
  }

  isEncrypted(value: unknown): boolean {
    return typeof value === 'string' && parse(value) !== undefined;
  }

  private addKey(keyBase64: string, label: string): { kid: string; key: KeyObject } {
    const bytes = KEY_TEXT.test(keyBase64) ? Buffer.from(keyBase64, 'base64') : Buffer.alloc(0);
    if (bytes.length !== 32) throw new Error(`Encryption key ${label} must be 32 bytes, base64-encoded`);
    const kid = keyIdOf(keyBase64);
    const key = createSecretKey(bytes);
    const known = this.keys.get(kid);
    if (known && !known.equals(key)) throw new Error(`Encryption keys ${label} and another share key id ${kid}; generate a new key`);
    this.keys.set(kid, key);
    return { kid, key };
  }
}

function parse(value: string): { kid: string; iv: Buffer; sealed: Buffer } | undefined {
  const match = SHAPE.exec(value);
  if (!match) return undefined;
  const [, kid, ivText, sealedText] = match;
  const iv = Buffer.from(ivText, 'base64url');
  const sealed = Buffer.from(sealedText, 'base64url');
  // Only the canonical encoding is accepted, so one ciphertext has exactly one spelling.
  if (iv.toString('base64url') !== ivText || sealed.toString('base64url') !== sealedText) return undefined;
  return { kid, iv, sealed };
}
