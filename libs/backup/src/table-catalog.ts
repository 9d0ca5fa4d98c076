import type { Queryable } from '@backlot/database';

/**
 * Backed-up tables in foreign-key order (parents first), so a restore inserts them as listed.
 * Left out on purpose: login_failures and mail_recipient_counts (short-lived counters, which a
 * restore leaves as they are), idempotency_keys (short-lived), jobs and job_schedules
 * (this instance's work queue), storage_instances (the processes running now),
 * webhook_deliveries (a log of past deliveries, whose jobs are not backed up either), and
 * _prisma_migrations (recorded as the schema level).
 */
export const BACKUP_TABLES = [
  'settings',
  'users',
  'sessions',
  'refresh_tokens',
  'api_keys',
  'one_time_tokens',
  'recovery_codes',
  'audit_events',
  'collections',
  'collection_versions',
  'records',
  'record_revisions',
  'stored_files',
  'webhooks',
] as const;

export const SESSION_TABLES: readonly string[] = ['sessions', 'refresh_tokens'];

/**
 * Emptied by every restore although not backed up: sessions always (a backup without them
 * ends every session), idempotency replays, which describe records of the old state, and the
 * delivery log of the replaced webhooks.
 */
export const ALWAYS_EMPTIED: readonly string[] = ['sessions', 'refresh_tokens', 'idempotency_keys', 'webhook_deliveries'];

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function tablesFor(includeSessions: boolean): string[] {
  return BACKUP_TABLES.filter((table) => includeSessions || !SESSION_TABLES.includes(table));
}

export function isBackupTable(table: string): boolean {
  return (BACKUP_TABLES as readonly string[]).includes(table);
}

/** A checked, quoted identifier: the only way a table or column name reaches SQL here. */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`Unexpected identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}

export interface KeyColumn {
  name: string;
  /** SQL type, for casting keyset parameters. */
  type: string;
  /** Text keys compare bytewise (COLLATE "C") so every server orders them alike. */
  collatable: boolean;
}

export interface TableShape {
  columns: string[];
  key: KeyColumn[];
}

/** Columns (in table order) and primary key of `table`, read from the catalog. */
export async function tableShape(db: Queryable, table: string): Promise<TableShape> {
  const relation = quoteIdentifier(table);
  const columns = await db.query<{ name: string; key: number | null; type: string; collatable: boolean }>(
    `SELECT a.attname AS name, array_position(i.indkey::int2[], a.attnum) AS key,
            format_type(a.atttypid, NULL) AS type, a.attcollation <> 0 AS collatable
       FROM pg_attribute a
       LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [relation],
  );
  if (columns.length === 0) throw new Error(`Table ${table} does not exist`);
  const key = columns.filter((column) => column.key !== null).sort((a, b) => a.key! - b.key!);
  if (key.length === 0) throw new Error(`Table ${table} has no primary key`);
  return { columns: columns.map((column) => column.name), key: key.map(({ name, type, collatable }) => ({ name, type, collatable })) };
}
