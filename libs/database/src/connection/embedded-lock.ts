import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Who holds the lock: a PID alone is not enough, PIDs are reused (after a reboot, in every new container). */
interface LockHolder {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
  startTime?: string;
  bootId?: string;
}

/** Linux's fixed user-space clock tick (USER_HZ) on the architectures Node runs on. */
const TICKS_PER_SECOND = 100;
/** /proc/stat's boot time has whole seconds; a lock is written moments after its process starts. */
const CLOCK_SLACK_MS = 2_000;

/**
 * PGlite has no server process to arbitrate access: two processes opening the same data
 * directory (say, `npm start` and `npm run db:migrate`) would corrupt it. A lock file next to
 * the directory, naming the holder by PID and start time, turns that into a clear error; a
 * lock whose process is gone, or whose PID now belongs to another process, is taken over.
 */
export class EmbeddedLock {
  private constructor(private readonly file: string) {}

  static acquire(dataDir: string): EmbeddedLock {
    const file = `${dataDir}.lock`;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, JSON.stringify({ pid: process.pid, ...processStart(process.pid) }));
        closeSync(fd);
        return new EmbeddedLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = readHolder(file);
        if (holder && holdsLock(holder, file)) {
          throw new Error(
            `The embedded database at ${dataDir} is in use by process ${holder.pid}. Stop it first (or use DATABASE_URL for a shared server).`,
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

/** The lock's holder; older builds wrote the bare PID. */
function readHolder(file: string): LockHolder | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (/^\d+$/.test(text)) return { pid: Number(text) };
    const holder = JSON.parse(text) as Partial<LockHolder>;
    return Number.isInteger(holder.pid) && holder.pid! > 0 ? (holder as LockHolder) : undefined;
  } catch {
    return undefined; // released meanwhile, or not a lock we can read: try again
  }
}

function holdsLock(holder: LockHolder, file: string): boolean {
  if (!isAlive(holder.pid)) return false;
  const current = processStart(holder.pid);
  // Without /proc (macOS), the PID is all there is; our own PID there is a leftover.
  if (!current) return holder.pid !== process.pid;
  if (holder.startTime) return holder.startTime === current.startTime && holder.bootId === current.bootId;
  // An older build's lock names only the PID: its holder must have started before it wrote it.
  return startedAtMs(current.startTime) <= statSync(file).mtimeMs + CLOCK_SLACK_MS;
}

function processStart(pid: number): Required<Omit<LockHolder, 'pid'>> | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2, the command name, may hold spaces and parentheses: count from its closing one.
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return startTime ? { startTime, bootId } : undefined;
  } catch {
    return undefined;
  }
}

function startedAtMs(startTime: string): number {
  const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  return (bootSeconds + Number(startTime) / TICKS_PER_SECOND) * 1000;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
