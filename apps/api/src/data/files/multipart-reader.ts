import { Busboy, type BusboyFileStream } from '@fastify/busboy';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { BadRequest, PayloadTooLarge } from '@backlot/http';

/** A file part as it arrives: its form name, the client's file name and declared type, and its bytes (read them once, now). */
export interface FilePart {
  field: string;
  fileName: string;
  declaredType: string;
  stream: Readable;
}

export interface MultipartLimits {
  /** Form fields (text parts), all together. */
  fields: number;
  /** Bytes of one text part (the `@json` part included). */
  fieldBytes: number;
  files: number;
  /** Bytes of one file: a backstop, the storage put enforces each field's own limit. */
  fileBytes: number;
}

/**
 * Reads a multipart/form-data body as it streams in: text parts are collected, each file part
 * is handed to `onFile` in order and the body waits until it has read (stored) that file,
 * so no file is ever held in memory. Limits are enforced while reading; a body that is cut
 * short, malformed or past a limit fails with a 4xx and the caller discards what `onFile` stored.
 * So does `deadline` once it aborts (with its reason), whether a file, a form field or nothing
 * was arriving. A failure cuts off the file being stored and waits for `onFile` to give up on
 * it: a put that ends anyway is in what the caller discards, not left behind.
 */
export function readMultipart(
  body: Readable,
  headers: IncomingHttpHeaders,
  limits: MultipartLimits,
  deadline: AbortSignal,
  onFile: (part: FilePart) => Promise<void>,
): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    const fields: [string, string][] = [];
    let parser: ReturnType<typeof startParser>;
    try {
      parser = startParser(headers, limits);
    } catch {
      return reject(new BadRequest('The multipart body has no usable boundary in its Content-Type.'));
    }
    let failed = false;
    let queue = Promise.resolve();
    let storing: Readable | undefined;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      deadline.removeEventListener('abort', timedOut);
      body.unpipe(parser);
      // Drain what is left so the connection can answer instead of hanging on a full socket
      // (the answer closes it: see sendProblem).
      body.resume();
      storing?.destroy(error instanceof Error ? error : new Error(String(error)));
      void queue.then(() => reject(error));
    };
    const timedOut = () => fail(deadline.reason);
    parser.on('field', (name: string, value: string, nameTruncated: boolean, valueTruncated: boolean) => {
      if (nameTruncated || valueTruncated)
        return fail(new PayloadTooLarge(`The form field ${name.slice(0, 64)} is longer than ${limits.fieldBytes} bytes.`));
      fields.push([name, value]);
    });
    parser.on('file', (field: string, stream: BusboyFileStream, fileName: string, _encoding: string, declaredType: string) => {
      // A part cut short errors on its own stream, which may not be read yet: unheard, that error would end the process.
      stream.on('error', () => fail(new BadRequest('The multipart body ended inside a file part.')));
      if (failed) return stream.resume();
      queue = queue.then(async () => {
        if (failed) return void stream.resume();
        storing = stream;
        try {
          await onFile({ field, fileName: unescapeFileName(fileName), declaredType, stream });
        } catch (error) {
          stream.resume();
          fail(error);
        } finally {
          storing = undefined;
        }
      });
    });
    parser.on('fieldsLimit', () => fail(new PayloadTooLarge(`The form has more than ${limits.fields} fields.`)));
    parser.on('filesLimit', () => fail(new PayloadTooLarge(`The form has more than ${limits.files} files.`)));
    parser.on('partsLimit', () => fail(new PayloadTooLarge(`The form has more than ${limits.fields + limits.files} parts.`)));
    parser.on('error', (error: Error) => fail(new BadRequest(`The multipart body is malformed: ${error.message}.`)));
    body.on('error', () => fail(new BadRequest('The upload was interrupted before the body ended.')));
    parser.on('finish', () => {
      void queue.then(() => {
        if (failed) return;
        deadline.removeEventListener('abort', timedOut);
        resolve(fields);
      });
    });
    if (deadline.aborted) return timedOut();
    deadline.addEventListener('abort', timedOut, { once: true });
    body.pipe(parser);
  });
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * Browsers and fetch() write `"`, CR and LF of a file name as %22, %0D and %0A (the HTML
 * standard's form encoding) and leave every other `%` alone; busboy hands the escaped text on.
 * Undone here, so `a "b".txt` is stored under its own name; the name is cleaned later as any is.
 */
function unescapeFileName(name: string): string {
  return name.replace(/%(22|0D|0A)/gi, (_match, code: string) => String.fromCharCode(parseInt(code, 16)));
}

function startParser(headers: IncomingHttpHeaders, limits: MultipartLimits) {
  return new Busboy({
    headers: headers as IncomingHttpHeaders & { 'content-type': string },
    // Larger buffers than the 16 KiB defaults: far fewer chunks (and callbacks) per large file.
    highWaterMark: CHUNK_BYTES,
    fileHwm: CHUNK_BYTES,
    limits: {
      fields: limits.fields,
      fieldSize: limits.fieldBytes,
      fieldNameSize: 200,
      files: limits.files,
      parts: limits.fields + limits.files,
      fileSize: limits.fileBytes + 1,
      headerPairs: 20,
    },
  });
}
