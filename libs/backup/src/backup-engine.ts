import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DatabaseConnection } from '@backlot/database';
import { STORAGE, type Storage } from '@backlot/storage';
import { BACKUP_FORMAT, backupName, type BackupKind, type BackupManifest, FORMAT_VERSION } from './backup-format';
import { type LoadedBackup, loadBackup, type LoadOptions } from './backup-restorer';
import { BackupStore } from './backup-store';
import { type VerifiedBackup, verifyBackup } from './backup-verifier';
import { writeBackup } from './backup-writer';
import { knownMigrations } from './schema-level';

/**
 * PostgreSQL advisory lock id of the whole deployment's backups and restores: a restore
 * (API or CLI) holds it exclusively, a backup shares it.
 */
export const RESTORE_LOCK_ID = 0x6261636b;

export interface Progress {
  /** Rows written so far (backup; again after each stored file) or compressed bytes read so far (verify, load). */
  onProgress?: (done: number) => void;
}

export interface CreateOptions extends Progress {
  includeSessions: boolean;
  /** Include the bytes of the live stored files (read from the configured storage). */
  includeFiles: boolean;
}

export interface RestoredBackup extends LoadedBackup {
  /**
   * Live stored files of the restored database whose bytes the configured storage lacks: only
   * counted for a backup without files (one with files restores every file or nothing).
   */
  filesMissing: number;
}

/**
 * Backups of the configured database (and the bytes of its stored files, from the configured
 * storage) into the backup directory, and restores from them.
 * Used by the admin API (which adds locking, the pre-restore backup, events and auditing)
 * and by the CLI (which builds one directly over its own connection).
 */
@Injectable()
export class BackupEngine {
  readonly store: BackupStore;

  constructor(
    private readonly connection: DatabaseConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(STORAGE) private readonly storage: Storage,
  ) {
    this.store = new BackupStore(config.backup.dir);
  }

  async create(kind: BackupKind, options: CreateOptions): Promise<BackupManifest> {
    this.store.ensureDir();
    const name = backupName(kind);
    const partial = this.store.partialPath(name);
    try {
      const written = await writeBackup(this.connection, partial, {
        includeSessions: options.includeSessions,
        files: options.includeFiles ? this.storage : undefined,
        appVersion: this.config.version,
        onRows: options.onProgress,
      });
      const { header } = written;
      const manifest: BackupManifest = {
        name,
        kind,
        format: BACKUP_FORMAT,
        formatVersion: FORMAT_VERSION,
        appVersion: header.appVersion,
        createdAt: header.createdAt,
        source: header.source,
        migrations: header.migrations,
        includesSessions: header.includesSessions,
        includesFiles: header.includesFiles === true,
        files: written.files,
        counts: written.counts,
        checksums: written.checksums,
        sha256: written.sha256,
        size: written.size,
      };
      await this.store.publish(partial, manifest);
      return manifest;
    } catch (error) {
      await this.store.removePartial(partial);
      throw error;
    }
  }

  /** Verifies a file anywhere (the CLI's argument), or a stored backup against its manifest. */
  verify(path: string, options: Progress & { expectedSha256?: string } = {}): Promise<VerifiedBackup> {
    return verifyBackup(path, {
      knownMigrations: knownMigrations(this.config.migrationsDir),
      appVersion: this.config.version,
      expectedSha256: options.expectedSha256,
      onProgress: options.onProgress,
    });
  }

  async verifyStored(name: string, progress: Progress = {}): Promise<VerifiedBackup> {
    const manifest = await this.store.get(name);
    return this.verify(this.store.filePath(name), { ...progress, expectedSha256: manifest.sha256 });
  }

  async load(
    path: string,
    verified: VerifiedBackup,
    options: Progress & Pick<LoadOptions, 'beforeLoad' | 'beforeCommit'> = {},
  ): Promise<RestoredBackup> {
    const loaded = await loadBackup(this.connection, this.storage, path, verified, options);
    return { ...loaded, filesMissing: verified.header.includesFiles ? 0 : await this.missingFiles() };
  }

  /**
   * Live stored files whose bytes are not in the configured storage. After restoring a backup
   * without files, the rows are kept (the bytes may well still be there, as on the instance
   * that made it): this says how many are not.
   */
  private async missingFiles(): Promise<number> {
    let missing = 0;
    let after: string | undefined;
    for (;;) {
      const rows = await this.connection.query<{ key: string }>(
        `SELECT key FROM stored_files WHERE state = 'live' ${after === undefined ? '' : 'AND key COLLATE "C" > $1'}
          ORDER BY key COLLATE "C" LIMIT 1000`,
        after === undefined ? [] : [after],
      );
      for (const { key } of rows) if (!(await this.storage.stat(key))) missing++;
      if (rows.length < 1000) return missing;
      after = rows.at(-1)!.key;
    }
  }
}
