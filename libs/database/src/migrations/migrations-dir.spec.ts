import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATION_NAME, migrationNames, readMigrations, writeMigration } from './migrations-dir';

describe('migrations folder', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'backlot-migrations-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function addMigration(name: string, sql?: string): void {
    mkdirSync(join(dir, name));
    if (sql !== undefined) writeFileSync(join(dir, name, 'migration.sql'), sql);
  }

  describe('readMigrations', () => {
    it('returns an empty list with no lockfile for a folder that does not exist', () => {
      const missing = join(dir, 'nope');

      expect(readMigrations(missing)).toEqual({
        baseDir: missing,
        lockfile: { path: 'migration_lock.toml', content: null },
        shadowDbInitScript: '',
        migrationDirectories: [],
      });
    });

    it('lists migration folders sorted by name with their SQL', () => {
      addMigration('20260102000000_second', 'ALTER TABLE a ADD b int;');
      addMigration('20260101000000_first', 'CREATE TABLE a ();');

      const list = readMigrations(dir);

      expect(migrationNames(list)).toEqual(['20260101000000_first', '20260102000000_second']);
      expect(list.migrationDirectories[0].migrationFile).toEqual({
        path: 'migration.sql',
        content: { tag: 'ok', value: 'CREATE TABLE a ();' },
      });
    });

    it('ignores files lying next to the migration folders', () => {
      addMigration('20260101000000_first', 'SELECT 1;');
      writeFileSync(join(dir, 'README.md'), '# notes');

      expect(migrationNames(readMigrations(dir))).toEqual(['20260101000000_first']);
    });

    it('reports a folder without migration.sql as an error naming the missing file', () => {
      addMigration('20260101000000_empty');

      const [migration] = readMigrations(dir).migrationDirectories;

      expect(migration.migrationFile.content).toEqual({
        tag: 'error',
        value: `${join(dir, '20260101000000_empty', 'migration.sql')} is missing`,
      });
    });

    it('reads the lockfile content', () => {
      writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');

      expect(readMigrations(dir).lockfile).toEqual({ path: 'migration_lock.toml', content: 'provider = "postgresql"\n' });
    });
  });

  describe('writeMigration', () => {
    const now = new Date('2026-11-22T09:30:05.123Z');

    it('names the folder <14-digit UTC timestamp>_<name> and writes the script into it', () => {
      const folder = writeMigration(dir, 'add_things', 'CREATE TABLE things ();', now);

      expect(folder).toBe('20261122093005_add_things');
      expect(folder).toMatch(MIGRATION_NAME);
      expect(readFileSync(join(dir, folder, 'migration.sql'), 'utf8')).toBe('CREATE TABLE things ();');
    });

    it('uses UTC whatever the local offset of the date', () => {
      expect(writeMigration(dir, 'late', '', new Date('2026-12-31T23:59:59+02:00'))).toBe('20261231215959_late');
    });

    it('creates the folder and migration_lock.toml for the postgresql provider', () => {
      const nested = join(dir, 'prisma', 'migrations');

      writeMigration(nested, 'init', 'SELECT 1;', now);

      expect(readFileSync(join(nested, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');
    });

    it('leaves an existing lockfile alone', () => {
      writeMigration(dir, 'init', 'SELECT 1;', now);
      writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n# kept\n');

      writeMigration(dir, 'next', 'SELECT 2;', new Date('2026-11-23T00:00:00Z'));

      expect(readFileSync(join(dir, 'migration_lock.toml'), 'utf8')).toBe('provider = "postgresql"\n# kept\n');
    });

    it('writes migrations that readMigrations lists back in creation order', () => {
      writeMigration(dir, 'init', 'SELECT 1;', now);
      writeMigration(dir, 'next', 'SELECT 2;', new Date('2026-11-23T00:00:00Z'));

      const list = readMigrations(dir);

      expect(migrationNames(list)).toEqual(['20261122093005_init', '20261123000000_next']);
      expect(list.lockfile.content).toContain('provider = "postgresql"');
      expect(existsSync(join(dir, '20261123000000_next', 'migration.sql'))).toBe(true);
    });
  });

  describe('MIGRATION_NAME', () => {
    it.each([
      ['20261122093000_add_things', true],
      ['2026112209300_short_stamp', false],
      ['20261122093000_Add-Things', false],
      ['20261122093000_', false],
      ['20261122093000_../escape', false],
    ])('judges %s valid: %s', (name, valid) => {
      expect(MIGRATION_NAME.test(name)).toBe(valid);
    });
  });
});
