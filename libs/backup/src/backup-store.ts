import { NotFound } from '@backlot/http';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BACKUP_FILE_SUFFIX,
  BACKUP_FORMAT,
  BACKUP_KINDS,
  type BackupKind,
  type BackupManifest,
  isBackupName,
  MANIFEST_FILE_SUFFIX,
} from './backup-format';

/**
 * The backup directory: `<name>.backup.gz` plus its sidecar manifest `<name>.json`. Names are
 * checked against a strict pattern before any path is built from them, so a request can
 * never reach outside the directory. Files are written under a temporary dot-name and
 * renamed when complete: a half-written backup is never listed.
 */
export class BackupStore {
  constructor(readonly dir: string) {}

  ensureDir(): void {
    if (!existsSync(this.dir)) mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  filePath(name: string): string {
    return join(this.dir, `${checkedName(name)}${BACKUP_FILE_SUFFIX}`);
  }

  /** A fresh temporary path in the directory, for a backup being written. */
  partialPath(name: string): string {
    return join(this.dir, `.${checkedName(name)}.${randomBytes(4).toString('hex')}.partial`);
  }

  /** Publishes a finished backup: the file, then its manifest (which makes it visible). */
  async publish(partial: string, manifest: BackupManifest): Promise<void> {
    await rename(partial, this.filePath(manifest.name));
    const sidecar = this.manifestPath(manifest.name);
    const temporary = `${this.partialPath(manifest.name)}.json`;
    await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, sidecar);
  }

  /** Every backup's manifest, newest first. */
  async list(): Promise<BackupManifest[]> {
    if (!existsSync(this.dir)) return [];
    const names = (await readdir(this.dir))
      .filter((file) => file.endsWith(MANIFEST_FILE_SUFFIX))
      .map((file) => file.slice(0, -MANIFEST_FILE_SUFFIX.length))
      .filter(isBackupName);
    const manifests = await Promise.all(names.map((name) => this.read(name)));
    return manifests.filter((m): m is BackupManifest => m !== undefined).sort(newestFirst);
  }

  /** The manifest of a backup whose file is present, or a 404. */
  async get(name: string): Promise<BackupManifest> {
    const manifest = isBackupName(name) ? await this.read(name) : undefined;
    if (!manifest || !(await exists(this.filePath(name))))
      throw new NotFound(`There is no backup named ${JSON.stringify(name.slice(0, 80))}.`);
    return manifest;
  }

  /**
   * Deletes a backup's manifest and file; 404 only when it has neither. A manifest whose file
   * was removed by hand is still listed, so it must be deletable (and prunable) too.
   */
  async remove(name: string): Promise<void> {
    const known = isBackupName(name) && ((await this.read(name)) !== undefined || (await exists(this.filePath(name))));
    if (!known) throw new NotFound(`There is no backup named ${JSON.stringify(name.slice(0, 80))}.`);
    await rm(this.manifestPath(name), { force: true });
    await rm(this.filePath(name), { force: true });
  }

  /** Deletes the oldest backups of `kind` beyond the newest `keep`; returns their names. */
  async prune(kind: BackupKind, keep: number): Promise<string[]> {
    const stale = (await this.list()).filter((manifest) => manifest.kind === kind).slice(keep);
    for (const manifest of stale) await this.remove(manifest.name);
    return stale.map((manifest) => manifest.name);
  }

  async removePartial(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  private manifestPath(name: string): string {
    return join(this.dir, `${checkedName(name)}${MANIFEST_FILE_SUFFIX}`);
  }

  /** The sidecar of `name`, when it is one: a hand-edited or foreign file is as good as absent. */
  private async read(name: string): Promise<BackupManifest | undefined> {
    try {
      const manifest = withFileFields(JSON.parse(await readFile(this.manifestPath(name), 'utf8')) as unknown);
      return isManifest(manifest) && manifest.name === name ? manifest : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A manifest from before format 2 says nothing of files: its backup has none. */
function withFileFields(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value) || 'includesFiles' in value) return value;
  return { ...value, includesFiles: false, files: { count: 0, bytes: 0 } };
}

/** Every field listing, sorting and the API's manifest view rely on, with its type. */
function isManifest(value: unknown): value is BackupManifest {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const m = value as Record<string, unknown>;
  const numbers = (record: unknown) =>
    !!record && typeof record === 'object' && Object.values(record).every((n) => Number.isInteger(n) && (n as number) >= 0);
  const strings = (record: unknown) => !!record && typeof record === 'object' && Object.values(record).every((v) => typeof v === 'string');
  return (
    typeof m.name === 'string' &&
    BACKUP_KINDS.includes(m.kind as BackupKind) &&
    m.format === BACKUP_FORMAT &&
    Number.isInteger(m.formatVersion) &&
    typeof m.appVersion === 'string' &&
    typeof m.createdAt === 'string' &&
    !Number.isNaN(Date.parse(m.createdAt)) &&
    (m.source === 'embedded' || m.source === 'postgres') &&
    Array.isArray(m.migrations) &&
    m.migrations.every((migration) => typeof migration === 'string') &&
    typeof m.includesSessions === 'boolean' &&
    typeof m.includesFiles === 'boolean' &&
    numbers(m.files) &&
    numbers(m.counts) &&
    strings(m.checksums) &&
    typeof m.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(m.sha256) &&
    Number.isInteger(m.size)
  );
}

function checkedName(name: string): string {
  if (!isBackupName(name)) throw new NotFound(`There is no backup named ${JSON.stringify(name.slice(0, 80))}.`);
  return name;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function newestFirst(a: BackupManifest, b: BackupManifest): number {
  return b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name);
}
