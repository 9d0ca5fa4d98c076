import { type DatabaseConfig, useOwnerOnlyUmask } from '@backlot/config';
import { DatabaseConnection } from '../connection/database-connection';
import { Migrator } from './migrator';

export interface MigrationWorkerInput {
  database: DatabaseConfig;
  migrationsDir: string;
  schemaPath: string;
}

/** Child-process entry: creates/migrates the embedded database, reports, exits (see embedded-preparation.ts). */
async function run({ database, migrationsDir, schemaPath }: MigrationWorkerInput): Promise<string[]> {
  const connection = new DatabaseConnection(database);
  try {
    await connection.ready();
    return await new Migrator(connection, migrationsDir, schemaPath).apply();
  } finally {
    await connection.close();
  }
}

process.once('message', (input: MigrationWorkerInput) => {
  // Inherited from the server already; set here too so the database is private however this starts.
  useOwnerOnlyUmask();
  run(input).then(
    (applied) => process.send?.({ applied }, () => process.exit(0)),
    (error: Error) => process.send?.({ error: error.message }, () => process.exit(1)),
  );
});
