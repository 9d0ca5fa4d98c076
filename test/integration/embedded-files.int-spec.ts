import { DatabaseConnection } from '@backlot/database';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { looseEntries } from '@backlot/testing/file-modes';

describe('embedded database files', () => {
  let dir: string;
  let umask: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'backlot-files-'));
    // A usual login shell's mask: group and others may read what is created without a mode.
    umask = process.umask(0o022);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it("are owner-only from the first start, PGlite's own files included, and stay so as the database grows", async () => {
    const dataDir = join(dir, 'data', 'pglite');
    const connection = new DatabaseConnection({ kind: 'embedded', dataDir, migrateOnStart: true, sharedBuffersMb: 8 });
    try {
      await connection.ready();
      await connection.query('CREATE TABLE notes (id serial PRIMARY KEY, body text)');
      await connection.query('INSERT INTO notes (body) SELECT repeat(md5(i::text), 40) FROM generate_series(1, 20000) AS i');
      await connection.query('CHECKPOINT');

      expect(readdirSync(dataDir).length).toBeGreaterThan(10);
      expect(looseEntries(dir)).toEqual([]);
    } finally {
      await connection.close();
    }
    expect(looseEntries(dir)).toEqual([]);
  });
});
