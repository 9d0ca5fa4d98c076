import { createHash, type Hash } from 'node:crypto';
import { InvalidBackup } from './backup-errors';
import { FILE_CHUNK_BYTES, type FileStart, type FilesSummary } from './backup-format';

const SHA256 = /^[0-9a-f]{64}$/;
/** A storage key as storageKey builds them: `/`-separated parts, none hidden, none `..`. */
const STORAGE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,254}){0,7}$/;
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_CHUNK_CHARS = (FILE_CHUNK_BYTES / 3) * 4;

interface LiveRow {
  size: number;
  sha256: string;
}

/**
 * The files section of a backup, checked as it streams: every file belongs to a live
 * stored_files row of the same backup and has that row's size and sha256 (so bytes changed
 * in the file, or a file line edited to match them, are both caught), comes once, and every
 * live row has its file. Memory holds one entry per live file (its key and checksum), never bytes.
 */
export class FileSectionChecker {
  private readonly live = new Map<string, LiveRow>();
  private current?: { start: FileStart; hash: Hash; size: number };
  private readonly summary: FilesSummary = { count: 0, bytes: 0 };

  constructor(
    private readonly corrupted: (what: string) => InvalidBackup,
    private readonly includesFiles: boolean,
  ) {}

  /** A row of stored_files, as it streamed past: the live ones are the files to expect. */
  row(line: string): void {
    if (!this.includesFiles) return;
    let row: { key?: unknown; state?: unknown; size?: unknown; sha256?: unknown };
    try {
      row = JSON.parse(line) as typeof row;
    } catch {
      throw this.corrupted('a stored_files row is not valid JSON');
    }
    if (row.state !== 'live') return;
    if (typeof row.key !== 'string' || typeof row.size !== 'number' || typeof row.sha256 !== 'string') {
      throw this.corrupted('a live stored_files row lacks its key, size or sha256');
    }
    this.live.set(row.key, { size: row.size, sha256: row.sha256 });
  }

  /** The key of the file whose bytes are streaming, if one is. */
  get openKey(): string | undefined {
    return this.current?.start.key;
  }

  start(control: Record<string, unknown>): FileStart {
    if (!this.includesFiles) throw this.corrupted('a stored file in a backup made without files');
    if (this.current) throw this.corrupted(`stored file ${this.current.start.key} has no end line`);
    const { key, size, sha256, type } = control;
    if (typeof key !== 'string' || !STORAGE_KEY.test(key) || key.split('/').includes('..')) {
      throw this.corrupted(`a stored file has an invalid key ${JSON.stringify(String(key).slice(0, 80))}`);
    }
    if (
      !Number.isSafeInteger(size) ||
      (size as number) < 0 ||
      typeof sha256 !== 'string' ||
      !SHA256.test(sha256) ||
      typeof type !== 'string' ||
      type.length > 255
    ) {
      throw this.corrupted(`the file line of stored file ${key} is malformed`);
    }
    const row = this.live.get(key);
    if (!row) throw this.corrupted(`stored file ${key} is not a live file of the backed-up stored_files (or comes twice)`);
    if (row.size !== size || row.sha256 !== sha256) {
      throw fileMismatch(
        key,
        `its file line says ${String(size)} bytes with sha256 ${sha256.slice(0, 12)}…, its stored_files row ${row.size} with ${row.sha256.slice(0, 12)}…`,
      );
    }
    this.live.delete(key);
    const start: FileStart = { $: 'file', key, size: size as number, sha256, type };
    this.current = { start, hash: createHash('sha256'), size: 0 };
    return start;
  }

  /** A base64 line of the open file: its bytes, hashed. */
  chunk(line: string): Buffer {
    const current = this.current!;
    if (line.length > MAX_CHUNK_CHARS || !BASE64_LINE.test(line))
      throw this.corrupted(`stored file ${current.start.key} has a line that is not base64`);
    const bytes = Buffer.from(line, 'base64');
    current.size += bytes.length;
    if (current.size > current.start.size) throw fileMismatch(current.start.key, `it holds more than its ${current.start.size} bytes`);
    current.hash.update(bytes);
    return bytes;
  }

  end(control: Record<string, unknown>): FileStart {
    const current = this.current;
    if (!current || control.key !== current.start.key) throw this.corrupted('a file-end line does not close the open stored file');
    const sha256 = current.hash.digest('hex');
    if (current.size !== current.start.size || sha256 !== current.start.sha256) {
      throw fileMismatch(
        current.start.key,
        `its bytes (${current.size} bytes, sha256 ${sha256.slice(0, 12)}…) are not the stored file's (${current.start.size} bytes, ${current.start.sha256.slice(0, 12)}…)`,
      );
    }
    this.summary.count++;
    this.summary.bytes += current.size;
    this.current = undefined;
    return current.start;
  }

  /** At the trailer: every live file came, and the trailer counts them right. */
  finish(trailer: FilesSummary | undefined): FilesSummary {
    if (this.current) throw this.corrupted(`stored file ${this.current.start.key} has no end line`);
    if (this.includesFiles) {
      const [missing] = this.live.keys();
      if (missing !== undefined) throw fileMismatch(missing, 'its bytes are missing from the backup');
      if (trailer?.count !== this.summary.count || trailer.bytes !== this.summary.bytes) {
        throw this.corrupted('the trailer does not match the stored files');
      }
    } else if (trailer !== undefined && (trailer.count !== 0 || trailer.bytes !== 0)) {
      throw this.corrupted('the trailer counts stored files in a backup made without files');
    }
    return { ...this.summary };
  }
}

function fileMismatch(key: string, what: string): InvalidBackup {
  return new InvalidBackup('corrupted', `The backup file is corrupted: stored file ${key}: ${what}.`);
}
