import { Injectable } from '@nestjs/common';
import { DatabaseConnection } from '@backlot/database';

/** The deployment-wide lock that keeps restores apart from backups and from each other (a PostgreSQL advisory lock). */
@Injectable()
export class BackupLocksRepository {
  constructor(private readonly db: DatabaseConnection) {}

  /**
   * Runs `work` holding the lock: `shared` beside other backups, `exclusive` for a restore;
   * calls `busy` instead of waiting when another instance holds it the other way. The embedded
   * database has one process, which the instance's own bookkeeping already serialises.
   */
  hold<T>(lockId: number, mode: 'shared' | 'exclusive', work: () => Promise<T>, busy: () => never): Promise<T> {
    return this.db.tryAdvisoryLock(lockId, work, busy, mode);
  }
}
