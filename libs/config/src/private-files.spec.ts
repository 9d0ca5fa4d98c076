import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { looseEntries, loosen } from '@backlot/testing/file-modes';
import type { AppConfig } from './config.types';
import { PrivateFilesError, privateTrees, secureDataDirs } from './private-files';

const AS_ROOT = process.getuid?.() === 0;

describe('private data directories', () => {
  let dir: string;
  let data: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'backlot-private-'));
    data = join(dir, 'data');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const embedded = (dataDir: string): AppConfig['database'] => ({ kind: 'embedded', dataDir, migrateOnStart: true, sharedBuffersMb: 8 });
  const config = (backups = join(data, 'backups'), database = embedded(join(data, 'pglite'))) => ({
    dataDir: data,
    database,
    backup: { dir: backups } as AppConfig['backup'],
    storage: { localDir: join(data, 'storage') } as AppConfig['storage'],
    files: { tusDir: join(data, 'uploads') },
  });

  /** What Backlot writes into DATA_DIR. */
  function backlotData(): void {
    mkdirSync(join(data, 'pglite', 'base', '5'), { recursive: true });
    mkdirSync(join(data, 'tmp', 'import-abc'), { recursive: true });
    mkdirSync(join(data, 'backups'));
    writeFileSync(join(data, 'secrets.json'), '{}');
    writeFileSync(join(data, 'pglite', 'base', '5', '16384'), 'rows');
    writeFileSync(join(data, 'pglite.lock'), '1');
    writeFileSync(join(data, 'tmp', 'import-abc', 'records.ndjson'), '[1,{}]\n');
    writeFileSync(join(data, 'backups', 'backlot-20261122T101500Z-manual-1a2b3c4d.json'), '{}');
    writeFileSync(join(data, 'backups', '.backlot-20261122T101500Z-manual-1a2b3c4d.0a1b2c3d.partial'), '');
  }

  it('makes every directory 0700 and every file 0600 of what Backlot wrote, and counts what it changed', () => {
    backlotData();
    loosen(data);
    chmodSync(join(data, 'secrets.json'), 0o4755);

    expect(secureDataDirs(config())).toBe(13);

    expect(looseEntries(data)).toEqual([]);
    expect(secureDataDirs(config())).toBe(0);
  });

  it('repairs BACKUP_DIR and the embedded database where they lie outside DATA_DIR', () => {
    const backups = join(dir, 'elsewhere', 'backups');
    const pglite = join(dir, 'db', 'pglite');
    mkdirSync(backups, { recursive: true });
    mkdirSync(join(pglite, 'global'), { recursive: true });
    writeFileSync(join(backups, 'backlot-20261122T101500Z-manual-1a2b3c4d.backup.gz'), '');
    writeFileSync(join(pglite, 'global', 'pg_control'), '');
    writeFileSync(`${pglite}.lock`, '1');
    for (const path of [backups, pglite, `${pglite}.lock`]) loosen(path);

    secureDataDirs(config(backups, embedded(pglite)));

    expect([...looseEntries(backups), ...looseEntries(pglite), ...looseEntries(`${pglite}.lock`)]).toEqual([]);
  });

  it('leaves alone what is not Backlot’s in DATA_DIR and BACKUP_DIR (DATA_DIR=. must not touch the project)', () => {
    backlotData();
    mkdirSync(join(data, 'node_modules', '.bin'), { recursive: true, mode: 0o755 });
    writeFileSync(join(data, 'node_modules', '.bin', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(data, 'backups', 'notes.txt'), 'mine', { mode: 0o644 });
    chmodSync(join(data, 'node_modules', '.bin', 'tool'), 0o755);
    chmodSync(join(data, 'backups', 'notes.txt'), 0o644);

    secureDataDirs(config());

    expect(statSync(join(data, 'node_modules', '.bin', 'tool')).mode & 0o777).toBe(0o755);
    expect(statSync(join(data, 'backups', 'notes.txt')).mode & 0o777).toBe(0o644);
    expect(statSync(join(data, 'secrets.json')).mode & 0o777).toBe(0o600);
  });

  it('leaves links inside, and what they point to, alone; a BACKUP_DIR that is a link is followed', () => {
    const outside = join(dir, 'outside.txt');
    const target = join(dir, 'real-backups');
    mkdirSync(join(data, 'tmp'), { recursive: true });
    mkdirSync(target);
    writeFileSync(outside, 'not ours');
    chmodSync(outside, 0o644);
    chmodSync(target, 0o755);
    symlinkSync(outside, join(data, 'tmp', 'link'));
    symlinkSync(target, join(dir, 'backups'));

    secureDataDirs(config(join(dir, 'backups')));

    expect(statSync(outside).mode & 0o777).toBe(0o644);
    expect(statSync(target).mode & 0o777).toBe(0o700);
  });

  it('skips what does not exist yet', () => {
    expect(secureDataDirs(config())).toBe(0);
  });

  it('refuses a directory shared with other users (sticky bit, like /tmp) and changes nothing there', () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);

    expect(() => secureDataDirs(config(shared))).toThrow(`${shared} is a directory shared with other users (sticky bit)`);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
  });

  (AS_ROOT ? it : it.skip)('refuses, naming the path, a file that belongs to another user', () => {
    backlotData();
    const foreign = join(data, 'pglite', 'base', '5', '16384');
    chownSync(foreign, 65534, 65534);

    expect(() => secureDataDirs(config())).toThrow(PrivateFilesError);
    expect(() => secureDataDirs(config())).toThrow(`${foreign} belongs to user 65534, but Backlot runs as user 0`);
  });

  it('lists DATA_DIR, the local file storage, BACKUP_DIR, and a file-backed embedded database with its lock', () => {
    expect(privateTrees(config()).map((tree) => tree.root)).toEqual([
      data,
      join(data, 'storage'),
      join(data, 'uploads'),
      join(data, 'backups'),
      join(data, 'pglite'),
      join(data, 'pglite.lock'),
    ]);
    expect(privateTrees(config(join(dir, 'b'), embedded('memory://'))).map((tree) => tree.root)).toEqual([
      data,
      join(data, 'storage'),
      join(data, 'uploads'),
      join(dir, 'b'),
    ]);
  });
});
