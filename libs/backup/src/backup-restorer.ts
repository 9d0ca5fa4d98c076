import type { DatabaseConnection, Queryable } from '@backlot/database';
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
}

export interface LoadedBackup {
  counts: Record<string, number>;
}

/**
 * Pass 2 of a restore: replaces the database's contents with a verified backup, in ONE
 * transaction. The file is checked again as it streams (it could have changed since pass 1);
 * any failure rolls everything back, so the database is either the backup or unchanged.
 * Columns the table no longer has are skipped and columns the backup lacks take their
 * defaults, so a backup from an older schema level loads too.
 */
export async function loadBackup(
  connection: DatabaseConnection,
  path: string,
  verified: VerifiedBackup,
  options: LoadOptions = {},
): Promise<LoadedBackup> {
  return connection.transaction(async (tx) => {
    checkTargetSchema(verified.header.migrations, await appliedMigrations(tx));
    await dropFieldIndexes(tx);
    const emptied = [...new Set([...BACKUP_TABLES, ...ALWAYS_EMPTIED])];
    await tx.query(`TRUNCATE ${emptied.map(quoteIdentifier).join(', ')} CASCADE`);

    const parser = new BackupParser();
    const counts: Record<string, number> = {};
    let batch: TableBatch | undefined;
    let bytes = 0;
    const lines = backupLines(path, (chunk) => options.onProgress?.((bytes += chunk.length)));
    for await (const line of lines) {
      const parsed = parser.feed(line);
      if (parsed.type === 'table') {
        batch = await TableBatch.open(tx, parsed.start.table, parsed.start.columns);
      } else if (parsed.type === 'row') {
        if (batch!.add(parsed.line)) await batch!.flush();
      } else if (parsed.type === 'end') {
        await batch!.flush();
        counts[parsed.end.table] = parsed.end.count;
      }
    }
    parser.finish();
    return { counts };
  });
}

/** Rows of one table gathered into multi-row inserts: PostgreSQL parses the JSON, never Node. */
class TableBatch {
  private lines: string[] = [];
  private chars = 0;

  private constructor(
    private readonly tx: Queryable,
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
      `INSERT INTO ${relation} (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::${relation}, $1::json)`,
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
    this.lines = [];
    this.chars = 0;
    await this.tx.query(this.sql, [json]);
  }
}

/**
 * Runtime field indexes (`rec_<hash>`) belong to the collections being replaced: a unique one
 * could refuse the restored rows. They go here, in the same transaction; the data module
 * rebuilds those the restored collections need when it hears `database.restored` (or at start).
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
