import { randomBytes } from 'node:crypto';
import { storageKey } from '@backlot/storage';

/**
 * A stored file as a record's field holds it (in the record's JSONB, so rules, history,
 * realtime, exports and backups see it): the unique stored name its URL and storage key use,
 * the name it was uploaded under, and what its bytes are.
 */
export interface FileRef {
  /** Unique per upload: `<sanitized name>_<10 random chars>.<ext>`; safe in a URL and a storage key. */
  name: string;
  /** The uploader's file name, cleaned (shown and offered as the download's name). */
  original: string;
  size: number;
  /** The media type its bytes were recognised as. */
  type: string;
  /** SHA-256 of the bytes, hex (the download's ETag). */
  sha256: string;
}

/** JSON Schema of a stored FileRef (the record validator and the OpenAPI document share it). */
export const FILE_REF_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'original', 'size', 'type', 'sha256'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,80}_[a-z0-9]{10}(\\.[a-z0-9]{1,10})?$' },
    original: { type: 'string', maxLength: 255 },
    size: { type: 'integer', minimum: 1 },
    type: { type: 'string', maxLength: 255 },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
} as const;

const NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A unique stored name for an upload: its base name folded to lower-case ASCII letters, digits,
 * `_` and `-` (accents dropped, everything else `_`, at most 80 characters; `file` when nothing
 * is left), 10 random characters, and the extension of its recognised type. Never a path: a
 * hostile name (`../../etc/passwd`, NUL, RTL marks) cannot reach storage or a URL.
 */
export function storedName(original: string, extension: string | undefined): string {
  const base =
    original
      .replace(/\.[^.]*$/, '')
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '_')
      .replace(/^[_-]+|[_-]+$/g, '')
      .slice(0, 80) || 'file';
  const random = Array.from(randomBytes(10), (byte) => NAME_ALPHABET[byte % NAME_ALPHABET.length]).join('');
  const ext = extension
    ?.toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 10);
  return `${base}_${random}${ext ? `.${ext}` : ''}`;
}

/** The uploader's name as kept for display: no path, no control or bidirectional-override characters, at most 255 characters. */
export function cleanOriginalName(original: string): string {
  const last = original.split(/[\\/]/).pop() ?? '';
  const clean = last
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .slice(0, 255);
  return clean || 'file';
}

/** Where a file's bytes are stored: one prefix per collection and per record, so both can be cleaned up whole. */
export function fileKey(collectionId: string, recordId: string, name: string): string {
  return storageKey(collectionId, recordId, name);
}

/** Where one thumbnail size of a file is stored, beside the file. */
export function thumbnailKey(collectionId: string, recordId: string, name: string, size: string): string {
  return storageKey(collectionId, recordId, `${name}.thumbs`, size);
}

/** The file's stable download URL (the record's view rule applies to it). */
export function fileUrl(collectionName: string, recordId: string, name: string): string {
  return `/api/v1/files/${collectionName}/${recordId}/${name}`;
}
