import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * PGlite has no server process to arbitrate access: two processes opening the same data
 * directory (say, `npm start` and `npm run db:migrate`) would corrupt it. A pid file next to
 * the directory turns that into a clear error.
 */
export class EmbeddedLock {
  private constructor(private readonly file: string) {}

  static acquire(dataDir: string): EmbeddedLock {
    const file = `${dataDir}.lock`;
    mkdirSync(dirname(file), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new EmbeddedLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(file, 'utf8'));
        if (holder && holder !== process.pid && isAlive(holder)) {
          throw new Error(
            `The embedded database at ${dataDir} is in use by process ${holder}. Stop it first (or use DATABASE_URL for a shared server).`,
          );
        }
        rmSync(file, { force: true }); // left behind by a process that died
      }
    }
    throw new Error(`Could not lock the embedded database at ${dataDir}.`);
  }

  release(): void {
    rmSync(this.file, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
