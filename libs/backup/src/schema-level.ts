import type { Queryable } from '@backlot/database';
import { existsSync, readdirSync } from 'node:fs';
import { InvalidBackup } from './backup-errors';

const MIGRATION_NAME = /^\d{14}_[a-z0-9_]+$/;

/** Migrations this build ships (the folders of the migrations directory). */
export function knownMigrations(migrationsDir: string): string[] {
  if (!existsSync(migrationsDir)) return [];
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && MIGRATION_NAME.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** Migrations applied to a database, oldest first. */
export async function appliedMigrations(db: Queryable): Promise<string[]> {
  const [{ exists }] = await db.query<{ exists: boolean }>("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists");
  if (!exists) return [];
  const rows = await db.query<{ name: string }>(
    `SELECT migration_name AS name FROM _prisma_migrations
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
  );
  return rows.map((row) => row.name);
}

/** Refuses a backup taken at a schema level this build does not know (a newer Backlot). */
export function checkKnownSchema(backupMigrations: readonly string[], known: readonly string[], appVersion: string): void {
  const unknown = backupMigrations.filter((name) => !known.includes(name));
  if (unknown.length === 0) return;
  throw new InvalidBackup(
    'newer-schema',
    `The backup comes from a newer schema: migration${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ` +
      `${unknown.length > 1 ? 'are' : 'is'} not known to this build (Backlot ${appVersion}). Upgrade Backlot, then restore.`,
  );
}

/** Refuses to load into a database that lacks some of the backup's migrations: its tables may miss columns. */
export function checkTargetSchema(backupMigrations: readonly string[], applied: readonly string[]): void {
  const missing = backupMigrations.filter((name) => !applied.includes(name));
  if (missing.length === 0) return;
  throw new InvalidBackup(
    'schema-behind',
    `The database lacks migration${missing.length > 1 ? 's' : ''} ${missing.join(', ')} the backup was taken with; ` +
      'apply the migrations first (npm run db:migrate).',
  );
}
