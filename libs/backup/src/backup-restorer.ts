import { type DatabaseConnection, MAINTENANCE_STATEMENT_TIMEOUT_MS, type Queryable, withStatementBudget } from '@backlot/database';
import type { Storage } from '@backlot/storage';
import { createHash } from 'node:crypto';
import { InvalidBackup } from './backup-errors';
import { FileSink } from './backup-file-sink';
import { backupLines } from './backup-lines';
import { BackupParser } from './backup-parser';
import type { VerifiedBackup } from './backup-verifier';
import { appliedMigrations, checkTargetSchema } from './schema-level';
import { ALWAYS_EMPTIED, BACKUP_TABLES, quoteIdentifier, tableShape } from './table-catalog';

const BATCH_ROWS = 1_000;
/** The names the data module derives for field indexes and their statistics. */
const FIELD_INDEX = /^rec_[0-9a-f]{32}(_stats)?$/;
/** Large records make large batches: flush by size too, so one statement stays a few MB. */
const BATCH_CHARS = 8 * 1024 * 1024;

export interface LoadOptions {
  onProgress?: (bytes: number) => void;
  /** Runs inside the restore transaction before anything is emptied: a last check of the target (throw to refuse). */
  beforeLoad?: (tx: Queryable) => Promise<void>;
  /**
   * Runs inside the restore transaction once every row is in: rebuild what derives from the
   * data (the data module's field indexes) so it commits with the rows, or throw to roll the
   * whole restore back.
   */
  beforeCommit?: (tx: Queryable) => Promise<void>;
}

export interface LoadedBackup {
  counts: Record<string, number>;
  /** Stored files written into storage (0 for a backup without files). */
  filesRestored: number;
}

/**
 * Pass 2 of a restore: replaces the database's contents with a verified backup, in ONE
 * transaction. The file is checked again as it streams, against pass 1 too (its header and
 * whole-file sha256: it could have been swapped in between); any failure rolls everything
 * back, so the database is either the backup or unchanged. Columns the table no longer has
 * are skipped and columns the backup lacks take their defaults, so a backup from an older
 * schema level loads too; rows the database refuses (a constraint) make it a 422 naming the
 * table, not a 500. Its statements (a whole table's rows, index rebuilds) may run longer
 * than a request's statement timeout.
 *
 * The backup's stored files are written into `storage` (the configured one, whichever driver
 * made the backup) within that transaction, each checked against its sha256 before it
 * becomes an object; if anything fails, the objects it created are deleted again.
 */
export async function loadBackup(
  connection: DatabaseConnection,
  storage: Storage,
  path: string,
  verified: VerifiedBackup,
  options: LoadOptions = {},
): Promise<LoadedBackup> {
  const files = new FileSink(storage);
  try {
    const counts = await withStatementBudget(MAINTENANCE_STATEMENT_TIMEOUT_MS, () => load(connection, files, path, verified, options));
    return { counts, filesRestored: files.restored };
  } catch (error) {
    await files.discard();
    throw error;
  }
}

function load(
  connection: DatabaseConnection,
  files: FileSink,
  path: string,
  verified: VerifiedBackup,
  options: LoadOptions,
): Promise<Record<string, number>> {
  return connection.transaction(async (tx) => {
    checkTargetSchema(verified.header.migrations, await appliedMigrations(tx));
    await options.beforeLoad?.(tx);
    await dropFieldIndexes(tx);
    const emptied = [...new Set([...BACKUP_TABLES, ...ALWAYS_EMPTIED])];
    await tx.query(`TRUNCATE ${emptied.map(quoteIdentifier).join(', ')} CASCADE`);

    const parser = new BackupParser();
    const fileHash = createHash('sha256');
    const counts: Record<string, number> = {};
    let batch: TableBatch | undefined;
    let bytes = 0;
    const lines = backupLines(path, (chunk) => {
      fileHash.update(chunk);
      options.onProgress?.((bytes += chunk.length));
    });
    for await (const line of lines) {
      const parsed = parser.feed(line);
      if (parsed.type === 'header') {
        if (JSON.stringify(parsed.header) !== JSON.stringify(verified.header)) throw changedSinceVerified();
      } else if (parsed.type === 'table') {
        batch = await TableBatch.open(tx, parsed.start.table, parsed.start.columns);
      } else if (parsed.type === 'row') {
        if (batch!.add(parsed.line)) await batch!.flush();
      } else if (parsed.type === 'end') {
        await batch!.flush();
        counts[parsed.end.table] = parsed.end.count;
      } else if (parsed.type === 'file') {
        await files.start(parsed.start);
      } else if (parsed.type === 'file-chunk') {
        await files.write(parsed.bytes);
      } else if (parsed.type === 'file-end') {
        await files.end(parsed.file);
      }
    }
    parser.finish();
    if (fileHash.digest('hex') !== verified.sha256) throw changedSinceVerified();
    try {
      await options.beforeCommit?.(tx);
    } catch (error) {
      // Say a unique field index that the restored records break.
      throw refusedRows('the restored data', error);
    }
    return counts;
  });
}

