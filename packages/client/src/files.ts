import type { CallOptions } from './http.js';
import { type ResumableOptions, type UploadResult, type UploadsTransport, type UploadTarget, uploadResumable } from './uploads.js';

/** A stored file as a record shows it. */
export interface StoredFile {
  name: string;
  original: string;
  size: number;
  type: string;
  sha256: string;
  /** Download path under the server (the record's view rule applies). */
  url: string;
}

export interface FileToken {
  token: string;
  expiresAt: string;
}

/** What the files helper needs of its client: its calls, authenticated. */
export interface FilesTransport extends UploadsTransport {
  serverUrl: string;
}

/**
 * URLs of stored files, for links and `<img src>`. An `<img>` cannot send an Authorization
 * header, so a protected field's files need a short-lived token in the URL: `token()` asks for
 * one (for one file, or every file of a record) and `url()` puts it in.
 */
export class Files {
  constructor(private readonly transport: FilesTransport) {}

  /** The absolute URL of a file, or of one of its declared thumbnail sizes (`thumb: '100x100'`). */
  url(file: Pick<StoredFile, 'url'>, options: { thumb?: string; token?: string | FileToken } = {}): string {
    const url = new URL(file.url, `${this.transport.serverUrl}/`);
    if (options.thumb) url.searchParams.set('thumb', options.thumb);
    const token = typeof options.token === 'string' ? options.token : options.token?.token;
    if (token) url.searchParams.set('token', token);
    return url.href;
  }

  /** A token that opens the record's files (or only `name`) for a few minutes, for the signed-in session. */
  token(target: { collection: string; record: string; name?: string }, options: CallOptions = {}): Promise<FileToken> {
    return this.transport
      .call<FileToken>({ method: 'POST', path: '/files/token', body: target, signal: options.signal })
      .then((answer) => answer.data);
  }

  /**
   * Sends a file into a record's file field in chunks, resuming after dropped connections
   * (tus): for files too large to send in one request. The record must exist.
   */
  upload(file: Blob, target: UploadTarget, options: ResumableOptions = {}): Promise<UploadResult> {
    return uploadResumable(this.transport, file, target, options);
  }
}
