import { BackupEngine, type BackupManifest, InvalidBackup, isBackupName, RESTORE_LOCK_ID, totalRows } from '@backlot/backup';
import { type AppConfig, EMBEDDED_IN_MEMORY } from '@backlot/config';
import { DatabaseConnection, Migrator, type Queryable } from '@backlot/database';
import { Conflict } from '@backlot/http';
import { createStorage } from '@backlot/storage';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { collectEvery } from './heap';
import { type ProgressOutput, ProgressBar } from './progress-bar';
import { heldByServer, whileServerRuns } from './server-running';

type Print = (line: string) => void;

const BACKUP_USAGE = 'Usage: backup [--sessions] [--no-files] [--dir <directory>]';
const RESTORE_USAGE = 'Usage: restore <file or backup name> [--yes]';
/** Progress between full collections (see heap.ts): ~10,000 rows, or ~2 MB of compressed backup. */
const ROWS_BETWEEN_COLLECTIONS = 10_000;
const BYTES_BETWEEN_COLLECTIONS = 2 * 1024 * 1024;

/** `backup [--sessions] [--no-files] [--dir <dir>]`: a backup of the configured database and storage, like POST /admin/backups. */
export async function backupCommand(
  config: AppConfig,
  args: string[],
  print: Print,
  progress: ProgressOutput = process.stderr,
): Promise<number> {
  const includeSessions = args.includes('--sessions');
  const includeFiles = !args.includes('--no-files');
  const dirIndex = args.indexOf('--dir');
  const dir = dirIndex >= 0 ? args[dirIndex + 1] : undefined;
  const flags = ['--sessions', '--no-files', '--dir'];
  const known = args.filter((arg, i) => flags.includes(arg) || (dirIndex >= 0 && i === dirIndex + 1));
  if ((dirIndex >= 0 && !dir) || known.length !== args.length) {
    print(BACKUP_USAGE);
    return 2;
  }
  const { database } = config;
  if (database.kind === 'embedded' && database.dataDir !== EMBEDDED_IN_MEMORY && !existsSync(database.dataDir)) {
    print(`There is no embedded database at ${database.dataDir} to back up.`);
    return 1;
  }
  const target = dir ? { ...config, backup: { ...config.backup, dir: resolve(dir) } } : config;
  return withConnection(config, (connection) => runBackup(connection, target, { includeSessions, includeFiles }, print, progress));
}

export async function runBackup(
  connection: DatabaseConnection,
  config: AppConfig,
  contents: { includeSessions: boolean; includeFiles: boolean },
  print: Print,
  progress: ProgressOutput = process.stderr,
): Promise<number> {
  const what = [contents.includeSessions && 'with sessions', !contents.includeFiles && 'without files'].filter(Boolean).join(', ');
  print(`Backing up ${connection.describe()}${what ? ` (${what})` : ''}`);
  const started = performance.now();
  const collect = collectEvery(ROWS_BETWEEN_COLLECTIONS);
  const engine = new BackupEngine(connection, config, createStorage(config.storage));
  let manifest: BackupManifest;
  try {
    // Like the API's backups: beside other backups, never during a restore, whose emptied
    // tables the snapshot would read (a backup that looks whole but is not).
    manifest = await connection.tryAdvisoryLock(
      RESTORE_LOCK_ID,
      () =>
        engine.create('manual', {
          ...contents,
          onProgress: (rows) => {
            collect(rows);
            if (progress.isTTY) progress.write(`\rrows written: ${rows.toLocaleString('en')}`);
          },
        }),
      () => {
        throw new CommandRefused('A restore is running on an instance of this deployment; back up when it has finished.');
      },
      'shared',
    );
  } catch (error) {
    if (!(error instanceof CommandRefused) && !(error instanceof Conflict)) throw error;
    print(error.message);
    return 1;
  }
  if (progress.isTTY) progress.write('\n');
  const seconds = (performance.now() - started) / 1000;
  print(`Wrote ${resolve(config.backup.dir, `${manifest.name}.backup.gz`)} (${(manifest.size / 1024 / 1024).toFixed(1)} MB)`);
  print(summary(manifest.counts, seconds));
  print(manifest.includesFiles ? `${filesLine(manifest.files)} included` : 'Stored files left out (--no-files).');
  return 0;
}

/** `restore <file> [--yes]`: loads a backup into an empty database (migrated first), verifying it before writing anything. */
export async function restoreCommand(
  config: AppConfig,
  args: string[],
  print: Print,
  progress: ProgressOutput = process.stderr,
): Promise<number> {
  const positional = args.filter((arg) => arg !== '--yes');
  if (positional.length !== 1 || positional[0].startsWith('--')) {
    print(RESTORE_USAGE);
    return 2;
  }
  const file = backupFile(config, positional[0]);
  if (!file) {
    print(`No backup file ${positional[0]} (nor a backup of that name in ${config.backup.dir}).`);
    return 1;
  }
  if (!args.includes('--yes') && !(await confirmed(`Restore ${file} into the configured database? [y/N] `))) {
    print(process.stdin.isTTY ? 'Nothing restored.' : 'Nothing restored: pass --yes to restore without a prompt.');
    return 1;
  }
  return withConnection(config, (connection) => runRestore(connection, config, file, print, progress));
}

