import { BackupEngine, type BackupManifest, InvalidBackup } from '@backlot/backup';
import { Conflict } from '@backlot/http';
import { LocalStorage, type Storage } from '@backlot/storage';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { v7 as uuidv7 } from 'uuid';
import { rewriteBackup } from '@backlot/testing/backup-files';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';

interface Seeded {
  key: string;
  bytes: Buffer;
  sha256: string;
  state: 'live' | 'pending' | 'deleting';
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** One database, its storage directory and backup directory, and an engine over them. */
interface Site {
  db: TestDatabase;
  storage: LocalStorage;
  engine: BackupEngine;
  dirs: string[];
}

async function openSite(kind: 'embedded' | 'default'): Promise<Site> {
  // An empty DATABASE_URL keeps a database embedded even when the suite runs on PostgreSQL.
  const db = await openTestDatabase(kind === 'embedded' ? { env: { DATABASE_URL: '' } } : {});
  const dirs = [mkdtempSync(join(tmpdir(), 'backlot-files-backups-')), mkdtempSync(join(tmpdir(), 'backlot-files-storage-'))];
  const storage = new LocalStorage(dirs[1]);
  const engine = new BackupEngine(db.connection, { ...db.config, backup: { ...db.config.backup, dir: dirs[0] } }, storage);
  return { db, storage, engine, dirs };
}

async function closeSite(site: Site | undefined): Promise<void> {
  await site?.db.close();
  for (const dir of site?.dirs ?? []) rmSync(dir, { recursive: true, force: true });
}

async function keysIn(storage: Storage): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list('')) keys.push(object.key);
  return keys.sort();
}

async function bytesOf(storage: Storage, key: string): Promise<Buffer> {
  return buffer(await storage.read(key));
}

function fileLines(path: string): { key: string }[] {
  return gunzipSync(readFileSync(path))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.startsWith('{"$":"file"'))
    .map((line) => JSON.parse(line) as { key: string });
}

