import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server';

/**
 * Where a private PostgreSQL comes from, or why none can start here. PostgreSQL refuses to
 * run as root; as root the server runs as the `postgres` account, in a temp dir it owns. It
 * is spawned with that uid directly: under runuser, a frozen server would stop runuser too
 * (it mirrors its child's job-control stops) and nothing would reap the server when it exits.
 */
const setup = findSetup();
export const POSTGRES_SERVER_AVAILABLE = 'bin' in setup;
export const POSTGRES_SERVER_UNAVAILABLE_REASON = 'reason' in setup ? setup.reason : undefined;

/**
 * A private PostgreSQL (initdb into a temp dir, on a free port) that a test may stop, freeze
 * and restart: outages that the shared server must never see.
 */
export class PrivatePostgres {
  private process?: ChildProcess;

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    if (!('bin' in setup)) throw new Error(`Cannot start a private PostgreSQL: ${setup.reason}`);
    const dir = mkdtempSync(join(tmpdir(), 'backlot-pg-'));
    if (setup.owner) chownSync(dir, setup.owner.uid, setup.owner.gid);
    const initdb = run([join(setup.bin, 'initdb'), '-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    if (initdb.status !== 0) throw new Error(`initdb failed: ${initdb.stderr?.toString().trim()}`);
    const server = new PrivatePostgres(dir, await freePort());
    await server.start();
    return server;
  }

  /** The url of `database` (default: postgres) on this server. */
  url(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    if (!('bin' in setup)) throw new Error(setup.reason);
    const args = [
      ...['-D', join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir],
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=50'],
    ];
    this.process = spawn(join(setup.bin, 'postgres'), args, { stdio: 'ignore', ...setup.owner });
    for (let attempt = 0; attempt < 200; attempt++) {
      if (run([join(setup.bin, 'pg_isready'), '-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres']).status === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the private PostgreSQL did not start');
  }

  /** A real stop: fast shutdown (sessions are ended, new connections refused) until `start()`. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    await exited;
  }

  /** Freezes every process of the server (SIGSTOP): connections stay open but nothing answers. */
  freeze(): void {
    this.signal('SIGSTOP');
  }

  thaw(): void {
    this.signal('SIGCONT');
  }

  /** A backend listed a moment ago may have exited since (its session ended): that one is skipped. */
  private signal(signal: NodeJS.Signals): void {
    for (const pid of this.serverPids()) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  }

  async remove(): Promise<void> {
    if (this.process?.exitCode === null) this.thaw();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The postmaster and its children (backends, background workers), read from /proc. */
  private serverPids(): number[] {
    const postmaster = this.process?.exitCode === null ? this.process.pid : undefined;
    if (postmaster === undefined) return [];
    const children = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          // The parent pid is the 4th field, after the command name in parentheses.
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
  }
}

type Setup = { bin: string; owner?: { uid: number; gid: number } } | { reason: string };

function findSetup(): Setup {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) return { reason: `no PostgreSQL server binaries (initdb) under ${root}` };
  const bin = join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
  if (process.getuid?.() !== 0) return { bin };
  const uid = spawnSync('id', ['-u', 'postgres']);
  const gid = spawnSync('id', ['-g', 'postgres']);
  if (uid.status !== 0 || gid.status !== 0) return { reason: 'running as root and there is no `postgres` account to run PostgreSQL as' };
  return { bin, owner: { uid: Number(uid.stdout.toString()), gid: Number(gid.stdout.toString()) } };
}

function run([file, ...args]: string[]) {
  return spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], ...('owner' in setup && setup.owner) });
}
