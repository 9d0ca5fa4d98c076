import { PayloadTooLarge, ValidationFailed } from '@backlot/http';

/** One physical line of an upload: 1-based number, text without its terminator, and that terminator. */
export interface Line {
  number: number;
  text: string;
  /** '\n', '\r\n', or '' for a last line without one (CSV puts it back inside quoted cells). */
  ending: string;
  /** Size in bytes, terminator included. */
  bytes: number;
}

export interface LineLimits {
  /** Longest line, in bytes: beyond it the upload is refused (413) instead of buffered. */
  maxLineBytes: number;
  /** Largest upload, in bytes (413 beyond). */
  maxTotalBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const BOM = '\ufeff';

/**
 * Splits a byte stream into lines while it arrives: only the current line is held, so
 * memory stays bounded by `maxLineBytes` whatever the upload's size. LF is ASCII and never
 * part of a multi-byte UTF-8 sequence, so lines are cut on bytes and decoded whole.
 */
export async function* readLines(source: AsyncIterable<Buffer | string>, limits: LineLimits): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  let number = 0;

  const finish = (tail: Buffer, terminated: boolean): Line => {
    const bytes = pendingBytes + tail.length;
    if (bytes > limits.maxLineBytes) throw lineTooLong(number + 1, limits.maxLineBytes);
    let content = pending.length === 0 ? tail : Buffer.concat([...pending, tail], bytes);
    let ending = terminated ? '\n' : '';
    if (terminated && content.at(-1) === CR) {
      content = content.subarray(0, -1);
      ending = '\r\n';
    }
    pending = [];
    pendingBytes = 0;
    number += 1;
    let text: string;
    try {
      text = decoder.decode(content);
    } catch {
      throw new ValidationFailed(
        [{ path: `line ${number}`, code: 'invalidEncoding', message: 'the line is not valid UTF-8' }],
        `Line ${number} is not valid UTF-8; send the file as UTF-8.`,
      );
    }
    if (number === 1 && text.startsWith(BOM)) text = text.slice(1);
    return { number, text, ending, bytes: bytes + (terminated ? 1 : 0) };
  };

  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    total += chunk.length;
    if (limits.maxTotalBytes !== undefined && total > limits.maxTotalBytes)
      throw new PayloadTooLarge(`The upload exceeds ${limits.maxTotalBytes} bytes.`);
    let start = 0;
    for (let end = chunk.indexOf(LF, start); end !== -1; end = chunk.indexOf(LF, start)) {
      yield finish(chunk.subarray(start, end), true);
      start = end + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      pending.push(rest);
      pendingBytes += rest.length;
      if (pendingBytes > limits.maxLineBytes) throw lineTooLong(number + 1, limits.maxLineBytes);
    }
  }
  if (pendingBytes > 0) yield finish(Buffer.alloc(0), false);
}

function lineTooLong(number: number, max: number): PayloadTooLarge {
  const error = new PayloadTooLarge(`Line ${number} is longer than ${max} bytes.`);
  error.extensions.line = number;
  return error;
}
