import { randomBytes } from 'node:crypto';
import { json } from './test-app';
import type { UserSession } from './auth';

/** A file part for a multipart form: bytes, the name the client gives it, and its declared type. */
export interface UploadPart {
  name: string;
  bytes: Uint8Array | string;
  type?: string;
}

/** A multipart/form-data body (built by fetch's FormData, as a browser would send it). */
export function form(fields: Record<string, string | string[]>, files: Record<string, UploadPart | UploadPart[]> = {}): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const item of [value].flat()) body.append(name, item);
  for (const [name, parts] of Object.entries(files))
    for (const part of [parts].flat())
      body.append(
        name,
        new Blob([typeof part.bytes === 'string' ? part.bytes : new Uint8Array(part.bytes)], { type: part.type ?? '' }),
        part.name,
      );
  return body;
}

/** Sends a form to a record route as `who`. */
export function sendForm(
  who: UserSession,
  method: string,
  path: string,
  body: FormData,
  headers: Record<string, string> = {},
): Promise<Response> {
  return who.request(path, { method, body, headers });
}

/** A real 1x1 PNG (the smallest an image decoder accepts). */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** A stored file as a record shows it: the SDK's type is the one description of it. */
export type { StoredFile as StoredFileView } from '@backlot/client';

export async function recordOf(response: Response): Promise<Record<string, unknown> & { id: string; version: number }> {
  return json(response);
}

/**
 * `size` random bytes that no type sniffer recognises: random data now and then starts like an
 * MP3 frame, so a NUL-led marker comes first (the file is then stored as application/octet-stream).
 */
export function opaqueBytes(size: number): Buffer {
  const marker = Buffer.from('\0backlot opaque\0');
  return Buffer.concat([marker, randomBytes(Math.max(0, size - marker.length))]).subarray(0, size);
}
