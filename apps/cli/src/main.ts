import 'reflect-metadata';
import { ConfigError, loadConfig, secureDataDirs, useOwnerOnlyUmask } from '@backlot/config';
import { createMigration, migrate, migrationStatus } from './commands/migrate.command';
import { writeOpenApi } from './commands/openapi.command';
import { createAdmin } from './commands/create-admin.command';
import { backupCommand, restoreCommand } from './commands/backup.command';

const USAGE = `Usage: backlot-cli <command>
  migrate               apply pending migrations to the configured database
  migrate:status        list applied and pending migrations and schema drift (exit 1 if not clean)
  migrate:create <name> write a migration from the schema's changes
  openapi               write openapi.json from the app's routes
  create-admin <email>  create a verified admin (password from ADMIN_PASSWORD or stdin), or promote an existing account;
                        while the server runs on the embedded database, the server does it
  backup [--sessions] [--no-files] [--dir <dir>]
                        back up the database and its stored files into BACKUP_DIR (or <dir>); the server must be stopped
                        on the embedded database
  restore <file> [--yes]
                        migrate, verify and load a backup into an EMPTY database (progress on stderr)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const print = (line: string) => process.stdout.write(`${line}\n`);
  // Like the server: whatever a command writes under DATA_DIR or BACKUP_DIR is owner-only.
  useOwnerOnlyUmask();
  // A command that boots the app (create-admin, openapi) must not pick up the deployment's jobs,
  // nor serve metrics (the server's concern, which production requires to be protected), nor
  // create the server's bootstrap admin: ADMIN_PASSWORD alone is create-admin's password.
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    ...process.env,
    JOBS_WORKER: 'false',
    METRICS_ENABLED: 'false',
    ADMIN_EMAIL: undefined,
    ADMIN_PASSWORD: undefined,
  });
  secureDataDirs(config);
  for (const warning of config.warnings) process.stderr.write(`Warning: ${warning}\n`);
  switch (command) {
    case 'migrate':
      return migrate(config, print);
    case 'migrate:status':
      return migrationStatus(config, print);
    case 'migrate:create':
      return createMigration(config, args[0], print);
    case 'openapi':
      return writeOpenApi(config, print);
    case 'create-admin':
      return createAdmin(config, args[0]?.toLowerCase(), print);
    case 'backup':
      return backupCommand(config, args, print);
    case 'restore':
      return restoreCommand(config, args, print);
    default:
      print(USAGE);
      return command ? 2 : 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : `Error: ${error.message}`}\n`);
    process.exit(1);
  },
);
