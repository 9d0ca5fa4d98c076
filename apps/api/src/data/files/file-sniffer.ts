import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type/core';
import { UnsupportedMediaType } from '@backlot/http';

/** Bytes file-type needs to recognise every format it knows. */
const SAMPLE_BYTES = 4_100;
const GENERIC = new Set(['', 'application/octet-stream', 'binary/octet-stream']);
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'audio/wav': 'audio/x-wav',
  'audio/mp3': 'audio/mpeg',
};
/** Kinds whose formats file-type knows well: bytes declared as one of them that it does not recognise are not what they claim. */
const RECOGNISABLE_KINDS = ['image/', 'audio/', 'video/', 'font/'];
const TEXTUAL = /^(?:text\/[a-z0-9.+-]+|application\/(?:json|xml|javascript|yaml|x-yaml|[a-z0-9.-]+\+(?:json|xml))|image\/svg\+xml)$/;

/** What an upload's bytes were recognised as, and the stream to store (its first bytes put back). */
export interface SniffedFile {
  type: string;
  extension: string | undefined;
  stream: Readable;
  empty: boolean;
}

/**
 * Recognises a file from its first bytes rather than trusting the client's Content-Type: a
 * declared type its bytes contradict is refused (415), and what is stored and later served is
 * the recognised type. Text has no signature: it keeps a declared textual type (text/plain
 * when none was given). Active types (HTML, SVG) are accepted here and never served inline.
 */
export async function sniffFile(stream: Readable, declared: string, fileName: string): Promise<SniffedFile> {
  const claimed = normalize(declared);
  const { head, rest } = await readHead(stream);
  const found = head.length > 0 ? await fileTypeFromBuffer(head) : undefined;
  if (found) {
    if (!GENERIC.has(claimed) && claimed !== found.mime)
      throw new UnsupportedMediaType(`${fileName} is declared as ${claimed} but its bytes are ${found.mime}.`);
    return { type: found.mime, extension: found.ext, stream: rest, empty: false };
  }
  if (looksLikeText(head)) {
    if (GENERIC.has(claimed))
      return { type: 'text/plain', extension: nameExtension(fileName) ?? 'txt', stream: rest, empty: head.length === 0 };
    if (TEXTUAL.test(claimed)) return { type: claimed, extension: nameExtension(fileName), stream: rest, empty: head.length === 0 };
  }
  if (RECOGNISABLE_KINDS.some((kind) => claimed.startsWith(kind)) || TEXTUAL.test(claimed))
    throw new UnsupportedMediaType(`${fileName} is declared as ${claimed} but its bytes are not.`);
  return {
    type: GENERIC.has(claimed) ? 'application/octet-stream' : claimed,
    extension: nameExtension(fileName),
    stream: rest,
    empty: false,
  };
}

/** Whether a recognised type is among a field's allowed ones (`image/png`, or a whole kind: `image/*`). */
export function typeAllowed(type: string, allowed: readonly string[] | undefined): boolean {
  if (!allowed) return true;
  return allowed.some((entry) => entry === type || (entry.endsWith('/*') && type.startsWith(entry.slice(0, -1))));
}

function normalize(declared: string): string {
  const bare = (declared.split(';')[0] ?? '').trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

function nameExtension(fileName: string): string | undefined {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(fileName);
  return match?.[1]?.toLowerCase();
}

/** No NUL and valid UTF-8 (a multi-byte character cut at the end of the sample allowed). */
function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
  const replaced = text.indexOf('\uFFFD');
  return replaced === -1 || replaced >= text.length - 2;
}

/**
 * The stream's first SAMPLE_BYTES, and a stream of all its bytes (head included) to read on:
 * the same stream with what was read put back, so the bytes take no extra hop on their way.
 */
async function readHead(stream: Readable): Promise<{ head: Buffer; rest: Readable }> {
  const iterator = stream.iterator({ destroyOnReturn: false });
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < SAMPLE_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value as Buffer);
    size += (next.value as Buffer).length;
  }
  const head = Buffer.concat(chunks);
  if (ended) return { head, rest: Readable.from(head.length > 0 ? [head] : [], { objectMode: false }) };
  await iterator.return?.();
  stream.unshift(head);
  return { head: head.subarray(0, SAMPLE_BYTES), rest: stream };
}
