import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, opendir, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { CountingTransform } from './counting-transform';
import { type ByteRange, ObjectNotFound, type ObjectStat, type PutOptions, type Storage, type StoredObject } from './storage';

/** Where uploads are written before they are complete (a dot name: list() never sees them). */
const PARTIAL_DIR = '.partial';
const SMALL_CHUNK_BYTES = 64 * 1024;
const LARGE_CHUNK_BYTES = 1024 * 1024;
const LARGE_READ_BYTES = 1024 * 1024;

/**
 * Objects as files under one directory (DATA_DIR/storage by default): a put streams to a
 * temporary file in the same directory tree and renames it into place when complete (and
 * `visibleAfter` has settled), so an object is there whole or not at all, even after a crash. Directories are 0700 and files
 * 0600 (owner-only, like everything under DATA_DIR).
 */
export class LocalStorage implements Storage {
  readonly driver = 'local' as const;

  /** Made by the first put; should someone remove it under a running server, the put that finds it gone fails and the next makes it again. */
  private partialDir?: Promise<unknown>;

  constructor(readonly root: string) {}

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    const target = this.path(key);
    const partial = join(this.root, PARTIAL_DIR, randomUUID());
    this.partialDir ??= mkdir(dirname(partial), { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      this.partialDir = undefined;
      throw error;
    });
    await this.partialDir;
    // The object's folder is made while the bytes stream, not after.
    const folder = mkdir(dirname(target), { recursive: true, mode: 0o700 });
    folder.catch(() => undefined); // awaited below, or moot once the put failed
    const counter = new CountingTransform(options.maxBytes);
    try {
      await pipeline(body, counter, createWriteStream(partial, { mode: 0o600, flags: 'wx', highWaterMark: LARGE_CHUNK_BYTES }), {
        signal: options.signal,
      });
      await options.visibleAfter;
      await folder;
      await rename(partial, target);
      return counter.result();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') this.partialDir = undefined;
      await rm(partial, { force: true });
      throw error;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const length = range ? range.end - range.start + 1 : undefined;
    // Large reads in large chunks (fewer reads and socket writes); small ones in small chunks, as
    // a read stream allocates a whole chunk per read whatever is left to read.
    const highWaterMark = length !== undefined && length < LARGE_READ_BYTES ? SMALL_CHUNK_BYTES : LARGE_CHUNK_BYTES;
    const stream = createReadStream(this.path(key), { ...(range ? { start: range.start, end: range.end } : {}), highWaterMark });
    try {
      // Opened before it is handed on: a missing file is ObjectNotFound here, not an error event later.
      await once(stream, 'ready');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw new ObjectNotFound(key);
      throw error;
    }
    return stream;
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      const found = await stat(this.path(key));
      return found.isFile() ? { size: found.size, modified: found.mtime } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) await rm(this.path(key), { force: true });
  }

  /** Partial files last written before `before` (one being written is touched by every write). */
  async sweepUnfinished(before: Date): Promise<number> {
    let removed = 0;
    for await (const { path, modified } of this.files(join(this.root, PARTIAL_DIR), true)) {
      if (modified >= before) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  async *list(prefix: string): AsyncIterable<{ key: string } & ObjectStat> {
    const start = this.path(prefix.replace(/\/$/, ''));
    for await (const { path, size, modified } of this.files(start, false))
      yield { key: relative(this.root, path).split(sep).join('/'), size, modified };
  }

  /** Files under `dir`, in its subfolders too; dot names (partial files) only when asked for. */
  private async *files(dir: string, dotNames: boolean): AsyncIterable<{ path: string } & ObjectStat> {
    let entries;
    try {
      entries = await opendir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for await (const entry of entries) {
      if (entry.name.startsWith('.') && !dotNames) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) yield* this.files(path, dotNames);
      else if (entry.isFile()) {
        const found = await stat(path).catch((error: NodeJS.ErrnoException) => {
          // Gone since the listing (a put that finished or failed meanwhile): skipped.
          if (error.code === 'ENOENT') return undefined;
          throw error;
        });
        if (found) yield { path, size: found.size, modified: found.mtime };
      }
    }
  }

  /** Keys come from storageKey (checked parts); a key that would still leave the root is refused. */
  private path(key: string): string {
    const path = join(this.root, ...key.split('/'));
    if (relative(this.root, path).startsWith('..')) throw new Error(`Invalid storage key ${key}`);
    return path;
  }
}
