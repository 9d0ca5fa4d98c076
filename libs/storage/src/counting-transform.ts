import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ObjectTooLarge, type StoredObject } from './storage';

/**
 * Passes bytes through while counting them and hashing them (SHA-256), and fails the stream
 * with ObjectTooLarge as soon as they exceed `maxBytes`: an oversized upload stops while it
 * streams, not after it was stored.
 */
export class CountingTransform extends Transform {
  // Not `size`: the S3 SDK takes a body's `size` property for its length.
  private bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return done(new ObjectTooLarge(this.maxBytes));
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Once the stream has ended: what passed through. */
  result(): StoredObject {
    return { size: this.bytes, sha256: this.hash.digest('hex') };
  }
}
