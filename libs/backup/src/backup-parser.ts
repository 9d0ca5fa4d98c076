import { createHash, type Hash } from 'node:crypto';
import { InvalidBackup } from './backup-errors';
import { FileSectionChecker } from './backup-file-section';
import {
  BACKUP_FORMAT,
  type BackupHeader,
  CONTROL_PREFIX,
  type FilesSummary,
  type FileStart,
  FORMAT_VERSION,
  type TableEnd,
  type TableStart,
} from './backup-format';
import { BACKUP_TABLES, isBackupTable } from './table-catalog';

const COLUMN = /^[a-z_][a-z0-9_]{0,62}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export type BackupLine =
  | { type: 'header'; header: BackupHeader }
  | { type: 'table'; start: TableStart }
  | { type: 'row'; table: string; line: string }
  | { type: 'end'; end: TableEnd }
  | { type: 'file'; start: FileStart }
  | { type: 'file-chunk'; key: string; bytes: Buffer }
  | { type: 'file-end'; file: FileStart }
  | { type: 'trailer' };

export interface TableSummary {
  table: string;
  columns: string[];
  count: number;
  sha256: string;
}

export interface ParsedBackup {
  header: BackupHeader;
  tables: TableSummary[];
  /** The stored files it holds (none without files, or from before format 2). */
  files: FilesSummary;
}

/**
 * Checks a backup line by line as it streams past: structure and order, each table's row
 * count and sha256 against its end line, each stored file's bytes against its live
 * stored_files row (FileSectionChecker), and the trailer against all of them. Any mismatch
 * is an InvalidBackup; `finish` refuses a file that stops before its trailer (truncated).
 */
export class BackupParser {
  private header?: BackupHeader;
  private readonly tables: TableSummary[] = [];
  private current?: { start: TableStart; hash: Hash; count: number };
  private files?: FileSectionChecker;
  private filesSummary?: FilesSummary;
  private inFiles = false;
  private complete = false;
  private lineNumber = 0;

  feed(line: string): BackupLine {
    this.lineNumber++;
    if (this.complete) throw this.corrupted('there is data after the trailer');
    if (!line.startsWith(CONTROL_PREFIX)) {
      const key = this.files?.openKey;
      if (key !== undefined) return { type: 'file-chunk', key, bytes: this.files!.chunk(line) };
      if (!this.current) throw this.corrupted('a row appears outside a table');
      this.current.hash.update(line).update('\n');
      this.current.count++;
      if (this.current.start.table === 'stored_files') this.files!.row(line);
      return { type: 'row', table: this.current.start.table, line };
    }
    const control = this.parseControl(line);
    if (!this.header) {
      if (control.$ !== 'header') throw new InvalidBackup('not-a-backup', 'The file is not a Backlot backup (it has no backup header).');
      this.header = checkHeader(control);
      this.files = new FileSectionChecker((what) => this.corrupted(what), this.header.includesFiles === true);
      return { type: 'header', header: this.header };
    }
    switch (control.$) {
      case 'table':
        if (this.inFiles) throw this.corrupted(`table ${String(control.table)} comes after the stored files`);
        return { type: 'table', start: this.startTable(control) };
      case 'end':
        return { type: 'end', end: this.endTable(control) };
      case 'file':
        if (this.current) throw this.corrupted(`table ${this.current.start.table} has no end line`);
        this.inFiles = true;
        return { type: 'file', start: this.files!.start(control) };
      case 'file-end':
        return { type: 'file-end', file: this.files!.end(control) };
      case 'trailer':
        this.finishTrailer(control);
        return { type: 'trailer' };
      default:
        throw this.corrupted('a second header');
    }
  }

  /** The verified contents; throws when the trailer never came. */
  finish(): ParsedBackup {
    if (!this.header) throw new InvalidBackup('not-a-backup', 'The file is empty: it is not a Backlot backup.');
    if (!this.complete) {
      throw new InvalidBackup(
        'truncated',
        `The backup file is truncated: it ends${this.current ? ` inside table ${this.current.start.table}` : ''} before its trailer.`,
      );
    }
    return { header: this.header, tables: this.tables, files: this.filesSummary! };
  }

