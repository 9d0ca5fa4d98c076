import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DatabaseConnection } from '@backlot/database';
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
  /** Rows written so far (backup) or compressed bytes read so far (verify, load). */
  onProgress?: (done: number) => void;
}

/**
 * Backups of the configured database into the backup directory, and restores from them.
 * Used by the admin API (which adds locking, the pre-restore backup, events and auditing)
 * and by the CLI (which builds one directly over its own connection).
 */
@Injectable()
export class BackupEngine {
  readonly store: BackupStore;

  constructor(
    private readonly connection: DatabaseConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.store = new BackupStore(config.backup.dir);
  }

  async create(kind: BackupKind, includeSessions: boolean, progress: Progress = {}): Promise<BackupManifest> {
    this.store.ensureDir();
    const name = backupName(kind);
    const partial = this.store.partialPath(name);
    try {
      const written = await writeBackup(this.connection, partial, {
        includeSessions,
        appVersion: this.config.version,
        onRows: progress.onProgress,
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

  load(
    path: string,
    verified: VerifiedBackup,
    options: Progress & Pick<LoadOptions, 'beforeLoad' | 'beforeCommit'> = {},
  ): Promise<LoadedBackup> {
    return loadBackup(this.connection, path, verified, options);
  }
}