// The source is always embedded; the target is PostgreSQL when TEST_DATABASE_URL is set, so
// that run moves the files embedded → PostgreSQL (and back), each onto another storage directory.
describe(`stored files in backups (embedded → ${TEST_DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  let source: Site;
  let target: Site | undefined;
  const collectionId = uuidv7();
  const recordId = uuidv7();
  const files: Seeded[] = [];
  let withFiles: BackupManifest;

  /**
   * The seed writes stored_files rows and their bytes directly (rows by SQL, bytes through
   * Storage), bypassing the upload route on purpose: that route is built separately, and
   * these tests are about backups of whatever it stores.
   */
  async function seed(site: Site): Promise<void> {
    await site.db.connection.query(`INSERT INTO collections (id, name, fields, rules, options) VALUES ($1, 'photos', '[]', '{}', '{}')`, [
      collectionId,
    ]);
    const specs: [string, Buffer, Seeded['state']][] = [
      // Larger than one base64 line (48 KiB) and not a multiple of 3: several lines, a short last one.
      ['big_aaaaaaaaaa.bin', randomBytes(150_001), 'live'],
      ['small_bbbbbbbbbb.txt', Buffer.from('hello, backups\n'), 'live'],
      ['zz_cccccccccc.png', randomBytes(4_000), 'live'],
      ['upload_dddddddddd.bin', randomBytes(1_000), 'pending'],
      ['old_eeeeeeeeee.bin', randomBytes(1_000), 'deleting'],
    ];
    for (const [name, bytes, state] of specs) {
      const key = `${collectionId}/${recordId}/${name}`;
      await site.storage.put(key, Readable.from([bytes]), { maxBytes: bytes.length, contentType: 'application/octet-stream' });
      files.push({ key, bytes, sha256: sha256(bytes), state });
    }
    await site.db.connection.query(`INSERT INTO records (id, collection_id, data) VALUES ($1, $2, $3)`, [
      recordId,
      collectionId,
      JSON.stringify({ photos: files.filter((f) => f.state === 'live').map((f) => ({ name: f.key.split('/')[2], sha256: f.sha256 })) }),
    ]);
    for (const file of files) {
      await site.db.connection.query(
        `INSERT INTO stored_files (key, collection_id, record_id, field, name, size, type, sha256, state)
         VALUES ($1, $2, $3, 'photos', $4, $5, 'application/octet-stream', $6, $7)`,
        [file.key, collectionId, recordId, file.key.split('/')[2], file.bytes.length, file.sha256, file.state],
      );
    }
    // A thumbnail: derived, made again on demand, so never in a backup.
    await site.storage.put(`${files[2].key}.thumbs/100x100`, Readable.from([randomBytes(50)]), { maxBytes: 50, contentType: 'image/webp' });
  }

  const live = () => files.filter((f) => f.state === 'live');
  const fresh = async () => {
    await closeSite(target);
    target = await openSite('default');
    return target;
  };

  beforeAll(async () => {
    source = await openSite('embedded');
    await seed(source);
    withFiles = await source.engine.create('manual', { includeSessions: false, includeFiles: true });
  });
  afterAll(async () => {
    await closeSite(target);
    await closeSite(source);
  });

  it('holds the bytes of every live stored file, and neither pending, deleting nor thumbnail bytes', () => {
    expect(withFiles).toMatchObject({
      formatVersion: 2,
      includesFiles: true,
      files: { count: 3, bytes: live().reduce((sum, f) => sum + f.bytes.length, 0) },
    });
    expect(fileLines(source.engine.store.filePath(withFiles.name)).map((line) => line.key)).toEqual(
      live()
        .map((f) => f.key)
        .sort(),
    );
  });

  it('restores into a fresh database and another storage directory: every byte and checksum as stored', async () => {
    const site = await fresh();
    const path = join(site.dirs[0], 'copy.backup.gz');
    writeFileSync(path, readFileSync(source.engine.store.filePath(withFiles.name)));
    const verified = await site.engine.verify(path);
    expect(verified.files).toEqual(withFiles.files);
    const restored = await site.engine.load(path, verified);
    expect(restored).toMatchObject({ filesRestored: 3, filesMissing: 0 });
    expect(await keysIn(site.storage)).toEqual(
      live()
        .map((f) => f.key)
        .sort(),
    );
    for (const file of live()) {
      const bytes = await bytesOf(site.storage, file.key);
      expect({ key: file.key, equal: bytes.equals(file.bytes), sha256: sha256(bytes) }).toEqual({
        key: file.key,
        equal: true,
        sha256: file.sha256,
      });
    }
    const rows = await site.db.connection.query<{ key: string; state: string }>('SELECT key, state FROM stored_files ORDER BY key');
    expect(rows).toHaveLength(files.length);

    // And back: a backup taken there restores onto the embedded database and yet another directory.
    const again = await site.engine.create('manual', { includeSessions: false, includeFiles: true });
    expect(again.checksums.stored_files).toBe(withFiles.checksums.stored_files);
    const back = await openSite('embedded');
    try {
      const copy = site.engine.store.filePath(again.name);
      expect(await back.engine.load(copy, await back.engine.verify(copy))).toMatchObject({ filesRestored: 3, filesMissing: 0 });
      for (const file of live()) expect(sha256(await bytesOf(back.storage, file.key))).toBe(file.sha256);
    } finally {
      await closeSite(back);
    }
  });

  it('refuses a backup whose file bytes were changed, naming the file, and leaves database and storage as they were', async () => {
    const site = await fresh();
    const original = source.engine.store.filePath(withFiles.name);
    const damaged = join(site.dirs[0], 'damaged.backup.gz');
    // The last file in key order: the restore has written the others by the time it meets it.
    const victim = live()
      .map((f) => f.key)
      .sort()
      .at(-1)!;
    await rewriteBackup(
      original,
      damaged,
      (line) => line,
      undefined,
      (key, bytes) => {
        if (key === victim) bytes[bytes.length - 1] ^= 0xff;
        return bytes;
      },
    );
    const refusedVerify = await site.engine.verify(damaged).catch((error: unknown) => error);
    expect(refusedVerify).toBeInstanceOf(InvalidBackup);
    expect((refusedVerify as Error).message).toContain(`stored file ${victim}: its bytes`);

    // Pass 2 checks again: loaded against the original's verification, it is refused for the same file.
    await site.db.connection.query(`INSERT INTO settings (key, value) VALUES ('marker', '1')`);
    const refusedLoad = await site.engine.load(damaged, await site.engine.verify(original)).catch((error: unknown) => error);
    expect(refusedLoad).toBeInstanceOf(InvalidBackup);
    expect((refusedLoad as Error).message).toContain(`stored file ${victim}`);
    expect(await site.db.connection.query(`SELECT key FROM settings WHERE key = 'marker'`)).toHaveLength(1);
    expect(await site.db.connection.query('SELECT key FROM stored_files')).toHaveLength(0);
    expect(await keysIn(site.storage)).toEqual([]);
  });

  it('leaves the files out on request: no files section, and a restore keeps the rows and counts the missing bytes', async () => {
    const without = await source.engine.create('manual', { includeSessions: false, includeFiles: false });
    expect(without).toMatchObject({ includesFiles: false, files: { count: 0, bytes: 0 } });
    const path = source.engine.store.filePath(without.name);
    expect(fileLines(path)).toEqual([]);
    expect(without.checksums.stored_files).toBe(withFiles.checksums.stored_files);

    const site = await fresh();
    const restored = await site.engine.load(path, await site.engine.verify(path));
    expect(restored).toMatchObject({ filesRestored: 0, filesMissing: 3 });
    expect(await site.db.connection.query(`SELECT key FROM stored_files WHERE state = 'live'`)).toHaveLength(3);
    expect(await keysIn(site.storage)).toEqual([]);

    // Where the bytes are still in storage (as on the instance that made it), none is missing.
    const other = await openSite('default');
    try {
      const onSource = new BackupEngine(
        other.db.connection,
        { ...other.db.config, backup: { ...other.db.config.backup, dir: other.dirs[0] } },
        source.storage,
      );
      expect(await onSource.load(path, await onSource.verify(path))).toMatchObject({ filesMissing: 0 });
    } finally {
      await closeSite(other);
    }
  });

  it('still restores a format 1 backup (from before files), whose manifest says nothing of files', async () => {
    const without = await source.engine.create('manual', { includeSessions: false, includeFiles: false });
    const store = source.engine.store;
    const older = `${without.name.slice(0, -8)}0000000f`;
    await rewriteBackup(store.filePath(without.name), store.filePath(older), (line) => {
      if (line.$ === 'header') {
        const { includesFiles: _, ...header } = line;
        return { ...header, formatVersion: 1 };
      }
      if (line.$ === 'trailer') return { ...line, manifest: { counts: {}, checksums: {} } };
      return line;
    });
    const bytes = readFileSync(store.filePath(older));
    const { includesFiles: _, files: __, ...manifest } = without;
    writeFileSync(
      join(store.dir, `${older}.json`),
      JSON.stringify({ ...manifest, name: older, formatVersion: 1, sha256: sha256(bytes), size: bytes.length }),
    );
    expect(await store.get(older)).toMatchObject({ formatVersion: 1, includesFiles: false, files: { count: 0, bytes: 0 } });

    const site = await fresh();
    const verified = await source.engine.verifyStored(older);
    expect(verified.header).not.toHaveProperty('includesFiles');
    const restored = await site.engine.load(store.filePath(older), verified);
    expect(restored).toMatchObject({ filesRestored: 0, filesMissing: 3 });
    expect(await site.db.connection.query('SELECT key FROM stored_files')).toHaveLength(files.length);
  });

  it('fails a backup naming the file whose stored bytes differ from its checksum or are gone, and writes nothing', async () => {
    const [changed, gone] = live();
    const before = (await source.engine.store.list()).map((m) => m.name);
    const keep = await bytesOf(source.storage, changed.key);
    await source.storage.put(changed.key, Readable.from([Buffer.from('not the same bytes')]), { maxBytes: 100, contentType: 'text/plain' });
    try {
      const refused = await source.engine.create('manual', { includeSessions: false, includeFiles: true }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(Conflict);
      expect((refused as Error).message).toMatch(new RegExp(`^Stored file ${changed.key} cannot be backed up: its stored bytes .* differ`));
    } finally {
      await source.storage.put(changed.key, Readable.from([keep]), { maxBytes: keep.length, contentType: 'application/octet-stream' });
    }
    const keepGone = await bytesOf(source.storage, gone.key);
    await source.storage.delete([gone.key]);
    try {
      const refused = await source.engine.create('manual', { includeSessions: false, includeFiles: true }).catch((error: unknown) => error);
      expect((refused as Error).message).toBe(
        `Stored file ${gone.key} cannot be backed up: its bytes are missing from storage. No backup was written; a backup without files leaves all file bytes out.`,
      );
    } finally {
      await source.storage.put(gone.key, Readable.from([keepGone]), { maxBytes: keepGone.length, contentType: 'application/octet-stream' });
    }
    expect((await source.engine.store.list()).map((m) => m.name)).toEqual(before);
    expect(readdirSync(source.dirs[0]).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});
