import type { Readable } from 'node:stream';

/** What a put stored: its size and SHA-256 (hex), counted while it streamed. */
export interface StoredObject {
  size: number;
  sha256: string;
}

export interface ObjectStat {
  size: number;
  modified: Date;
}

/** Bytes `start` to `end` of an object, both included (as HTTP ranges count). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  /** Most bytes the object may have: past it the put fails with ObjectTooLarge and nothing is left behind. */
  maxBytes: number;
  contentType: string;
  signal?: AbortSignal;
  /**
   * The object must not exist at its key before this settles (the caller's record of it is
   * written meanwhile); if it rejects, the put fails and leaves nothing. The bytes may already
   * stream while it is pending.
   */
  visibleAfter?: Promise<unknown>;
}

/** The object does not exist (or no longer does). */
export class ObjectNotFound extends Error {
  constructor(readonly key: string) {
    super(`No stored object ${key}`);
    this.name = 'ObjectNotFound';
  }
}

/** A put went past its maxBytes; nothing was stored. */
export class ObjectTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`The upload is larger than ${maxBytes} bytes`);
    this.name = 'ObjectTooLarge';
  }
}

/**
 * Where file bytes live: a local directory or an S3-compatible bucket. Bytes stream in and out
 * (no object is ever held whole in memory); an object becomes visible only once it is complete,
 * so a reader never sees half an upload. Keys are `/`-separated paths the caller derives
 * (storageKey), never names from a client.
 */
export interface Storage {
  readonly driver: 'local' | 's3';
  /** Streams `body` to `key` (replacing what was there), counting its size and SHA-256. */
  put(key: string, body: Readable, options: PutOptions): Promise<StoredObject>;
  /** The object's bytes (or a range of them); ObjectNotFound when there is none. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<ObjectStat | null>;
  /** Deletes the objects (missing ones are not an error). */
  delete(keys: readonly string[]): Promise<void>;
  /** Every object whose key starts with `prefix` (the prefix ends with `/`), in no particular order. */
  list(prefix: string): AsyncIterable<{ key: string } & ObjectStat>;
  /**
   * Removes what puts that never finished left behind, started before `before`: a process that
   * died while the bytes streamed leaves a partial file (local) or a multipart upload with its
   * parts (S3), which no row tracks. Returns how many it removed.
   */
  sweepUnfinished(before: Date): Promise<number>;
  /** A time-limited URL the client can read the object from directly, where the driver has one (S3). */
  presignedUrl?(key: string, options: { seconds: number; disposition: string; contentType: string }): Promise<string>;
  /** Releases what the driver holds open (S3: its connection pool), at shutdown. */
  close?(): void;
}

/** Injection token of the configured Storage. */
export const STORAGE = Symbol('STORAGE');

const KEY_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** A key from parts that each passed a strict pattern (no `/`, no `..`, no hidden names). */
export function storageKey(...parts: string[]): string {
  for (const part of parts)
    if (!KEY_PART.test(part) || part.includes('..')) throw new Error(`Invalid storage key part ${JSON.stringify(part.slice(0, 80))}`);
  return parts.join('/');
}
