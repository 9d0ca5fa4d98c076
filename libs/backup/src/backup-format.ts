import { randomBytes } from 'node:crypto';

/**
 * The backup file: one gzip stream of NDJSON lines.
 *
 *   {"$":"header", format, formatVersion, appVersion, createdAt, source, migrations, includesSessions, includesFiles}
 *   per table: {"$":"table", table, columns} · one row_to_json line per row · {"$":"end", table, count, sha256}
 *   per stored file (version 2, when includesFiles): {"$":"file", key, size, sha256, type} · its bytes as
 *     base64 lines of at most FILE_CHUNK_BYTES bytes each · {"$":"file-end", key}
 *   {"$":"trailer", manifest: {counts, checksums, files?: {count, bytes}}, complete: true}
 *
 * Control lines start with `{"$":`, which no row line can: rows are objects keyed by column
 * names, and no column is named `$`; nor can a base64 line (`{` is not in its alphabet). So
 * rows are never parsed while reading, only hashed (sha256 over each table's row lines,
 * newline included) and handed to PostgreSQL as text; file lines are decoded and hashed, and
 * each file's sha256 must be the one its live stored_files row records.
 *
 * Version 1 (before files) has no file lines and no includesFiles; it still restores.
 */
export const BACKUP_FORMAT = 'backlot-backup';
export const FORMAT_VERSION = 2;
/** Bytes per base64 line of a stored file (a multiple of 3, so lines decode independently). */
export const FILE_CHUNK_BYTES = 48 * 1024;
export const CONTROL_PREFIX = '{"$":';

export const BACKUP_KINDS = ['manual', 'scheduled', 'pre-restore'] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];
export type DatabaseKind = 'embedded' | 'postgres';

/** `backlot-20261122T101500Z-manual-1a2b3c4d`: sortable, tells scheduled ones apart, and safe in a path. */
export const BACKUP_NAME = /^backlot-\d{8}T\d{6}Z-(manual|scheduled|pre-restore)-[0-9a-f]{8}$/;
export const BACKUP_FILE_SUFFIX = '.backup.gz';
export const MANIFEST_FILE_SUFFIX = '.json';

export interface BackupHeader {
  $: 'header';
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  appVersion: string;
  createdAt: string;
  source: DatabaseKind;
  /** Migrations applied to the source database, oldest first: its schema level. */
  migrations: string[];
  includesSessions: boolean;
  /** Version 2 on; absent (an older backup) means false. */
  includesFiles?: boolean;
}

export interface TableStart {
  $: 'table';
  table: string;
  columns: string[];
}

export interface TableEnd {
  $: 'end';
  table: string;
  count: number;
  sha256: string;
}

export interface FileStart {
  $: 'file';
  key: string;
  size: number;
  sha256: string;
  /** Its media type (what storage serves it as). */
  type: string;
}

export interface FileEnd {
  $: 'file-end';
  key: string;
}

/** The stored files a backup holds: how many and their bytes in total. */
export interface FilesSummary {
  count: number;
  bytes: number;
}

export interface BackupTrailer {
  $: 'trailer';
  manifest: { counts: Record<string, number>; checksums: Record<string, string>; files?: FilesSummary };
  complete: true;
}

export type ControlLine = BackupHeader | TableStart | TableEnd | FileStart | FileEnd | BackupTrailer;

/** What the sidecar `<name>.json` holds, so listing never opens a backup. */
export interface BackupManifest {
  name: string;
  kind: BackupKind;
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  appVersion: string;
  createdAt: string;
  source: DatabaseKind;
  migrations: string[];
  includesSessions: boolean;
  /** Whether the bytes of the live stored files are in it (false for backups older than format 2). */
  includesFiles: boolean;
  /** Stored files in it (0 and 0 without files). */
  files: FilesSummary;
  /** Rows per table, in restore order. */
  counts: Record<string, number>;
  /** sha256 of each table's row lines. */
  checksums: Record<string, string>;
  /** sha256 of the whole (compressed) file. */
  sha256: string;
  size: number;
}

export function backupName(kind: BackupKind, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `backlot-${stamp}-${kind}-${randomBytes(4).toString('hex')}`;
}

export function isBackupName(name: string): boolean {
  return BACKUP_NAME.test(name);
}

export function kindOf(name: string): BackupKind {
  return BACKUP_NAME.exec(name)![1] as BackupKind;
}

export function totalRows(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}
