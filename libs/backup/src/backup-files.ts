import type { Queryable } from '@backlot/database';
import { Conflict } from '@backlot/http';
import { ObjectNotFound, type Storage } from '@backlot/storage';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import type { Gzip } from 'node:zlib';
import { FILE_CHUNK_BYTES, type FileEnd, type FilesSummary, type FileStart } from './backup-format';

const LIST_BATCH = 1_000;

/** A live stored file to back up, as its stored_files row describes it. */
interface LiveFile {
  key: string;
  size: number;
  sha256: string;
  type: string;
}

/**
 * The live stored files of the backup's snapshot, written to `listPath` (one JSON line each,
 * in key order) from inside its transaction: the bytes are read after the transaction ends,
 * so the database is not held while they stream, and memory stays flat however many files
 * there are. Thumbnails have no stored_files rows: they are derived and made again on demand.
 */
export async function listLiveFiles(tx: Queryable, listPath: string): Promise<void> {
  const out = createWriteStream(listPath, { mode: 0o600, flags: 'wx' });
  try {
    let after: string | undefined;
    for (;;) {
      const rows = await tx.query<{ key: string; size: string; sha256: string; type: string }>(
        `SELECT key, size::text AS size, sha256, type FROM stored_files
          WHERE state = 'live' ${after === undefined ? '' : 'AND key COLLATE "C" > $1'}
          ORDER BY key COLLATE "C" LIMIT ${LIST_BATCH}`,
        after === undefined ? [] : [after],
      );
      for (const row of rows) {
        const file: LiveFile = { key: row.key, size: Number(row.size), sha256: row.sha256.trim(), type: row.type };
        if (!out.write(`${JSON.stringify(file)}\n`)) await once(out, 'drain');
      }
      if (rows.length < LIST_BATCH) break;
      after = rows.at(-1)!.key;
    }
  } finally {
    out.end();
    await finished(out);
  }
}

/**
 * Streams each listed file's bytes from storage into the backup as base64 lines, checking
 * them against the sha256 and size their row records: a file missing from storage or whose
 * bytes differ fails the backup, naming it (a backup must never carry bytes that do not
 * match their checksum).
 */
export async function writeFiles(
  out: Gzip,
  storage: Storage,
  listPath: string,
  onFile: (summary: FilesSummary) => void = () => undefined,
): Promise<FilesSummary> {
  const summary: FilesSummary = { count: 0, bytes: 0 };
  const lines = createInterface({ input: createReadStream(listPath), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const file = JSON.parse(line) as LiveFile;
      await writeFile(out, storage, file);
      summary.count++;
      summary.bytes += file.size;
      onFile(summary);
    }
  } finally {
    lines.close();
    await rm(listPath, { force: true });
  }
  return summary;
}

async function writeFile(out: Gzip, storage: Storage, file: LiveFile): Promise<void> {
  const start: FileStart = { $: 'file', ...file };
  await write(out, `${JSON.stringify(start)}\n`);
  let body;
  try {
    body = await storage.read(file.key);
  } catch (error) {
    if (error instanceof ObjectNotFound) throw unreadable(file.key, 'its bytes are missing from storage');
    throw error;
  }
  const hash = createHash('sha256');
  let size = 0;
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Stop early rather than copy a file far larger than its row says into the backup.
    if (size > file.size) {
      body.destroy();
      throw unreadable(file.key, `its stored bytes are more than the ${file.size} its row records`);
    }
    hash.update(chunk);
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    for (; pending.length - offset >= FILE_CHUNK_BYTES; offset += FILE_CHUNK_BYTES) {
      await write(out, `${pending.subarray(offset, offset + FILE_CHUNK_BYTES).toString('base64')}\n`);
    }
    pending = pending.subarray(offset);
  }
  if (pending.length > 0) await write(out, `${pending.toString('base64')}\n`);
  const sha256 = hash.digest('hex');
  if (size !== file.size || sha256 !== file.sha256) {
    throw unreadable(file.key, `its stored bytes (${size} bytes, sha256 ${sha256.slice(0, 12)}…) differ from its row's checksum`);
  }
  const end: FileEnd = { $: 'file-end', key: file.key };
  await write(out, `${JSON.stringify(end)}\n`);
}

function unreadable(key: string, why: string): Conflict {
  return new Conflict(
    `Stored file ${key} cannot be backed up: ${why}. No backup was written; a backup without files leaves all file bytes out.`,
  );
}

/** Writes with backpressure: waits for the compressor to drain before handing it more. */
export async function write(out: Gzip, text: string): Promise<void> {
  if (out.destroyed) throw new Error('The backup file could not be written');
  if (!out.write(text)) await once(out, 'drain');
}
