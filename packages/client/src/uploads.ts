import { backoff, type HttpAnswer, type HttpRequest, pause } from './http.js';
import { ProblemError } from './problem.js';
import type { ProgressListener } from './progress.js';

/** The record file field a resumable upload ends in. */
export interface UploadTarget {
  collection: string;
  record: string;
  field: string;
  /** `add` after the field's files (a multiple field's default) or `set` in their place. */
  mode?: 'add' | 'set';
}

export interface ResumableOptions {
  /** Stops sending; the upload stays on the server until it expires, to be resumed with `resume`. */
  signal?: AbortSignal;
  /** The name to store it under (default: the File's name, or `file`). */
  name?: string;
  /** Bytes per request (default 5 MiB): a dropped connection costs at most one chunk. */
  chunkSize?: number;
  /** Bytes the server has, as they are sent. */
  onProgress?: ProgressListener;
  /** Called once with the upload's id: keep it (say in localStorage) to resume after a reload. */
  onCreated?: (uploadId: string) => void;
  /** An id from `onCreated` (or the upload's URL): continue that upload from where the server is. */
  resume?: string;
  /** Failed requests in a row (network errors, 5xx) before giving up (default 5). */
  retries?: number;
}

/** Where the file went: the record's field holds it under `name`. */
export interface UploadResult {
  name: string;
  /** Download path of the file (the record's view rule applies). */
  url: string;
  /** The record's version after the file was attached (for the next If-Match). */
  version: number;
}

/** The authenticated calls an upload makes through its client (auth headers, refresh on 401). */
export interface UploadsTransport {
  call<T>(request: HttpRequest): Promise<HttpAnswer<T>>;
}

const TUS = { 'tus-resumable': '1.0.0' };
const DEFAULT_CHUNK = 5 * 1024 * 1024;

/**
 * Resumable uploads over tus 1.0: the file goes in chunks, and after a dropped connection the
 * client asks the server how much it has and sends the rest, rather than starting again. The
 * server checks the file when its last byte arrives and attaches it to the record under the
 * record's update rule, as a multipart write would.
 */
export async function uploadResumable(
  transport: UploadsTransport,
  file: Blob,
  target: UploadTarget,
  options: ResumableOptions = {},
): Promise<UploadResult> {
  const { signal, onProgress } = options;
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK);
  const total = file.size;
  let id: string;
  let offset = 0;
  if (options.resume) {
    id = lastSegment(options.resume);
    offset = await offsetOf(transport, id, signal);
  } else {
    const created = await transport.call({
      method: 'POST',
      path: '/uploads',
      headers: { ...TUS, 'upload-length': String(total), 'upload-metadata': metadata(file, target, options.name) },
      signal,
    });
    id = lastSegment(created.headers.get('location') ?? '');
    options.onCreated?.(id);
    if (total === 0) return finished(created.headers, target);
  }
  onProgress?.({ loaded: offset, total });

  for (let failures = 0; ;) {
    const start = offset;
    try {
      const sent = await transport.call({
        method: 'PATCH',
        path: `/uploads/${encodeURIComponent(id)}`,
        headers: { ...TUS, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(start) },
        body: file.slice(start, Math.min(total, start + chunkSize)),
        signal,
        onUploadProgress: onProgress && ((chunk) => onProgress({ loaded: start + chunk.loaded, total })),
      });
      offset = Number(sent.headers.get('upload-offset'));
      failures = 0;
      if (offset >= total) return finished(sent.headers, target);
    } catch (error) {
      // A refusal (a 4xx other than the 409 of an offset the server does not have) stands;
      // a dropped connection or a 5xx is retried from the offset the server reports.
      const retryable = !(error instanceof ProblemError) || error.status === 409 || error.status >= 500;
      if (signal?.aborted || !retryable || ++failures > (options.retries ?? 5)) throw error;
      await pause(backoff(failures - 1), signal);
      offset = await offsetOf(transport, id, signal);
      onProgress?.({ loaded: offset, total });
    }
  }
}

async function offsetOf(transport: UploadsTransport, id: string, signal?: AbortSignal): Promise<number> {
  const head = await transport.call({ method: 'HEAD', path: `/uploads/${encodeURIComponent(id)}`, headers: TUS, signal, idempotent: true });
  return Number(head.headers.get('upload-offset'));
}

function finished(headers: Headers, target: UploadTarget): UploadResult {
  const name = headers.get('record-file') ?? '';
  const path = [target.collection, target.record, name].map(encodeURIComponent).join('/');
  return { name, url: `/api/v1/files/${path}`, version: Number((headers.get('record-etag') ?? '').replace(/\D/g, '')) };
}

/** tus metadata: `key base64(value)` pairs, the values UTF-8. */
function metadata(file: Blob, target: UploadTarget, name: string | undefined): string {
  const values: Record<string, string | undefined> = {
    collection: target.collection,
    record: target.record,
    field: target.field,
    mode: target.mode,
    filename: name ?? (file as Partial<File>).name,
    filetype: file.type || undefined,
  };
  return Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${key} ${base64(value)}`)
    .join(',');
}

function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function lastSegment(idOrUrl: string): string {
  const segment = idOrUrl.split('?')[0].split('/').filter(Boolean).pop();
  if (!segment) throw new Error('The server gave no upload location');
  return decodeURIComponent(segment);
}
