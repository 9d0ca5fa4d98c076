import { Inject, Injectable, Logger } from '@nestjs/common';
import { BackupEngine, type BackupKind, type BackupManifest, RESTORE_LOCK_ID, totalRows } from '@backlot/backup';
import { CacheService } from '@backlot/cache';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DomainEvents } from '@backlot/events';
import { BadRequest, Conflict, DEFAULT_LIMIT, NotFound, ValidationFailed } from '@backlot/http';
import { type AuditActor, AuditService, type RequestMeta } from '@backlot/security';
import type { Readable } from 'node:stream';
import { open } from 'node:fs/promises';
import { BackupLocksRepository } from './backup-locks.repository';

export interface BackupPage {
  items: BackupManifest[];
  nextCursor: string | null;
  total?: number;
}

export interface RestoreOutcome {
  restored: string;
  preRestoreBackup: string;
  counts: Record<string, number>;
  sessionsRestored: boolean;
  filesRestored: number;
  filesMissing: number;
}

export interface BackupContents {
  includeSessions: boolean;
  includeFiles: boolean;
}

/**
 * Backups and restores as operations of a running instance: one at a time per instance
 * (409 otherwise), each audited. A restore first proves the file whole, then backs up the
 * current state, then replaces the database in one transaction, in which `database.restoring`
 * lets other modules rebuild what they derive from the data; afterwards every cache is flushed
 * and `database.restored` lets them drop what they hold in memory.
 */
@Injectable()
export class BackupsService {
  private readonly logger = new Logger('Backups');
  private running: string | null = null;
  /** The backup a restore on this instance is reading (twice: to verify it, then to load it). */
  private restoring: string | null = null;

