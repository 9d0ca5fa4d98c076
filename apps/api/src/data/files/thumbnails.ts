import { Inject, Injectable } from '@nestjs/common';
import { buffer } from 'node:stream/consumers';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { BadRequest, NotFound, ServiceUnavailable, Unprocessable } from '@backlot/http';
import { ObjectNotFound, STORAGE, type Storage } from '@backlot/storage';
import { parseThumbSize } from '../collections/file-field-options';
import { ThumbnailBytes } from './thumbnail-bytes';
import { ImageRefused, type RenderLimits, type RefusalReason, renderThumbnail, thumbnailType } from './thumbnail-render';

/** A stored thumbnail: where it is, its media type and its size in bytes. */
export interface Thumbnail {
  key: string;
  type: string;
  size: number;
}

/** Largest thumbnail: a 4096×4096 RGBA PNG of noise (sides are at most 4096), plus room for PNG's framing. */
const MAX_THUMBNAIL_BYTES = 4_096 * 4_096 * 4 + 1024 ** 2;

const KNOWN_THUMBNAILS = 10_000;

const REFUSAL_CODES: Readonly<Record<RefusalReason, string>> = {
  'not-this-type': 'imageUnreadable',
  unreadable: 'imageUnreadable',
  'too-many-pixels': 'imageTooLarge',
  'too-slow': 'imageTooSlow',
};

/**
 * Thumbnails of stored images, made on first request and stored beside the file (its stored name
 * is unique per upload, so a thumbnail never goes stale). Rendering is CPU-bound, so one instance
 * renders at most THUMBS_CONCURRENCY at once, queues up to THUMBS_MAX_QUEUE more and turns the
 * rest away with 503 and Retry-After; concurrent requests for the same thumbnail share one render.
 */
@Injectable()
export class Thumbnails {
  private readonly inFlight = new Map<string, Promise<Thumbnail>>();
  /** Thumbnails known to be stored (they never change: names are unique per upload), newest last. */
  private readonly known = new Map<string, Thumbnail>();
  private readonly slots: RenderSlots;
  private readonly limits: RenderLimits;
  private readonly memory: ThumbnailBytes;

  constructor(
    @Inject(STORAGE) private readonly storage: Storage,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.slots = new RenderSlots(config.thumbs.concurrency, config.thumbs.maxQueue);
    this.limits = { maxInputPixels: config.thumbs.maxInputPixels, timeoutSeconds: config.thumbs.timeoutSeconds };
    this.memory = new ThumbnailBytes(config.thumbs.memoryBytes);
  }

  /** Types a thumbnail can be made of. */
  static canThumb(type: string): boolean {
    return thumbnailType(type) !== undefined;
  }

  /**
   * Makes (once) and stores the `size` thumbnail of a stored file; returns where it is and its type and size.
   * `thumbKey` is thumbnailKey(collection, record, name, size); `size` must be one the field declares.
   */
  async ensure(file: { key: string; thumbKey: string; type: string }, size: string): Promise<Thumbnail> {
    const box = parseThumbSize(size);
    if (!box) throw new BadRequest(`"${size.slice(0, 20)}" is not a thumbnail size such as 100x100 or 480x0.`);
    const type = thumbnailType(file.type);
    if (!type) throw new BadRequest(`No thumbnails are made of ${file.type} files, only of JPEG, PNG, WebP, GIF and AVIF images.`);
    const known = this.known.get(file.thumbKey);
    if (known) return known;
    // Looked up before any await, so parallel callers find each other's render.
    const running = this.inFlight.get(file.thumbKey);
    if (running) return running;
    const made = this.make(file, box, type)
      .then((thumbnail) => this.remember(thumbnail))
      .finally(() => this.inFlight.delete(file.thumbKey));
    this.inFlight.set(file.thumbKey, made);
    return made;
  }

  /**
   * A stored thumbnail's bytes if it is small enough to be kept in memory (read from storage the
   * first time); undefined for one that is streamed from storage each time.
   */
  async bytesOf(thumbnail: Thumbnail): Promise<Buffer | undefined> {
    if (!this.memory.keeps(thumbnail.size)) return undefined;
    const kept = this.memory.get(thumbnail.key);
    if (kept) return kept;
    try {
      const bytes = await buffer(await this.storage.read(thumbnail.key));
      this.memory.set(thumbnail.key, bytes);
      return bytes;
    } catch (error) {
      if (error instanceof ObjectNotFound) throw new NotFound('The thumbnail’s bytes are not in storage.');
      throw error;
    }
  }

  /**
   * Kept so a cached thumbnail costs no storage lookup. A file's thumbnails go with it, and
   * a download asks for one only of a file its record still has, so an entry never outlives
   * a use; a bounded number are kept all the same.
   */
  private remember(thumbnail: Thumbnail): Thumbnail {
    if (this.known.size >= KNOWN_THUMBNAILS) this.known.delete(this.known.keys().next().value!);
    this.known.set(thumbnail.key, thumbnail);
    return thumbnail;
  }

  private async make(file: { key: string; thumbKey: string; type: string }, box: { width: number; height: number }, type: string) {
    const stored = await this.storage.stat(file.thumbKey);
    if (stored) return { key: file.thumbKey, type, size: stored.size };
    const release = await this.slots.acquire();
    try {
      const source = await this.storage.read(file.key);
      const put = await renderThumbnail(source, file.type, box, this.limits, (body) =>
        this.storage.put(file.thumbKey, body, { maxBytes: MAX_THUMBNAIL_BYTES, contentType: type }),
      );
      return { key: file.thumbKey, type, size: put.size };
    } catch (error) {
      if (error instanceof ImageRefused)
        throw new Unprocessable([{ path: 'file', code: REFUSAL_CODES[error.reason], message: error.message }], error.message);
      if (error instanceof ObjectNotFound) throw new NotFound('The file’s bytes are not in storage.');
      throw error;
    } finally {
      release();
    }
  }
}

/**
 * At most `limit` holders at once, at most `maxQueue` waiting (first come, first served); past
 * that, acquire refuses at once rather than letting requests pile up behind a slow CPU.
 */
export class RenderSlots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxQueue: number,
  ) {}

  /** Waits for a slot; the returned function gives it back (once). */
  async acquire(): Promise<() => void> {
    if (this.active < this.limit) this.active++;
    else if (this.waiting.length < this.maxQueue) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else
      // A render takes about a second at most sizes: by then the queue ahead has moved by `limit`.
      throw new ServiceUnavailable('The server is busy making thumbnails; retry shortly.', {
        retryAfter: Math.min(30, Math.max(1, Math.ceil(this.waiting.length / this.limit))),
      });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // A waiter takes the slot over as it is: `active` stays the same.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}
