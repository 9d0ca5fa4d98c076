import type { Storage } from '@backlot/storage';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { InvalidBackup } from './backup-errors';
import type { FileStart } from './backup-format';

/**
 * Writes a backup's stored files into the configured storage as they stream past (whatever
 * driver made the backup). Each file's bytes go straight into a put; the put completes only
 * once the parser has checked the whole file against its sha256 (`end`), so a damaged file
 * never becomes an object. `discard` removes the objects this restore created, for a restore
 * that fails later: the database rolls back, and storage is left as it was (objects it
 * replaced under the same key had the same bytes: keys are unique per upload).
 */
export class FileSink {
  private current?: { file: FileStart; body: PassThrough; put: Promise<unknown> };
  private readonly created: string[] = [];
  restored = 0;

  constructor(private readonly storage: Storage) {}

  async start(file: FileStart): Promise<void> {
    if (!(await this.storage.stat(file.key))) this.created.push(file.key);
    const body = new PassThrough();
    const put = this.storage.put(file.key, body, { maxBytes: file.size, contentType: file.type });
    // Its failure is reported by write or end; until then it must not go unhandled.
    put.catch(() => undefined);
    this.current = { file, body, put };
  }

  async write(bytes: Buffer): Promise<void> {
    const { body, put } = this.current!;
    if (!body.write(bytes)) await Promise.race([once(body, 'drain'), put]);
  }

  async end(file: FileStart): Promise<void> {
    const { body, put } = this.current!;
    body.end();
    const stored = (await put) as { size: number; sha256: string };
    this.current = undefined;
    if (stored.size !== file.size || stored.sha256 !== file.sha256) {
      throw new InvalidBackup('corrupted', `Stored file ${file.key} was not written as the backup holds it; nothing was restored.`);
    }
    this.restored++;
  }

  /** After a failure: stops the file being written (its put leaves nothing) and deletes the objects created so far. */
  async discard(): Promise<void> {
    if (this.current) {
      // Closed early, the put fails (premature close) and removes what it had written.
      this.current.body.destroy();
      await this.current.put.catch(() => undefined);
      this.current = undefined;
    }
    await this.storage.delete(this.created);
  }
}
