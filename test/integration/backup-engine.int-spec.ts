import { BackupEngine, type BackupManifest, InvalidBackup } from '@backlot/backup';
import { LocalStorage } from '@backlot/storage';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { v7 as uuidv7 } from 'uuid';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';
import { rewriteBackup } from '@backlot/testing/backup-files';

const NO_SESSIONS = { includeSessions: false, includeFiles: true };

// The engine on a bare database (no app): what goes in comes back out, byte for byte.
describe('backup engine', () => {
  let db: TestDatabase;
  let engine: BackupEngine;
  let dir: string;
  const collectionId = uuidv7();
  const recordId = uuidv7();

  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'backlot-backups-'));
    engine = new BackupEngine(
      db.connection,
      { ...db.config, backup: { ...db.config.backup, dir } },
      new LocalStorage(join(dir, 'storage')),
    );
    await db.connection.query(
      `INSERT INTO settings (key, value) VALUES ('site', '{"title": "Ünïcode ✓", "n": 1.50}'), ('plain', '"text"')`,
    );
    await db.connection.query(
      `INSERT INTO users (id, email, password_hash, role, mfa_last_step) VALUES ($1, 'a@example.test', 'hash', 'admin', 9007199254740993)`,
      [uuidv7()],
    );
    await db.connection.query(`INSERT INTO collections (id, name, fields, rules, options) VALUES ($1, 'notes', '[]', '{}', '{}')`, [
      collectionId,
    ]);
    await db.connection.query(
      `INSERT INTO records (id, collection_id, data, search) VALUES ($1, $2, '{"title": "Hello world", "tags": ["a", "b"]}', to_tsvector('simple', 'Hello world'))`,
      [recordId, collectionId],
    );
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function snapshot(): Promise<Record<string, unknown>> {
    const [row] = await db.connection.query<Record<string, unknown>>(
      `SELECT (SELECT json_agg(s ORDER BY key) FROM settings s)::text AS settings,
              (SELECT json_agg(u) FROM users u)::text AS users,
              (SELECT json_agg(r) FROM records r)::text AS records`,
    );
    return row;
  }

  it('restores exactly what it backed up, tsvector and big integers included', async () => {
    const before = await snapshot();
    const manifest = await engine.create('manual', NO_SESSIONS);
    expect(manifest.counts).toMatchObject({ settings: 2, users: 1, collections: 1, records: 1 });
    expect(manifest.counts).not.toHaveProperty('sessions');

    await db.connection.query(`UPDATE records SET data = '{"title": "changed"}', search = NULL`);
    await db.connection.query(`DELETE FROM settings WHERE key = 'plain'`);
    const verified = await engine.verifyStored(manifest.name);
    const loaded = await engine.load(engine.store.filePath(manifest.name), verified);
    expect(loaded.counts).toEqual(manifest.counts);
    expect(await snapshot()).toEqual(before);

    const again = await engine.create('manual', NO_SESSIONS);
    expect(again.checksums).toEqual(manifest.checksums);
  });

  it('reads large tables in keyset batches, text and composite keys included, in a server-independent order', async () => {
    // Keys whose order differs between collations (case, accents), over several batches.
    await db.connection.query(
      `INSERT INTO settings (key, value) SELECT (ARRAY['a', 'B', 'é', 'Z', '_'])[1 + i % 5] || i, to_jsonb(i) FROM generate_series(1, 2345) AS i`,
    );
    await db.connection.query(
      `INSERT INTO collection_versions (collection_id, version, fields, rules, options) SELECT $1, i, '[]', '{}', '{}' FROM generate_series(1, 1500) AS i`,
      [collectionId],
    );
    const before = await snapshot();
    const [{ versions }] = await db.connection.query<{ versions: string }>(
      'SELECT json_agg(v ORDER BY collection_id, version)::text AS versions FROM collection_versions v',
    );
    const manifest = await engine.create('manual', NO_SESSIONS);
    expect(manifest.counts).toMatchObject({ settings: 2347, collection_versions: 1500 });

    const file = engine.store.filePath(manifest.name);
    const settingsKeys = gunzipSync(readFileSync(file))
      .toString('utf8')
      .split('\n')
      .filter((line) => line.startsWith('{"key":'))
      .map((line) => (JSON.parse(line) as { key: string }).key);
    expect(settingsKeys).toEqual([...settingsKeys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));

    await db.connection.query('DELETE FROM collection_versions');
    await engine.load(file, await engine.verifyStored(manifest.name));
    expect(await snapshot()).toEqual(before);
    const [after] = await db.connection.query<{ versions: string }>(
      'SELECT json_agg(v ORDER BY collection_id, version)::text AS versions FROM collection_versions v',
    );
    expect(after.versions).toBe(versions);
    await db.connection.query(`DELETE FROM settings WHERE key NOT IN ('site', 'plain')`);
    await db.connection.query('DELETE FROM collection_versions');
  });

  it('loads a backup from an older schema level (a column missing) with the column’s default', async () => {
    const manifest = await engine.create('manual', NO_SESSIONS);
    const older = join(dir, 'older.backup.gz');
    await rewriteBackup(
      engine.store.filePath(manifest.name),
      older,
      (line) => {
        if (line.$ === 'table' && line.table === 'records')
          return { ...line, columns: (line.columns as string[]).filter((c) => c !== 'version') };
        return line;
      },
      (table, row) => {
        if (table !== 'records') return undefined;
        delete row.version;
        return row;
      },
    );
    await db.connection.query('UPDATE records SET version = 7');
    await engine.load(older, await engine.verify(older));
    const [{ version }] = await db.connection.query<{ version: number }>('SELECT version FROM records');
    expect(version).toBe(1);
  });

  it('rolls back everything when a load fails half-way (the database is unchanged)', async () => {
    const manifest: BackupManifest = await engine.create('manual', NO_SESSIONS);
    const before = await snapshot();
    const broken = join(dir, 'broken.backup.gz');
    // A record pointing at a collection that is not in the backup: the insert of records fails.
    await rewriteBackup(
      engine.store.filePath(manifest.name),
      broken,
      (line) => line,
      (table, row) => (table === 'records' ? { ...row, collection_id: uuidv7() } : undefined),
    );
    const verified = await engine.verify(broken);
    const refused = await engine.load(broken, verified).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidBackup);
    expect(refused).toMatchObject({ reason: 'rows-refused', message: expect.stringMatching(/rows of table records \(.*foreign key/) });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a row line that holds two rows, though its checksum counts one', async () => {
    const manifest = await engine.create('manual', NO_SESSIONS);
    const before = await snapshot();
    const doubled = join(dir, 'doubled.backup.gz');
    await rewriteBackup(
      engine.store.filePath(manifest.name),
      doubled,
      (line) => line,
      (table, row) =>
        table === 'settings' ? `${JSON.stringify(row)},${JSON.stringify({ ...row, key: `${row.key as string}-extra` })}` : undefined,
    );
    const refused = await engine.load(doubled, await engine.verify(doubled)).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      reason: 'corrupted',
      message: expect.stringMatching(/settings has a row line that is not exactly one row/),
    });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a file that changed between verification and loading', async () => {
    const manifest = await engine.create('manual', NO_SESSIONS);
    const before = await snapshot();
    const verified = await engine.verifyStored(manifest.name);
    const swapped = join(dir, 'swapped.backup.gz');
    // Internally consistent, but not the file that was verified.
    await rewriteBackup(
      engine.store.filePath(manifest.name),
      swapped,
      (line) => line,
      (table, row) => (table === 'settings' ? { ...row, value: 'swapped' } : undefined),
    );
    const refused = await engine.load(swapped, verified).catch((error: unknown) => error);
    expect(refused).toMatchObject({ reason: 'corrupted', message: expect.stringMatching(/changed while it was being restored/) });
    expect(await snapshot()).toEqual(before);
  });

  it('commits what beforeCommit builds with the rows, and rolls everything back when it throws', async () => {
    const manifest = await engine.create('manual', NO_SESSIONS);
    const path = engine.store.filePath(manifest.name);
    await db.connection.query(`DELETE FROM settings WHERE key = 'plain'`);
    const before = await snapshot();
    await expect(
      engine.load(path, await engine.verify(path), {
        beforeCommit: async (tx) => {
          expect(await tx.query(`SELECT key FROM settings WHERE key = 'plain'`)).toHaveLength(1);
          throw new Error('derived state could not be built');
        },
      }),
    ).rejects.toThrow('derived state could not be built');
    expect(await snapshot()).toEqual(before);

    await engine.load(path, await engine.verify(path), {
      beforeCommit: async (tx) => {
        await tx.query(`INSERT INTO settings (key, value) VALUES ('derived', 'true')`);
      },
    });
    const keys = await db.connection.query<{ key: string }>('SELECT key FROM settings ORDER BY key');
    expect(keys.map((row) => row.key)).toEqual(['derived', 'plain', 'site']);
  });

  it('refuses a file that is not a backup', async () => {
    const manifest = await engine.create('manual', NO_SESSIONS);
    const other = join(dir, 'other.backup.gz');
    await rewriteBackup(engine.store.filePath(manifest.name), other, (line) => (line.$ === 'header' ? { ...line, format: 'zip' } : line));
    await expect(engine.verify(other)).rejects.toThrow(InvalidBackup);
  });
});
