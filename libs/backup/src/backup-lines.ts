import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { InvalidBackup } from './backup-errors';

/** Longer than any row can be (records and revisions are capped well below): a sign of a damaged file. */
const MAX_LINE_CHARS = 256 * 1024 * 1024;

/**
 * The lines of a backup file, decompressed as they are read (memory holds one chunk and one
 * line). `onChunk` sees every compressed chunk: progress and the whole-file hash. A file cut
 * short or damaged fails as an InvalidBackup naming which.
 */
export async function* backupLines(path: string, onChunk: (compressed: Buffer) => void = () => undefined): AsyncGenerator<string> {
  const input = createReadStream(path, { highWaterMark: 256 * 1024 });
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onChunk(chunk);
      done(null, chunk);
    },
  });
  const gunzip = createGunzip();
  const flowing = pipeline(input, tap, gunzip);
  flowing.catch(() => undefined);
  const decoder = new StringDecoder('utf8');
  let carry = '';
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      // Only the new text is searched for line ends: a long line costs its length, not its square.
      const text = decoder.write(chunk);
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        yield carry + text.slice(start, end);
        carry = '';
        start = end + 1;
      }
      carry += text.slice(start);
      if (carry.length > MAX_LINE_CHARS) throw new InvalidBackup('corrupted', 'The backup file holds a line far longer than any row.');
    }
    await flowing;
  } catch (error) {
    throw asInvalidBackup(error);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  carry += decoder.end();
  if (carry !== '') yield carry;
}

function asInvalidBackup(error: unknown): unknown {
  if (error instanceof InvalidBackup) return error;
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'ENOENT') return error;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message ?? '')) {
    return new InvalidBackup('truncated', 'The backup file is truncated: its compressed data ends early.');
  }
  if (code?.startsWith('Z_') || /incorrect header check|invalid (block|stored|distance|code)|data check/i.test(message ?? '')) {
    return new InvalidBackup('corrupted', `The backup file is corrupted: its compressed data does not decode (${message}).`);
  }
  return error;
}
