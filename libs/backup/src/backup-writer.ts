import type { DatabaseConnection, Queryable } from '@backlot/database';
import type { Storage } from '@backlot/storage';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import { listLiveFiles, write, writeFiles } from './backup-files';
import {
  BACKUP_FORMAT,
  type BackupHeader,
  type BackupTrailer,
  type FilesSummary,
  FORMAT_VERSION,
  type TableEnd,
  type TableStart,
  totalRows,
} from './backup-format';
import { appliedMigrations } from './schema-level';
import { type KeyColumn, quoteIdentifier, tableShape, tablesFor } from './table-catalog';

/** Rows per round trip: memory stays flat whatever the size of the database. */
const BATCH_ROWS = 1_000;

export interface WriteOptions {
  includeSessions: boolean;
  /** Where the bytes of the live stored files are read from; without it the backup has no files. */
  files?: Storage;
  appVersion: string;
  /** Called after each batch with the rows written so far, and after each stored file. */
  onRows?: (rows: number) => void;
}

export interface WrittenBackup {
  header: BackupHeader;
  counts: Record<string, number>;
  checksums: Record<string, string>;
  files: FilesSummary;
  /** sha256 and size of the compressed file. */
  sha256: string;
  size: number;
}

/**
 * Streams a logical backup of the database into `path` (created 0600). Everything is read in
 * one read-only REPEATABLE READ transaction, so the file is one consistent snapshot (on the
 * embedded database that transaction holds the database: other work waits until it ends).
 * Rows are read in keyset batches in primary-key order and written as PostgreSQL renders them
 * (row_to_json, UTC times), so the same data gives the same checksums on either server.
 * With `files`, the snapshot's live stored files follow the tables: listed inside the
 * transaction, their bytes streamed from storage after it (see backup-files.ts).
 */
export async function writeBackup(connection: DatabaseConnection, path: string, options: WriteOptions): Promise<WrittenBackup> {
  const gzip = createGzip();
  const fileHash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      fileHash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const written = pipeline(gzip, measure, createWriteStream(path, { mode: 0o600, flags: 'wx' }));
  // If the file side fails, the dump stops at its next write instead of filling memory.
  written.catch(() => undefined);

  const listPath = `${path}.files`;
  let result: Omit<WrittenBackup, 'sha256' | 'size'>;
  try {
    const tables = await connection.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await tx.query("SET LOCAL TimeZone = 'UTC'");
      const header: BackupHeader = {
        $: 'header',
        format: BACKUP_FORMAT,
        formatVersion: FORMAT_VERSION,
        appVersion: options.appVersion,
        createdAt: new Date().toISOString(),
        source: connection.kind,
        migrations: await appliedMigrations(tx),
        includesSessions: options.includeSessions,
        includesFiles: options.files !== undefined,
      };
      await write(gzip, `${JSON.stringify(header)}\n`);
      const counts: Record<string, number> = {};
      const checksums: Record<string, string> = {};
      let rows = 0;
      for (const table of tablesFor(options.includeSessions)) {
        const end = await dumpTable(tx, gzip, table, (batch) => options.onRows?.((rows += batch)));
        counts[table] = end.count;
        checksums[table] = end.sha256;
      }
      if (options.files) await listLiveFiles(tx, listPath);
      return { header, counts, checksums };
    });
    const rows = totalRows(tables.counts);
    const files = options.files ? await writeFiles(gzip, options.files, listPath, () => options.onRows?.(rows)) : { count: 0, bytes: 0 };
    const trailer: BackupTrailer = {
      $: 'trailer',
      manifest: { counts: tables.counts, checksums: tables.checksums, files },
      complete: true,
    };
    await write(gzip, `${JSON.stringify(trailer)}\n`);
    result = { ...tables, files };
    gzip.end();
  } catch (error) {
    gzip.destroy(error as Error);
    await written.catch(() => undefined);
    throw error;
  } finally {
    await rm(listPath, { force: true });
  }
  await written;
  return { ...result, sha256: fileHash.digest('hex'), size };
}

async function dumpTable(tx: Queryable, out: Gzip, table: string, onBatch: (rows: number) => void): Promise<TableEnd> {
  const shape = await tableShape(tx, table);
  const start: TableStart = { $: 'table', table, columns: shape.columns };
  await write(out, `${JSON.stringify(start)}\n`);
  const batch = keysetBatch(table, shape.key);
  const hash = createHash('sha256');
  let count = 0;
  let after: unknown[] | undefined;
  for (;;) {
    const [page] = await tx.query<{ lines: string | null; count: number; last: unknown[] | null }>(
      after ? batch.next : batch.first,
      after ?? [],
    );
    if (!page.lines || !page.last) break;
    // Written as two pieces: joining them would copy the whole batch once more.
    hash.update(page.lines).update('\n');
    count += page.count;
    out.write(page.lines);
    await write(out, '\n');
    onBatch(page.count);
    if (page.count < BATCH_ROWS) break;
    after = page.last;
  }
  const end: TableEnd = { $: 'end', table, count, sha256: hash.digest('hex') };
  await write(out, `${JSON.stringify(end)}\n`);
  return end;
}

/**
 * One round trip per batch, answered as ONE string of NDJSON lines plus the batch's last key:
 * PostgreSQL renders and joins the rows, so Node allocates a few strings per batch instead
 * of an object per row, and its heap stays flat whatever the table size.
 */
function keysetBatch(table: string, key: KeyColumn[]): { first: string; next: string } {
  const inner = key.map((column, i) => `t.${quoteIdentifier(column.name)} AS k${i}`).join(', ');
  const order = (prefix: string, direction = '') =>
    key.map((column, i) => `${prefix}${i}${column.collatable ? ' COLLATE "C"' : ''}${direction}`).join(', ');
  const tableOrder = key.map((column) => `t.${quoteIdentifier(column.name)}${column.collatable ? ' COLLATE "C"' : ''}`).join(', ');
  const parameters = key.map((column, i) => `$${i + 1}::${checkedType(column.type)}${column.collatable ? ' COLLATE "C"' : ''}`).join(', ');
  const query = (where: string) =>
    `SELECT string_agg(b.line, E'\\n' ORDER BY ${order('b.k')}) AS lines, count(*)::int AS count,
            (array_agg(json_build_array(${key.map((_, i) => `b.k${i}`).join(', ')}) ORDER BY ${order('b.k', ' DESC')}))[1] AS last
       FROM (SELECT row_to_json(t)::text AS line, ${inner} FROM ${quoteIdentifier(table)} t ${where}
              ORDER BY ${tableOrder} LIMIT ${BATCH_ROWS}) b`;
  return { first: query(''), next: query(`WHERE (${tableOrder}) > (${parameters})`) };
}

function checkedType(type: string): string {
  if (!/^[a-z][a-z0-9 _]*$/.test(type)) throw new Error(`Unexpected key type ${JSON.stringify(type)}`);
  return type;
}
