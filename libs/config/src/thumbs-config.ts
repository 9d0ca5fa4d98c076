import { availableParallelism } from 'node:os';
import type { ThumbsConfig } from './config.types';
import type { EnvReader } from './env-reader';

/**
 * sharp renders on libuv's thread pool, which also runs every file read and write (4 threads
 * unless UV_THREADPOOL_SIZE says otherwise): by default leave one core for the rest of the
 * process and one pool thread for disk I/O.
 */
export function defaultThumbsConcurrency(cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, 3));
}

export function readThumbs(read: EnvReader): ThumbsConfig {
  return {
    maxInputPixels: read.int('THUMBS_MAX_INPUT_PIXELS', 50_000_000, { min: 1_000_000, max: 1_000_000_000 }),
    concurrency: read.int('THUMBS_CONCURRENCY', defaultThumbsConcurrency(), { min: 1, max: 64 }),
    maxQueue: read.int('THUMBS_MAX_QUEUE', 100, { min: 0, max: 100_000 }),
    timeoutSeconds: read.int('THUMBS_TIMEOUT_SECONDS', 30, { min: 1, max: 3_600 }),
    memoryBytes: read.int('THUMBS_MEMORY_BYTES', 16 * 1024 * 1024, { min: 0, max: 1024 ** 3 }),
  };
}
