import { type AppConfig, loadConfig } from '@backlot/config';
import { DatabaseConnection, Migrator } from '@backlot/database';
import { createTestEnvironment, type TestEnvironment } from './test-env';

export interface TestDatabase {
  config: AppConfig;
  connection: DatabaseConnection;
  environment: TestEnvironment;
  close(): Promise<void>;
}

/**
 * A fresh database without the app: PGlite (from the migrated template, or empty with
 * `empty: true`) or, when TEST_DATABASE_URL is set, a new PostgreSQL database.
 */
export async function openTestDatabase(options: { empty?: boolean; env?: Record<string, string> } = {}): Promise<TestDatabase> {
  const environment = await createTestEnvironment({ ...options.env, ...(options.empty && { PGLITE_DATA_DIR: 'memory://' }) });
  const config = loadConfig(environment.env);
  const connection = new DatabaseConnection(config.database);
  await connection.ready();
  if (!options.empty) await new Migrator(connection, config.migrationsDir, config.schemaPath).apply();
  return {
    config,
    connection,
    environment,
    close: async () => {
      await connection.close();
      await environment.cleanup();
    },
  };
}