export async function runRestore(
  connection: DatabaseConnection,
  config: AppConfig,
  file: string,
  print: Print,
  progress: ProgressOutput = process.stderr,
): Promise<number> {
  print(`Database: ${connection.describe()}`);
  const applied = await new Migrator(connection, config.migrationsDir, config.schemaPath).apply();
  if (applied.length > 0) print(`Applied ${applied.length} migration(s) first.`);
  const engine = new BackupEngine(connection, config, createStorage(config.storage));
  const size = statSync(file).size;
  try {
    await refuseNonEmpty(connection);
    const verifying = new ProgressBar('Verifying', size, progress);
    const verified = await engine.verify(file, { onProgress: (bytes) => verifying.update(bytes) });
    verifying.finish();
    const started = performance.now();
    const restoring = new ProgressBar('Restoring', size, progress);
    const collect = collectEvery(BYTES_BETWEEN_COLLECTIONS);
    // Like the API's restores, one at a time across the deployment and never beside a backup.
    const { counts, filesRestored, filesMissing } = await connection.tryAdvisoryLock(
      RESTORE_LOCK_ID,
      () =>
        engine.load(file, verified, {
          // Checked again inside the transaction: a server may have written meanwhile.
          beforeLoad: refuseNonEmpty,
          onProgress: (bytes) => {
            collect(bytes);
            restoring.update(bytes);
          },
        }),
      () => {
        throw new CommandRefused('A backup or restore is running on an instance of this deployment; try again when it has finished.');
      },
    );
    restoring.finish();
    print(`Restored ${file} (taken ${verified.header.createdAt} from ${verified.header.source}).`);
    print(summary(counts, (performance.now() - started) / 1000));
    if (verified.header.includesFiles)
      print(`${filesRestored} stored file(s) written into ${config.storage.driver} storage, each checked against its sha256.`);
    else print(`The backup holds no stored files: ${filesMissing} restored file(s) have no bytes in ${config.storage.driver} storage.`);
    if (!verified.header.includesSessions) print('The backup holds no sessions: everyone signs in again.');
    print('Field indexes of the restored collections are rebuilt when the server next starts.');
    return 0;
  } catch (error) {
    if (!(error instanceof InvalidBackup) && !(error instanceof CommandRefused)) throw error;
    print(error instanceof CommandRefused ? error.message : `Refused: ${error.message} Nothing was changed.`);
    return 1;
  }
}

/** Why the CLI will not back up or restore here (said as is, nothing written). */
class CommandRefused extends Error {}

async function refuseNonEmpty(db: Queryable): Promise<void> {
  const [{ users, collections }] = await db.query<{ users: number; collections: number }>(
    'SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM collections)::int AS collections',
  );
  if (users + collections === 0) return;
  throw new CommandRefused(
    `The database is not empty (${users} user(s), ${collections} collection(s)): the CLI restores into an empty database only. ` +
      'To replace a live database use the admin API (POST /api/v1/admin/backups/<name>/restore), which backs up the current state first.',
  );
}

async function withConnection(config: AppConfig, work: (connection: DatabaseConnection) => Promise<number>): Promise<number> {
  let connection: DatabaseConnection;
  try {
    connection = new DatabaseConnection(config.database);
  } catch (error) {
    if (!heldByServer(error)) throw error;
    throw whileServerRuns(
      error as Error,
      'Stop it first, or use the admin API while it runs (POST /api/v1/admin/backups to back up, POST /api/v1/admin/backups/<name>/restore to restore).',
    );
  }
  try {
    await connection.ready();
    return await work(connection);
  } finally {
    await connection.close();
  }
}

function backupFile(config: AppConfig, argument: string): string | undefined {
  if (existsSync(argument) && statSync(argument).isFile()) return resolve(argument);
  const stored = isBackupName(argument) ? resolve(config.backup.dir, `${argument}.backup.gz`) : undefined;
  return stored && existsSync(stored) ? stored : undefined;
}

async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

function filesLine(files: { count: number; bytes: number }): string {
  return `${files.count.toLocaleString('en')} stored file(s), ${(files.bytes / 1024 / 1024).toFixed(1)} MB,`;
}

function summary(counts: Record<string, number>, seconds: number): string {
  const rows = totalRows(counts);
  const records = counts.records ?? 0;
  const rate = (n: number) => Math.round(n / Math.max(seconds, 0.001)).toLocaleString('en');
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  return [
    ...Object.entries(counts).map(([table, count]) => `  ${table.padEnd(20)} ${count.toLocaleString('en').padStart(12)}`),
    `${rows.toLocaleString('en')} rows (${records.toLocaleString('en')} records) in ${seconds.toFixed(2)} s: ` +
      `${rate(records)} records/s, ${rate(rows)} rows/s; peak RSS ${peakRssMb} MB`,
  ].join('\n');
}
