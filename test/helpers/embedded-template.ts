import { DatabaseConnection, Migrator } from '@backlot/database';
import { loadConfig, projectRoot } from '@backlot/config';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let template: Promise<string> | undefined;

/**
 * A migrated embedded database, dumped once and reused: starting PGlite from a dump takes
 * ~1.5 s where initdb takes ~8 s, per test app. The file name carries a hash of the
 * migrations and the PGlite version, so a new migration makes a new template.
 */
export function embeddedTemplate(): Promise<string> {
  template ??= buildTemplate();
  return template;
}

async function buildTemplate(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'test', PGLITE_DATA_DIR: 'memory://' });
  const hash = createHash('sha256');
  // package.json is not in PGlite's exports map, so read it from node_modules directly.
  hash.update(readFileSync(join(projectRoot(), 'node_modules', '@electric-sql', 'pglite', 'package.json')));
  for (const name of readdirSync(config.migrationsDir).sort()) {
    const file = join(config.migrationsDir, name, 'migration.sql');
    if (existsSync(file)) hash.update(name).update(readFileSync(file));
  }
  const path = join(tmpdir(), `backlot-test-template-${hash.digest('hex').slice(0, 16)}.tar`);
  if (existsSync(path)) return path;

  const connection = new DatabaseConnection(config.database);
  try {
    await new Migrator(connection, config.migrationsDir, config.schemaPath).apply();
    const dump = await connection.dumpEmbedded();
    // Parallel workers may race to build it; rename is atomic, so readers never see half a file.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, path);
  } finally {
    await connection.close();
  }
  return path;
}
