import { type FileHandle, mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readLines } from './line-reader';

/** A validated record waiting to be inserted, with the line it came from (and, with ids=keep, its id and owner). */
export interface PreparedLine {
  line: number;
  data: Record<string, unknown>;
  kept?: { id: string; ownerId: string | null };
}

const FLUSH_BYTES = 1024 * 1024;

/**
 * A temporary file of validated records. An atomic import checks its whole upload first
 * and spools what passed, so the one transaction that inserts it never waits on the
 * client's network, and memory stays flat however large the upload is.
 */
export class ImportSpool {
  private buffered: string[] = [];
  private bufferedBytes = 0;

  private constructor(
    private readonly dir: string,
    private readonly file: FileHandle,
  ) {}

  /** A private (0600) file under `parent`; discard() removes it. */
  static async create(parent: string): Promise<ImportSpool> {
    await mkdir(parent, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(join(parent, 'import-'));
    try {
      return new ImportSpool(dir, await open(join(dir, 'records.ndjson'), 'w+', 0o600));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async write(entry: PreparedLine): Promise<void> {
    const text = `${JSON.stringify([entry.line, entry.data, entry.kept ?? null])}\n`;
    this.buffered.push(text);
    this.bufferedBytes += text.length;
    if (this.bufferedBytes >= FLUSH_BYTES) await this.flush();
  }

  /** The spooled records, in the order written. */
  async *read(): AsyncGenerator<PreparedLine> {
    await this.flush();
    const stream = this.file.createReadStream({ start: 0, autoClose: false });
    for await (const line of readLines(stream, { maxLineBytes: Number.POSITIVE_INFINITY })) {
      const [number, data, kept] = JSON.parse(line.text) as [number, Record<string, unknown>, PreparedLine['kept'] | null];
      yield { line: number, data, kept: kept ?? undefined };
    }
  }

  async discard(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async flush(): Promise<void> {
    if (this.buffered.length === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    this.bufferedBytes = 0;
    await this.file.write(text);
  }
}
