import { Logger } from '@nestjs/common';
import type { AppConfig } from '@backlot/config';
import { EMBEDDED_IN_MEMORY } from '@backlot/config';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fork } from 'node:child_process';
import { DatabaseConnection } from '../connection/database-connection';
import type { MigrationWorkerInput } from './migration-worker';

const WORKER_FILE = join(__dirname, 'migration-worker.js');

/**
 * Creating an embedded database (initdb) and running the schema engine load two large
 * WebAssembly programs that would stay resident for the life of the server (~500 MB).
 * On a first start they run in a short-lived child process instead, whose memory goes
 * back to the system when it exits; the server then opens the prepared directory. Returns the applied migrations, or
 * undefined when there was nothing to prepare here (existing directory, in-memory
 * database, or running from TypeScript sources under Jest, where no compiled worker exists).
 */
async function prepareEmbeddedDatabase(config: AppConfig): Promise<string[] | undefined> {
  const { database } = config;
  if (database.kind !== 'embedded' || database.dataDir === EMBEDDED_IN_MEMORY || existsSync(database.dataDir)) return undefined;
  if (!existsSync(WORKER_FILE)) return undefined;
  const input: MigrationWorkerInput = { database, migrationsDir: config.migrationsDir, schemaPath: config.schemaPath };
  return new Promise((resolve, reject) => {
    const child = fork(WORKER_FILE, [], { execArgv: ['--liftoff-only'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: { applied?: string[]; error?: string } = {};
    child.once('message', (message: typeof result) => (result = message));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (result.applied) resolve(result.applied);
      else reject(new Error(result.error ?? `database preparation exited with code ${code}`));
    });
    child.send(input);
  });
}

/** Opens the configured database, first creating and migrating a new embedded one off-thread. */
export async function openDatabase(config: AppConfig): Promise<DatabaseConnection> {
  const { database } = config;
  if (database.kind === 'embedded' && database.dataDir !== EMBEDDED_IN_MEMORY && !existsSync(database.dataDir)) {
    const logger = new Logger('Database');
    logger.log(`Creating the embedded database at ${database.dataDir}; the first start can take up to 20 seconds.`);
    const applied = await prepareEmbeddedDatabase(config);
    if (applied?.length) logger.log(`Applied migrations: ${applied.join(', ')}`);
  }
  return new DatabaseConnection(database);
}