  private parseControl(line: string): { $: string } & Record<string, unknown> {
    try {
      const value = JSON.parse(line) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as { $: string } & Record<string, unknown>;
    } catch {
      // reported below
    }
    throw this.corrupted('a control line is not valid JSON');
  }

  private startTable(control: Record<string, unknown>): TableStart {
    const { table, columns } = control;
    if (this.current) throw this.corrupted(`table ${this.current.start.table} has no end line`);
    if (typeof table !== 'string' || !isBackupTable(table)) throw this.corrupted(`unknown table ${JSON.stringify(table)}`);
    const previous = this.tables.at(-1)?.table;
    if (previous && BACKUP_TABLES.indexOf(table as never) <= BACKUP_TABLES.indexOf(previous as never)) {
      throw this.corrupted(`table ${table} is out of order`);
    }
    if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => typeof c === 'string' && COLUMN.test(c))) {
      throw this.corrupted(`table ${table} has an invalid column list`);
    }
    const start: TableStart = { $: 'table', table, columns: columns as string[] };
    this.current = { start, hash: createHash('sha256'), count: 0 };
    return start;
  }

  private endTable(control: Record<string, unknown>): TableEnd {
    const current = this.current;
    if (!current || control.table !== current.start.table) throw this.corrupted('an end line does not close the open table');
    const { count, sha256 } = control;
    if (typeof count !== 'number' || typeof sha256 !== 'string' || !SHA256.test(sha256)) {
      throw this.corrupted(`the end line of ${current.start.table} is malformed`);
    }
    const actual = current.hash.digest('hex');
    if (count !== current.count || sha256 !== actual) {
      throw new InvalidBackup(
        'corrupted',
        `The backup file is corrupted: table ${current.start.table} holds ${current.count} row(s) with checksum ${actual.slice(0, 12)}…, ` +
          `but the file says ${count} row(s) with ${sha256.slice(0, 12)}….`,
      );
    }
    this.tables.push({ table: current.start.table, columns: current.start.columns, count, sha256 });
    this.current = undefined;
    return { $: 'end', table: current.start.table, count, sha256 };
  }

  private finishTrailer(control: Record<string, unknown>): void {
    if (this.current) throw this.corrupted(`table ${this.current.start.table} has no end line`);
    const manifest = control.manifest as
      { counts?: Record<string, unknown>; checksums?: Record<string, unknown>; files?: FilesSummary } | undefined;
    const matches =
      control.complete === true &&
      manifest?.counts &&
      manifest.checksums &&
      Object.keys(manifest.counts).length === this.tables.length &&
      this.tables.every((t) => manifest.counts![t.table] === t.count && manifest.checksums![t.table] === t.sha256);
    if (!matches) throw this.corrupted('the trailer does not match the tables');
    this.filesSummary = this.files!.finish(manifest.files);
    this.complete = true;
  }

  private corrupted(what: string): InvalidBackup {
    return new InvalidBackup('corrupted', `The backup file is corrupted: ${what} (line ${this.lineNumber}).`);
  }
}

function checkHeader(control: Record<string, unknown>): BackupHeader {
  const header = control as unknown as BackupHeader;
  if (header.format !== BACKUP_FORMAT) throw new InvalidBackup('not-a-backup', 'The file is not a Backlot backup.');
  if (typeof header.formatVersion !== 'number' || header.formatVersion > FORMAT_VERSION) {
    throw new InvalidBackup(
      'newer-format',
      `The backup uses format version ${String(header.formatVersion)}; this build reads up to ${FORMAT_VERSION}. Upgrade Backlot, then restore.`,
    );
  }
  const valid =
    Array.isArray(header.migrations) &&
    header.migrations.every((name) => typeof name === 'string') &&
    typeof header.includesSessions === 'boolean' &&
    // Format 1 predates files; from 2 on a backup says whether it holds them.
    (header.formatVersion < 2 ? header.includesFiles === undefined : typeof header.includesFiles === 'boolean') &&
    typeof header.createdAt === 'string' &&
    (header.source === 'embedded' || header.source === 'postgres');
  if (!valid) throw new InvalidBackup('corrupted', 'The backup file is corrupted: its header is malformed.');
  return header;
}