function changedSinceVerified(): InvalidBackup {
  return new InvalidBackup('corrupted', 'The backup file changed while it was being restored; nothing was restored.');
}

/** Rows of one table gathered into multi-row inserts: PostgreSQL parses the JSON, never Node. */
class TableBatch {
  private lines: string[] = [];
  private chars = 0;

  private constructor(
    private readonly tx: Queryable,
    private readonly table: string,
    private readonly sql: string,
  ) {}

  static async open(tx: Queryable, table: string, backupColumns: string[]): Promise<TableBatch> {
    const current = new Set((await tableShape(tx, table)).columns);
    const columns = backupColumns
      .filter((column) => current.has(column))
      .map(quoteIdentifier)
      .join(', ');
    const relation = quoteIdentifier(table);
    return new TableBatch(
      tx,
      table,
      `WITH inserted AS (INSERT INTO ${relation} (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::${relation}, $1::json) RETURNING 1)
       SELECT count(*)::int AS inserted FROM inserted`,
    );
  }

  /** Adds a row line; true when the batch is full. */
  add(line: string): boolean {
    this.lines.push(line);
    this.chars += line.length;
    return this.lines.length >= BATCH_ROWS || this.chars >= BATCH_CHARS;
  }

  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const json = `[${this.lines.join(',')}]`;
    const expected = this.lines.length;
    this.lines = [];
    this.chars = 0;
    let inserted: number;
    try {
      [{ inserted }] = await this.tx.query<{ inserted: number }>(this.sql, [json]);
    } catch (error) {
      throw refusedRows(`rows of table ${this.table}`, error);
    }
    // A line such as `{…},{…}` would slip two rows past a checksum that counts one.
    if (inserted !== expected) {
      throw new InvalidBackup('corrupted', `The backup file is corrupted: table ${this.table} has a row line that is not exactly one row.`);
    }
  }
}

/**
 * A row PostgreSQL refuses (SQLSTATE class 22 data exception or 23 integrity violation: a
 * null in a required column, a broken reference, malformed JSON) is a problem with the
 * backup, not the server; anything else (a lost connection) stays what it is.
 */
function refusedRows(what: string, error: unknown): unknown {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !/^2[23]/.test(code)) return error;
  return new InvalidBackup(
    'rows-refused',
    `The database refused ${what} (${String(message).split('\n')[0].slice(0, 300)}); nothing was restored.`,
  );
}

/**
 * Runtime field indexes (`rec_<hash>`) belong to the collections being replaced: a unique one
 * could refuse the restored rows. They go here, in the same transaction; the data module
 * rebuilds those the restored collections need in `beforeCommit` (and, after a CLI restore,
 * at the next start).
 */
async function dropFieldIndexes(tx: Queryable): Promise<void> {
  const indexes = await tx.query<{ name: string }>(
    `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'records' AND indexname LIKE 'rec\\_%'`,
  );
  const statistics = await tx.query<{ name: string }>(
    `SELECT stxname AS name FROM pg_statistic_ext WHERE stxnamespace = current_schema()::regnamespace AND stxname LIKE 'rec\\_%'`,
  );
  for (const { name } of indexes) if (FIELD_INDEX.test(name)) await tx.query(`DROP INDEX ${quoteIdentifier(name)}`);
  for (const { name } of statistics) if (FIELD_INDEX.test(name)) await tx.query(`DROP STATISTICS ${quoteIdentifier(name)}`);
}
