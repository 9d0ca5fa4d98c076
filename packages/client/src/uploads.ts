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
  /** Bytes sent so far, as they are sent; never going back, even when a retry sends some again. */
  onProgress?: ProgressListener;
  /** Called once with the upload's id: keep it (say in localStorage) to resume after a reload. */
  onCreated?: (uploadId: string) => void;
  /** An id from `onCreated` (or the upload's URL): continue that upload from where the server is. */
  resume?: string;
  /** Failed requests in a row (network errors, 5xx, 429) before giving up (default 5). */
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
  const { signal } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const retries = options.retries ?? 5;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError('chunkSize must be a whole number of bytes, at least 1');
  if (!Number.isInteger(retries) || retries < 0) throw new RangeError('retries must be a whole number, at least 0');
  const total = file.size;
  // Never backwards: after a retry the server may hold fewer bytes than were sent.
  let reported = -1;
  const report = (loaded: number) => {
    if (loaded <= reported) return;
    reported = loaded;
    options.onProgress?.({ loaded, total });
  };
  let id: string;
  let offset = 0;
  if (options.resume) {
    id = lastSegment(options.resume);
    const { length, offset: held } = await stateOf(transport, id, signal);
    if (length !== total) throw new Error(`The upload to resume is of a file of ${length} bytes; this file has ${total}.`);
    offset = held;
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
  report(offset);

  for (let failures = 0; ;) {
    const start = offset;
    const end = Math.min(total, start + chunkSize);
    try {
      const sent = await transport.call({
        method: 'PATCH',
        path: `/uploads/${encodeURIComponent(id)}`,
        headers: { ...TUS, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(start) },
        body: file.slice(start, end),
        signal,
        onUploadProgress: (chunk) => report(start + chunk.loaded),
      });
      const next = Number(sent.headers.get('upload-offset'));
      if (!Number.isInteger(next) || next <= start || next > total)
        throw new TypeError(`The server answered an offset of ${next} after ${start}.`);
      offset = next;
      failures = 0;
      report(offset);
      if (offset === total) return finished(sent.headers, target);
    } catch (error) {
      // A refusal stands. A dropped connection, a 5xx, too many requests (429) or the 409 of an
      // offset the server does not have is retried from the offset the server reports.
      const status = error instanceof ProblemError ? error.status : 0;
      const retryable = status === 0 || status === 409 || status === 429 || status >= 500;
      if (signal?.aborted || !retryable || ++failures > retries) throw error;
      await pause(Math.max(backoff(failures - 1), status === 429 ? 1000 : 0), signal);
      offset = await stateOf(transport, id, signal).then(
        (state) => state.offset,
        (lookup: unknown) => {
          // The server ends an upload when its last byte arrives, stored or refused: nothing to resume.
          const gone = lookup instanceof ProblemError && (lookup.status === 404 || lookup.status === 410);
          if (gone && status === 0 && end === total) throw new UploadOutcomeUnknownError();
          throw gone ? error : lookup;
        },
      );
    }
  }
}

/**
 * The answer to the last chunk was lost and the server has ended the upload: the file may be
 * in the record or may have been refused. Read the record before uploading again.
 */
export class UploadOutcomeUnknownError extends Error {
  constructor() {
    super('The connection dropped on the last chunk and the upload is over: read the record to see whether the file is in it.');
    this.name = 'UploadOutcomeUnknownError';
  }
}

async function stateOf(transport: UploadsTransport, id: string, signal?: AbortSignal): Promise<{ offset: number; length: number }> {
  const head = await transport.call({ method: 'HEAD', path: `/uploads/${encodeURIComponent(id)}`, headers: TUS, signal, idempotent: true });
  return { offset: Number(head.headers.get('upload-offset')), length: Number(head.headers.get('upload-length')) };
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
