import { PassThrough, type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FilePart, readMultipart } from './multipart-reader';

const BOUNDARY = 'spec-boundary';
const HEADERS = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
const LIMITS = { fields: 10, fieldBytes: 1024, files: 5, fileBytes: 1024 * 1024 };

/** A request body that has sent the start of one file part and then nothing more (a stalled client). */
function stalledInAFile(): Readable {
  const body = new PassThrough();
  body.write(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n${'x'.repeat(10_000)}`,
  );
  return body;
}

/** A deadline that passes after `ms`, aborting with `reason`. */
function deadlineIn(ms: number, reason: Error): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), ms).unref();
  return controller.signal;
}

const drain = (stream: Readable) => pipeline(stream, new Writable({ write: (_chunk, _encoding, done) => done() }));

describe('readMultipart and its deadline', () => {
  const late = new Error('too late');

  it('fails with the deadline’s reason and cuts off the file being stored', async () => {
    let storeError: unknown;
    const reading = readMultipart(stalledInAFile(), HEADERS, LIMITS, deadlineIn(50, late), async (part: FilePart) => {
      await drain(part.stream).catch((error: unknown) => {
        storeError = error;
        throw error;
      });
    });
    await expect(reading).rejects.toBe(late);
    expect(storeError).toBe(late);
  });

  it('fails only once the file being stored is given up on, so a put that ends anyway is among what the caller discards', async () => {
    const events: string[] = [];
    // A store that does not read its stream and still finishes after the deadline (a put past its last byte).
    const reading = readMultipart(stalledInAFile(), HEADERS, LIMITS, deadlineIn(50, late), async () => {
      await sleep(300);
      events.push('stored');
    });
    await expect(
      reading.catch((error: unknown) => {
        events.push('failed');
        throw error;
      }),
    ).rejects.toBe(late);
    expect(events).toEqual(['stored', 'failed']);
  });

  it('fails at once when the deadline passed before the body was read, without calling onFile', async () => {
    const controller = new AbortController();
    controller.abort(late);
    const onFile = jest.fn(async () => undefined);
    await expect(readMultipart(stalledInAFile(), HEADERS, LIMITS, controller.signal, onFile)).rejects.toBe(late);
    expect(onFile).not.toHaveBeenCalled();
  });

  it('reads a whole body before the deadline as usual, and the deadline then changes nothing', async () => {
    const body = new PassThrough();
    body.end(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n--${BOUNDARY}--\r\n`);
    const deadline = deadlineIn(50, late);
    await expect(readMultipart(body, HEADERS, LIMITS, deadline, async () => undefined)).resolves.toEqual([['title', 'hello']]);
    await sleep(100);
    expect(deadline.aborted).toBe(true);
  });
});