  constructor(
    private readonly engine: BackupEngine,
    private readonly events: DomainEvents,
    private readonly cache: CacheService,
    private readonly audit: AuditService,
    private readonly locks: BackupLocksRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(query: { limit?: number; cursor?: string; count?: boolean }): Promise<BackupPage> {
    const all = await this.engine.store.list();
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const remaining = after ? all.filter((m) => m.createdAt < after[0] || (m.createdAt === after[0] && m.name < after[1])) : all;
    const limit = query.limit ?? DEFAULT_LIMIT;
    const items = remaining.slice(0, limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: remaining.length > limit && last ? encodeCursor(last) : null,
      ...(query.count ? { total: all.length } : {}),
    };
  }

  get(name: string): Promise<BackupManifest> {
    return this.engine.store.get(name);
  }

  /**
   * The file opened, with its size on disk: a file cut short after its manifest was written
   * must not promise more bytes than it has (the download would stall). Once open, deleting
   * the backup no longer affects this reader.
   */
  async open(name: string): Promise<{ manifest: BackupManifest; size: number; file: Readable }> {
    const manifest = await this.engine.store.get(name);
    const handle = await fileStillThere(
      () => open(this.engine.store.filePath(name), 'r'),
      () => new NotFound(`There is no backup named ${JSON.stringify(name)}.`),
    );
    try {
      const { size } = await handle.stat();
      return { manifest, size, file: handle.createReadStream() };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async remove(name: string): Promise<void> {
    if (name === this.restoring) throw new Conflict(`The backup ${name} is being restored; delete it when the restore has finished.`);
    await this.engine.store.remove(name);
  }

  create(contents: BackupContents, actor: AuditActor, request?: RequestMeta): Promise<BackupManifest> {
    return this.exclusive('backup', () => this.backup('manual', contents, actor, request));
  }

  /**
   * The `backup.scheduled` job: a backup, then only the newest BACKUP_KEEP scheduled ones are
   * kept. It prunes before giving up its turn, so no restore, here or on another instance, is
   * reading a file it deletes. `signal` (the job's timeout or shutdown) stops it between batches,
   * leaving no file behind.
   */
  createScheduled(signal?: AbortSignal): Promise<BackupManifest> {
    return this.exclusive('backup', async () => {
      const { includeSessions, includeFiles } = this.config.backup;
      const manifest = await this.backup('scheduled', { includeSessions, includeFiles }, { type: 'system' }, undefined, signal);
      const pruned = await this.engine.store.prune('scheduled', this.config.backup.keep);
      if (pruned.length > 0) this.logger.log({ msg: 'old scheduled backups deleted', backups: pruned });
      return manifest;
    });
  }

  async restore(name: string, confirm: string, actor: AuditActor, request: RequestMeta): Promise<RestoreOutcome> {
    await this.engine.store.get(name);
    if (confirm !== name)
      throw new BadRequest(`confirm must repeat the backup's name (${name}): a restore replaces every record, user and setting.`);
    return this.exclusive('restore', async () => {
      this.restoring = name;
      try {
        return await this.restoreExclusively(name, actor, request);
      } finally {
        this.restoring = null;
      }
    });
  }

  private async restoreExclusively(name: string, actor: AuditActor, request: RequestMeta): Promise<RestoreOutcome> {
    // This instance refuses to delete the file meanwhile; another one sharing BACKUP_DIR, or a
    // person, still could: then the restore is refused for it (the transaction rolled back).
    const deleted = () => new NotFound(`The backup ${name} was deleted while it was being restored; nothing was restored.`);
    const verified = await fileStillThere(() => this.engine.verifyStored(name), deleted);
    // With files as BACKUP_INCLUDE_FILES says: objects the restore leaves unreferenced go to the orphan sweep.
    const before = await this.backup(
      'pre-restore',
      { includeSessions: true, includeFiles: this.config.backup.includeFiles },
      actor,
      request,
    );
    const { counts, filesRestored, filesMissing } = await fileStillThere(
      () =>
        this.engine.load(this.engine.store.filePath(name), verified, {
          beforeCommit: (tx) => this.events.emit('database.restoring', { backup: name, tx }),
        }),
      deleted,
    );
    await this.flushCache();
    await this.events.emit('database.restored', { backup: name });
    const outcome = {
      restored: name,
      preRestoreBackup: before.name,
      counts,
      sessionsRestored: verified.header.includesSessions,
      filesRestored,
      filesMissing,
    };
    if (filesMissing > 0) this.logger.warn({ msg: 'restored stored files whose bytes are not in storage', backup: name, filesMissing });
    await this.audit.record({
      action: 'backup.restored',
      outcome: 'success',
      actor,
      target: { type: 'backup', id: name },
      request,
      details: {
        preRestoreBackup: before.name,
        rows: totalRows(counts),
        counts,
        source: verified.header.source,
        filesRestored,
        filesMissing,
      },
    });
    return outcome;
  }

  private async backup(
    kind: BackupKind,
    contents: BackupContents,
    actor: AuditActor,
    request?: RequestMeta,
    signal?: AbortSignal,
  ): Promise<BackupManifest> {
    const manifest = await this.engine.create(kind, { ...contents, onProgress: () => signal?.throwIfAborted() });
    await this.audit.record({
      action: 'backup.created',
      outcome: 'success',
      actor,
      target: { type: 'backup', id: manifest.name },
      request,
      details: {
        kind,
        includesSessions: contents.includeSessions,
        includesFiles: contents.includeFiles,
        rows: totalRows(manifest.counts),
        counts: manifest.counts,
        files: manifest.files,
        size: manifest.size,
      },
    });
    return manifest;
  }

  /** The restored rows differ from every cached copy; with Redis down the flush is replayed when it returns. */
  private async flushCache(): Promise<void> {
    try {
      await this.cache.flushAll();
    } catch (error) {
      this.logger.warn({ msg: 'cache flush after restore deferred until Redis is back', error: (error as Error).message });
    }
  }

  /**
   * One backup or restore at a time on this instance; across the deployment, one restore at
   * a time and no backup while a restore runs (a backup's snapshot taken during a restore's
   * TRUNCATE would read empty tables, and their locks could deadlock).
   */
  private async exclusive<T>(what: 'backup' | 'restore', work: () => Promise<T>): Promise<T> {
    if (this.running) throw new Conflict(`A ${this.running} is already running on this instance; try again when it has finished.`);
    this.running = what;
    try {
      const busy = (): never => {
        throw new Conflict(
          what === 'restore'
            ? 'A backup or restore is running on another instance; try again when it has finished.'
            : 'A restore is running on another instance; try again when it has finished.',
        );
      };
      return await this.locks.hold(RESTORE_LOCK_ID, what === 'restore' ? 'exclusive' : 'shared', work, busy);
    } finally {
      this.running = null;
    }
  }
}

/**
 * Runs `read` on a backup's file, which its manifest said was there: when it has gone since
 * (deleted by another instance sharing BACKUP_DIR, or by hand), `gone` says so instead of a 500.
 */
async function fileStillThere<T>(read: () => Promise<T>, gone: () => Error): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === 'ENOENT' ? gone() : error;
  }
}

function encodeCursor(manifest: BackupManifest): string {
  return Buffer.from(JSON.stringify([manifest.createdAt, manifest.name])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) return value as [string, string];
  } catch {
    // reported below
  }
  throw new ValidationFailed([{ path: 'cursor', code: 'invalidCursor', message: 'cursor is not one this list handed out' }]);
}
