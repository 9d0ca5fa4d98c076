import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { PayloadTooLarge, Unprocessable, UnsupportedMediaType } from '@backlot/http';
import { ObjectTooLarge, STORAGE, type Storage } from '@backlot/storage';
import type { CollectionSchema } from '../collections/collection-schema';
import type { FieldDefinition } from '../collections/field-definition';
import { sniffFile, typeAllowed } from './file-sniffer';
import { cleanOriginalName, type FileRef, fileKey, storedName } from './file-ref';
import { StoredFilesRepository } from './stored-files.repository';

/** One file arriving for a record's field. */
export interface IncomingFile {
  collection: CollectionSchema;
  field: FieldDefinition;
  recordId: string;
  ownerId: string | null;
  fileName: string;
  declaredType: string;
  stream: Readable;
  /** Bytes the same write stored before this file: not yet in the uploader's usage (they count once it commits). */
  storedBefore: number;
  /** The deadline of the write this file belongs to (FileUploads.deadline): the put stops, failing with its reason, when it passes. */
  deadline: AbortSignal;
}

/** A running deadline: `clear` it once the uploads it bounds are over. */
export interface UploadDeadline {
  signal: AbortSignal;
  clear(): void;
}

/**
 * Stores uploaded files for record fields: checks the bytes against the field (recognised type
 * in its allow-list, size within its maxSize, the global limit and the uploader's quota, all
 * while streaming) and tracks each object in stored_files from before it exists at its key.
 * What it stores is `pending` (size unknown) until the record write that uses it commits
 * (RecordFiles.settling records what the bytes turned out to be).
 */
@Injectable()
export class FileUploads {
  private readonly logger = new Logger('Files');

  constructor(
    @Inject(STORAGE) private readonly storage: Storage,
    private readonly files: StoredFilesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Stores one file; on any refusal nothing of it is left (no bytes, no row). */
  async store(incoming: IncomingFile): Promise<FileRef> {
    const { collection, field, recordId } = incoming;
    const original = cleanOriginalName(incoming.fileName);
    const sniffed = await sniffFile(incoming.stream, incoming.declaredType, original);
    if (sniffed.empty) {
      sniffed.stream.resume();
      throw new Unprocessable([{ path: field.name, code: 'empty', message: `${original} is empty (0 bytes)` }], 'A file cannot be empty.');
    }
    if (!typeAllowed(sniffed.type, field.mimeTypes)) {
      sniffed.stream.resume();
      throw new UnsupportedMediaType(`${field.name} accepts ${field.mimeTypes!.join(', ')}; ${original} is ${sniffed.type}.`);
    }
    const limit = await this.limitFor(field, incoming.ownerId, incoming.storedBefore);
    const name = storedName(original, sniffed.extension);
    const key = fileKey(collection.id, recordId, name);
    // The row is written while the bytes stream; the object appears at its key only after it.
    const pending = this.files.addPending({
      key,
      collectionId: collection.id,
      recordId,
      field: field.name,
      name,
      ownerId: incoming.ownerId,
    });
    pending.catch(() => undefined); // awaited through the put, or below
    try {
      const stored = await this.storage.put(key, sniffed.stream, {
        maxBytes: limit.bytes,
        contentType: sniffed.type,
        visibleAfter: pending,
        signal: incoming.deadline,
      });
      return { name, original, size: stored.size, type: sniffed.type, sha256: stored.sha256 };
    } catch (error) {
      sniffed.stream.resume();
      await pending.catch(() => undefined); // so the row is not written after the discard removed it
      await this.discard([key]);
      if (error instanceof ObjectTooLarge) throw new PayloadTooLarge(`${original} is larger than ${limit.why}.`);
      if (incoming.deadline.aborted) throw incoming.deadline.reason;
      throw error;
    }
  }

  /**
   * The deadline of one write's uploads, all its files together: FILES_UPLOAD_TIMEOUT_SECONDS
   * from now, then it aborts with `reason(seconds)`. What the write stored must reach its record
   * before the files sweep could take it for abandoned (pending rows, partial files and
   * multipart uploads older than the grace period, at least twice this long).
   */
  deadline(reason: (seconds: number) => Error): UploadDeadline {
    const seconds = this.config.files.uploadTimeoutSeconds;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(reason(seconds)), seconds * 1000).unref();
    return { signal: controller.signal, clear: () => clearTimeout(timer) };
  }

  /** Removes objects and their rows (uploads whose write failed, files a committed write dropped), thumbnails included. */
  async discard(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      const thumbnails: string[] = [];
      for (const key of keys) for await (const thumb of this.storage.list(`${key}.thumbs/`)) thumbnails.push(thumb.key);
      await this.storage.delete([...keys, ...thumbnails]);
      await this.files.forget(keys);
    } catch (error) {
      // The rows stay (pending or deleting): the sweep retries.
      this.logger.warn({ msg: 'stored files could not be removed yet', keys: keys.length, error: (error as Error).message });
    }
  }

  /** 413 when `bytes` more would take the user past their storage quota. */
  async checkQuota(ownerId: string, bytes: number): Promise<void> {
    const quota = this.config.files.userQuotaBytes;
    if (quota === 0) return;
    const left = Math.max(0, quota - (await this.files.usageOf(ownerId)));
    if (bytes > left)
      throw new PayloadTooLarge(`The upload is larger than what is left of your storage quota (${left} of ${quota} bytes).`);
  }

  /** The most bytes this file may have, and which limit that is (said in the 413). */
  private async limitFor(field: FieldDefinition, ownerId: string | null, storedBefore: number): Promise<{ bytes: number; why: string }> {
    const global = this.config.storage.maxFileBytes;
    let limit =
      field.maxSize !== undefined && field.maxSize < global
        ? { bytes: field.maxSize, why: `${field.name}'s maxSize (${field.maxSize} bytes)` }
        : { bytes: global, why: `the upload limit (${global} bytes)` };
    const quota = this.config.files.userQuotaBytes;
    if (quota > 0 && ownerId) {
      const left = Math.max(0, quota - (await this.files.usageOf(ownerId)) - storedBefore);
      if (left < limit.bytes) limit = { bytes: left, why: `what is left of your storage quota (${left} of ${quota} bytes)` };
    }
    return limit;
  }
}
