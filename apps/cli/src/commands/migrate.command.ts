import { type AppConfig } from '@backlot/config';
import { createMigration as createMigrationFile, DatabaseConnection, Migrator } from '@backlot/database';
import { heldByServer, whileServerRuns } from './server-running';

async function withMigrator<T>(config: AppConfig, work: (migrator: Migrator, connection: DatabaseConnection) => Promise<T>): Promise<T> {
  let connection: DatabaseConnection;
  try {
    connection = new DatabaseConnection(config.database);
  } catch (error) {
    if (!heldByServer(error)) throw error;
    // A server on the embedded database applies pending migrations when it starts.
    throw whileServerRuns(error as Error, 'Stop it first; its next start applies pending migrations by itself.');
  }
  try {
    await connection.ready();
    return await work(new Migrator(connection, config.migrationsDir, config.schemaPath), connection);
  } finally {
    await connection.close();
  }
}

export async function migrate(config: AppConfig, print: (line: string) => void): Promise<number> {
  return withMigrator(config, async (migrator, connection) => {
    print(`Database: ${connection.describe()}`);
    const applied = await migrator.apply();
    print(
      applied.length > 0 ? `Applied ${applied.length} migration(s):\n${applied.map((n) => `  + ${n}`).join('\n')}` : 'Already up to date.',
    );
    return 0;
  });
}

export async function migrationStatus(config: AppConfig, print: (line: string) => void): Promise<number> {
  return withMigrator(config, async (migrator, connection) => {
    const status = await migrator.status();
    print(`Database: ${connection.describe()}`);
    print(`Applied (${status.applied.length}):${status.applied.map((n) => `\n  ✓ ${n}`).join('')}`);
    print(`Pending (${status.pending.length}):${status.pending.map((n) => `\n  • ${n}`).join('')}`);
    if (status.failed.length) print(`Failed (${status.failed.length}):${status.failed.map((n) => `\n  ✗ ${n}`).join('')}`);
    if (status.unknown.length)
      print(`Applied but not in the migrations folder (${status.unknown.length}):${status.unknown.map((n) => `\n  ? ${n}`).join('')}`);
    print(
      status.schemaDrift
        ? 'Schema drift: prisma/schema.prisma has changes no migration contains. Run: npm run db:migrate:create -- <name>'
        : 'Schema drift: none (the migrations produce prisma/schema.prisma).',
    );
    const clean = !status.pending.length && !status.failed.length && !status.unknown.length && !status.schemaDrift;
    return clean ? 0 : 1;
  });
}

/** Needs no database of the user's: the diff runs against a scratch in-memory one. */
export async function createMigration(config: AppConfig, name: string | undefined, print: (line: string) => void): Promise<number> {
  if (!name) {
    print('Usage: npm run db:migrate:create -- <name>   (lower-case letters, digits, underscores)');
    return 2;
  }
  const created = await createMigrationFile(config.migrationsDir, config.schemaPath, name);
  print(
    created ? `Created prisma/migrations/${created.folder}/migration.sql:\n\n${created.script}` : 'No schema changes: nothing to create.',
  );
  return 0;
}
