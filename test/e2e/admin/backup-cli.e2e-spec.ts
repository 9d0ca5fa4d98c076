import { type BackupManifest, RESTORE_LOCK_ID } from '@backlot/backup';
import { Client } from 'pg';
import { type AppConfig, loadConfig } from '@backlot/config';
import { DatabaseConnection } from '@backlot/database';
import { LocalStorage } from '@backlot/storage';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupCommand, restoreCommand, runBackup, runRestore } from '../../../apps/cli/src/commands/backup.command';
import { signedInUser } from '@backlot/testing/auth';
import { corruptBackup } from '@backlot/testing/backup-files';
import { seedLibrary } from '@backlot/testing/backup-seed';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';
import { ADMIN_TEST_ENV } from './admin-helpers';

/** stderr as the CLI sees it when piped (a line per 10% of progress). */
function capture(): { text: string; isTTY: boolean; write(text: string): void } {
  return {
    text: '',
    isTTY: false,
    write(text: string) {
      this.text += text;
    },
  };
}

/** Opens the configured database as the CLI does (its own connection, closed afterwards). */
async function withConnection<T>(config: AppConfig, work: (connection: DatabaseConnection) => Promise<T>): Promise<T> {
  const connection = new DatabaseConnection(config.database);
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}

describe('CLI backup and restore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backlot-cli-backups-'));
  let source: BackupManifest;
  let sourceFile: string;
  const databases: TestDatabase[] = [];

  const emptyDatabase = async () => {
    const db = await openTestDatabase({ empty: true });
    databases.push(db);
    return db;
  };

  beforeAll(async () => {
    const t = await startTestApp({ env: ADMIN_TEST_ENV });
    try {
      const admin = await signedInUser(t, { role: 'admin' });
      await seedLibrary(admin, await signedInUser(t));
      const response = await admin.json('POST', '/admin/backups', {});
      expect(response.status).toBe(201);
      source = await json<BackupManifest>(response);
      sourceFile = join(dir, `${source.name}.backup.gz`);
      copyFileSync(join(t.config.backup.dir, `${source.name}.backup.gz`), sourceFile);
    } finally {
      await t.close();
    }
  });
  afterAll(async () => {
    for (const db of databases) await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates a fresh empty database, restores into it with progress on stderr, and reports the rates', async () => {
    const db = await emptyDatabase();
    const out: string[] = [];
    const stderr = capture();
    expect(await runRestore(db.connection, db.config, sourceFile, (line) => out.push(line), stderr)).toBe(0);

    expect(stderr.text).toMatch(/^Verifying: 100%/m);
    expect(stderr.text).toMatch(/^Restoring: 100%/m);
    expect(stderr.text.split('\n').filter((line) => line.startsWith('Restoring')).length).toBeLessThanOrEqual(11);
    expect(out.join('\n')).toMatch(/records\/s, [\d,]+ rows\/s; peak RSS \d+ MB/);

    // Backed up again by the CLI, the restored database is the source, table for table.
    const again = join(dir, 'again');
    mkdirSync(again);
    expect(
      await runBackup(
        db.connection,
        { ...db.config, backup: { ...db.config.backup, dir: again } },
        { includeSessions: false, includeFiles: true },
        () => undefined,
        capture(),
      ),
    ).toBe(0);
    const sidecar = readdirSync(again).find((file) => file.endsWith('.json'))!;
    const copy = JSON.parse(readFileSync(join(again, sidecar), 'utf8')) as BackupManifest;
    expect(copy.counts).toEqual(source.counts);
    expect(copy.checksums).toEqual(source.checksums);
  });

  it('backs up stored files from the configured storage and restores them into another; --no-files leaves them out', async () => {
    const db = await emptyDatabase();
    expect(await runRestore(db.connection, db.config, sourceFile, () => undefined, capture())).toBe(0);
    const [record] = await db.connection.query<{ id: string; collection_id: string }>('SELECT id, collection_id FROM records LIMIT 1');
    const at = (name: string) => ({
      ...db.config,
      storage: { ...db.config.storage, localDir: join(dir, `storage-${name}`) },
      backup: { ...db.config.backup, dir: join(dir, `backups-${name}`) },
    });
    const [a, b] = [at('a'), at('b')];
    // Row and bytes written directly, bypassing the upload route on purpose (built separately).
    const bytes = randomBytes(100_000);
    const key = `${record.collection_id}/${record.id}/scan_aaaaaaaaaa.pdf`;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await new LocalStorage(a.storage.localDir).put(key, Readable.from([bytes]), { maxBytes: bytes.length, contentType: 'application/pdf' });
    await db.connection.query(
      `INSERT INTO stored_files (key, collection_id, record_id, field, name, size, type, sha256, state)
       VALUES ($1, $2, $3, 'scan', 'scan_aaaaaaaaaa.pdf', $4, 'application/pdf', $5, 'live')`,
      [key, record.collection_id, record.id, bytes.length, sha256],
    );

    const out: string[] = [];
    const contents = { includeSessions: false, includeFiles: true };
    expect(await runBackup(db.connection, a, contents, (line) => out.push(line), capture())).toBe(0);
    expect(out.at(-1)).toBe('1 stored file(s), 0.1 MB, included');
    expect(await runBackup(db.connection, a, { ...contents, includeFiles: false }, (line) => out.push(line), capture())).toBe(0);
    expect(out.at(-1)).toBe('Stored files left out (--no-files).');
    const [withFiles, withoutFiles] = readdirSync(a.backup.dir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => JSON.parse(readFileSync(join(a.backup.dir, file), 'utf8')) as BackupManifest)
      .sort((x, y) => Number(y.includesFiles) - Number(x.includesFiles));
    expect([withFiles.files, withoutFiles.files]).toEqual([
      { count: 1, bytes: 100_000 },
      { count: 0, bytes: 0 },
    ]);

    const target = await emptyDatabase();
    const restored: string[] = [];
    const file = join(a.backup.dir, `${withFiles.name}.backup.gz`);
    expect(await runRestore(target.connection, b, file, (line) => restored.push(line), capture())).toBe(0);
    expect(restored).toContain('1 stored file(s) written into local storage, each checked against its sha256.');
    const copied = await buffer(await new LocalStorage(b.storage.localDir).read(key));
    expect(createHash('sha256').update(copied).digest('hex')).toBe(sha256);

    const bare = await emptyDatabase();
    const left: string[] = [];
    const without = join(a.backup.dir, `${withoutFiles.name}.backup.gz`);
    expect(await runRestore(bare.connection, at('c'), without, (line) => left.push(line), capture())).toBe(0);
    expect(left).toContain('The backup holds no stored files: 1 restored file(s) have no bytes in local storage.');
  });

  it('refuses a database that is not empty, and changes nothing', async () => {
    const db = await emptyDatabase();
    expect(await runRestore(db.connection, db.config, sourceFile, () => undefined, capture())).toBe(0);
    await db.connection.query(`UPDATE users SET display_name = 'kept'`);
    const out: string[] = [];
    expect(await runRestore(db.connection, db.config, sourceFile, (line) => out.push(line), capture())).toBe(1);
    expect(out.join('\n')).toMatch(/not empty \(2 user\(s\), 2 collection\(s\)\).*empty database only/);
    const names = await db.connection.query<{ display_name: string }>('SELECT display_name FROM users');
    expect(names.map((row) => row.display_name)).toEqual(['kept', 'kept']);
  });

  (TEST_DATABASE_URL ? it : it.skip)('waits for no one: refuses while an instance of the deployment restores or backs up', async () => {
    const db = await emptyDatabase();
    const other = new Client({ connectionString: db.environment.databaseUrl });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock_shared($1)', [RESTORE_LOCK_ID]);
      const out: string[] = [];
      expect(await runRestore(db.connection, db.config, sourceFile, (line) => out.push(line), capture())).toBe(1);
      expect(out.join('\n')).toMatch(/A backup or restore is running on an instance of this deployment/);
      const [{ users }] = await db.connection.query<{ users: number }>('SELECT count(*)::int AS users FROM users');
      expect(users).toBe(0);
      await other.query('SELECT pg_advisory_unlock_shared($1)', [RESTORE_LOCK_ID]);
      expect(await runRestore(db.connection, db.config, sourceFile, () => undefined, capture())).toBe(0);
    } finally {
      await other.end();
    }
  });

  (TEST_DATABASE_URL ? it : it.skip)(
    'refuses to back up while an instance of the deployment restores; backs up beside other backups',
    async () => {
      const db = await openTestDatabase();
      databases.push(db);
      const target = mkdtempSync(join(dir, 'locked-'));
      const config = { ...db.config, backup: { ...db.config.backup, dir: target } };
      const other = new Client({ connectionString: db.environment.databaseUrl });
      await other.connect();
      try {
        // A restore elsewhere holds the lock exclusively: a snapshot now could read its emptied tables.
        await other.query('SELECT pg_advisory_lock($1)', [RESTORE_LOCK_ID]);
        const out: string[] = [];
        expect(
          await runBackup(db.connection, config, { includeSessions: false, includeFiles: true }, (line) => out.push(line), capture()),
        ).toBe(1);
        expect(out.join('\n')).toMatch(/A restore is running on an instance of this deployment/);
        expect(readdirSync(target)).toEqual([]);
        await other.query('SELECT pg_advisory_unlock($1)', [RESTORE_LOCK_ID]);

        // Another backup shares the lock: both may run.
        await other.query('SELECT pg_advisory_lock_shared($1)', [RESTORE_LOCK_ID]);
        expect(await runBackup(db.connection, config, { includeSessions: false, includeFiles: true }, () => undefined, capture())).toBe(0);
        await other.query('SELECT pg_advisory_unlock_shared($1)', [RESTORE_LOCK_ID]);
        expect(readdirSync(target).filter((file) => file.endsWith('.backup.gz'))).toHaveLength(1);
      } finally {
        await other.end();
      }
    },
  );

  it('refuses a corrupted file with a clear message, leaving the database empty', async () => {
    const db = await emptyDatabase();
    const damaged = join(dir, 'damaged.backup.gz');
    copyFileSync(sourceFile, damaged);
    corruptBackup(damaged);
    const out: string[] = [];
    expect(await runRestore(db.connection, db.config, damaged, (line) => out.push(line), capture())).toBe(1);
    expect(out.join('\n')).toMatch(/Refused: The backup file is corrupted.*Nothing was changed\./);
    expect(await db.connection.query('SELECT 1 FROM users UNION ALL SELECT 1 FROM records')).toEqual([]);
  });

  it('leaves the field indexes to the server, which builds them when it starts on the restored database', async () => {
    const home = mkdtempSync(join(tmpdir(), 'backlot-cli-restored-'));
    const pgliteDir = join(home, 'pglite');
    let db: TestDatabase | undefined;
    let t: TestApp | undefined;
    try {
      if (TEST_DATABASE_URL) {
        db = await emptyDatabase();
        expect(await runRestore(db.connection, db.config, sourceFile, () => undefined, capture())).toBe(0);
      } else {
        const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: home, PGLITE_DATA_DIR: pgliteDir });
        expect(await withConnection(config, (connection) => runRestore(connection, config, sourceFile, () => undefined, capture()))).toBe(
          0,
        );
      }
      t = await startTestApp({ env: db ? { DATABASE_URL: db.environment.databaseUrl! } : { PGLITE_DATA_DIR: pgliteDir } });
      const [{ indexes, statistics }] = await t.app.get(DatabaseConnection).query<{ indexes: number; statistics: number }>(
        `SELECT (SELECT count(*) FROM pg_indexes WHERE tablename = 'records' AND indexname LIKE 'rec\\_%')::int AS indexes,
                  (SELECT count(*) FROM pg_statistic_ext WHERE stxname LIKE 'rec\\_%')::int AS statistics`,
      );
      expect({ indexes, statistics }).toEqual({ indexes: 2, statistics: 2 });
    } finally {
      await t?.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('says so clearly when the server holds the embedded database', async () => {
    const home = mkdtempSync(join(tmpdir(), 'backlot-cli-locked-'));
    try {
      const dataDir = join(home, 'pglite');
      mkdirSync(dataDir);
      // A live process (our parent) holds the lock, as a running server would.
      writeFileSync(`${dataDir}.lock`, String(process.ppid));
      const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: home, PGLITE_DATA_DIR: dataDir });
      await expect(backupCommand(config, [], () => undefined, capture())).rejects.toThrow(
        /in use by process .*server is probably running.*admin API/s,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('answers bad arguments with usage or a reason', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, PGLITE_DATA_DIR: 'memory://' });
    const out: string[] = [];
    const print = (line: string) => out.push(line);
    expect(await restoreCommand(config, [], print)).toBe(2);
    expect(await restoreCommand(config, ['a', 'b', '--yes'], print)).toBe(2);
    expect(await backupCommand(config, ['--dir'], print)).toBe(2);
    expect(await backupCommand(config, ['--everything'], print)).toBe(2);
    expect(await restoreCommand(config, [join(dir, 'missing.backup.gz'), '--yes'], print)).toBe(1);
    expect(out.join('\n')).toMatch(/Usage: restore <file or backup name> \[--yes\][\s\S]*Usage: backup[\s\S]*No backup file/);
  });
});
