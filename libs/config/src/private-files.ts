import { chmodSync, lstatSync, readdirSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from './config.types';
import { EMBEDDED_IN_MEMORY } from './load-config';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
const OWNER_ONLY_UMASK = 0o077;

/** Why a data directory cannot be made private; the message names the path and the fix. */
export class PrivateFilesError extends Error {
  override readonly name = 'PrivateFilesError';
}

/**
 * Everything this process creates from now on is owner-only, whatever mode the creating code
 * asked for. DATA_DIR holds password hashes, hidden field values and secrets, written by code
 * that does not all pass a mode (PGlite, through Node's fs); forked children inherit the mask.
 * Process-wide by nature, so call it at start, before anything is written.
 */
export function useOwnerOnlyUmask(): void {
  if (process.platform !== 'win32') process.umask(OWNER_ONLY_UMASK);
}

/**
 * A place Backlot keeps data, and which of its direct entries are Backlot's (everything below
 * those is). DATA_DIR and BACKUP_DIR may be set to a directory that also holds other things
 * (a project folder, a shared volume): those are left alone.
 */
export interface PrivateTree {
  root: string;
  /** Unset: everything under root is Backlot's (the embedded database's own directory). */
  ownsEntry?: (name: string) => boolean;
}

type PrivateConfig = Pick<AppConfig, 'dataDir' | 'database' | 'backup' | 'storage'> & { files: Pick<AppConfig['files'], 'tusDir'> };

/** What Backlot itself creates directly in DATA_DIR; a new kind of data there belongs in this list. */
const DATA_DIR_ENTRIES = ['secrets.json', 'server.json', 'tmp'];

/** DATA_DIR, BACKUP_DIR, the local file storage, resumable uploads and the embedded database with its lock, wherever they point. */
export function privateTrees(config: PrivateConfig): PrivateTree[] {
  const trees: PrivateTree[] = [
    { root: config.dataDir, ownsEntry: (name) => DATA_DIR_ENTRIES.includes(name) },
    // Every entry of the local storage directory is a collection's files (or partial uploads): all Backlot's.
    { root: config.storage.localDir },
    // Partial resumable uploads (tus): each one's bytes and its .json description, all Backlot's.
    { root: config.files.tusDir },
    // Backups, their manifests and partial files are all named backlot-… or .backlot-….
    { root: config.backup.dir, ownsEntry: (name) => /^\.?backlot-/.test(name) },
  ];
  const { database } = config;
  if (database.kind === 'embedded' && database.dataDir !== EMBEDDED_IN_MEMORY) {
    trees.push({ root: database.dataDir }, { root: `${database.dataDir}.lock` });
  }
  return trees;
}

/**
 * Gives every directory in `trees` mode 0700 and everything else 0600, so data written by an
 * older build (or copied with loose modes) is private before it is opened. Refuses, naming the
 * path, an entry owned by another user (who could loosen it again), one whose mode cannot be
 * changed, and a root shared with other users (sticky bit, like /tmp). Links inside a root are
 * neither changed nor followed; a root that is a link is followed. Returns how many entries
 * were repaired.
 */
export function securePrivateTrees(trees: PrivateTree[]): number {
  if (process.platform === 'win32') return 0;
  let repaired = 0;
  for (const { root, ownsEntry } of trees) {
    const top = statOrUndefined(root);
    if (!top) continue;
    if (top.isDirectory() && top.mode & 0o1000) {
      throw new PrivateFilesError(`${root} is a directory shared with other users (sticky bit): give Backlot a directory of its own.`);
    }
    const pending: [string, Stats][] = [[root, top]];
    for (let entry = pending.pop(); entry; entry = pending.pop()) {
      const [path, stats] = entry;
      if (stats.isSymbolicLink()) continue;
      if (makePrivate(path, stats, root)) repaired++;
      if (!stats.isDirectory()) continue;
      for (const name of listDirectory(path)) {
        if (path === root && ownsEntry && !ownsEntry(name)) continue;
        const child = join(path, name);
        const childStats = statOrUndefined(child, lstatSync);
        if (childStats) pending.push([child, childStats]);
      }
    }
  }
  return repaired;
}

/** securePrivateTrees over every place Backlot keeps data. */
export function secureDataDirs(config: PrivateConfig): number {
  return securePrivateTrees(privateTrees(config));
}

function makePrivate(path: string, stats: Stats, root: string): boolean {
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new PrivateFilesError(
      `${path} belongs to user ${stats.uid}, but Backlot runs as user ${uid}; its data must be its own. ` +
        `Give it back (as root: chown -R ${uid} ${root}) or run Backlot as that user.`,
    );
  }
  const wanted = stats.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
  if ((stats.mode & 0o7777) === wanted) return false;
  try {
    chmodSync(path, wanted);
  } catch (error) {
    throw new PrivateFilesError(
      `Cannot make ${path} private (mode ${octal(stats.mode & 0o7777)} → ${octal(wanted)}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. ` +
        `Fix it by hand (chmod ${octal(wanted)} ${path}).`,
    );
  }
  return true;
}

function listDirectory(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (error) {
    throw new PrivateFilesError(
      `Cannot read ${path} to check its permissions: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
    );
  }
}

function statOrUndefined(path: string, stat: (path: string) => Stats = statSync): Stats | undefined {
  try {
    return stat(path);
  } catch (error) {
    // Gone between listing and looking (a spool file, a finished backup's partial): nothing to secure.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PrivateFilesError(
      `Cannot check the permissions of ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
    );
  }
}

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}
