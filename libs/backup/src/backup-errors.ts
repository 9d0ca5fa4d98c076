import { DomainError } from '@backlot/http';

export type InvalidBackupReason =
  'corrupted' | 'truncated' | 'not-a-backup' | 'newer-format' | 'newer-schema' | 'schema-behind' | 'rows-refused';

/**
 * A backup file that cannot be restored as it is (422): damaged, cut short, or written by a
 * newer Backlot. Raised before anything is written, or inside the restore transaction, so
 * the database is left as it was either way.
 */
export class InvalidBackup extends DomainError {
  readonly kind = 'unprocessable';

  constructor(
    readonly reason: InvalidBackupReason,
    message: string,
  ) {
    super(message);
    this.extensions.reason = reason;
  }
}
