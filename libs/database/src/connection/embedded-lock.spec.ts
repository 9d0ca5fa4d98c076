import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedLock } from './embedded-lock';

const HAS_PROC = existsSync('/proc/self/stat');

/** What the lock records for a running process, read straight from /proc. */
function identity(pid: number): { startTime: string; bootId: string } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return {
    startTime: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19],
    bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
  };
}

(HAS_PROC ? describe : describe.skip)('embedded database lock', () => {
  let dir: string;
  let dataDir: string;
  let lockFile: string;
  let unrelated: ChildProcess;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'backlot-lock-'));
    dataDir = join(dir, 'pglite');
    lockFile = `${dataDir}.lock`;
    // A live process that is not Backlot: what a stale lock's PID may belong to by now.
    unrelated = spawn('sleep', ['30'], { stdio: 'ignore' });
  });
  afterEach(() => {
    unrelated.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records its holder by PID, start time and boot, in a file only the owner can read', () => {
    const lock = EmbeddedLock.acquire(dataDir);
    try {
      expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toEqual({ pid: process.pid, ...identity(process.pid) });
      expect(statSync(lockFile).mode & 0o777).toBe(0o600);
    } finally {
      lock.release();
    }
    expect(existsSync(lockFile)).toBe(false);
  });

  it('takes over a lock whose PID now belongs to another live process', () => {
    writeFileSync(lockFile, JSON.stringify({ pid: unrelated.pid, startTime: '1', bootId: identity(unrelated.pid!).bootId }));

    const lock = EmbeddedLock.acquire(dataDir);

    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock written before a reboot, even when its PID is alive again', () => {
    writeFileSync(lockFile, JSON.stringify({ pid: unrelated.pid, ...identity(unrelated.pid!), bootId: 'an-earlier-boot' }));

    EmbeddedLock.acquire(dataDir).release();
  });

  it("takes over an older build's PID-only lock when that PID's process started after the lock was written", () => {
    writeFileSync(lockFile, String(unrelated.pid));
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(lockFile, anHourAgo, anHourAgo);

    EmbeddedLock.acquire(dataDir).release();
  });

  it('refuses while the process that wrote the lock still runs', () => {
    writeFileSync(lockFile, JSON.stringify({ pid: unrelated.pid, ...identity(unrelated.pid!) }));

    expect(() => EmbeddedLock.acquire(dataDir)).toThrow(`The embedded database at ${dataDir} is in use by process ${unrelated.pid}.`);
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(unrelated.pid);
  });

  it("refuses an older build's PID-only lock held by a process that was running when it was written", () => {
    writeFileSync(lockFile, String(process.ppid));

    expect(() => EmbeddedLock.acquire(dataDir)).toThrow(`is in use by process ${process.ppid}`);
  });

  it('refuses a second open of the same directory in this process while the first holds it', () => {
    const lock = EmbeddedLock.acquire(dataDir);
    try {
      expect(() => EmbeddedLock.acquire(dataDir)).toThrow(`is in use by process ${process.pid}`);
    } finally {
      lock.release();
    }
  });
});
