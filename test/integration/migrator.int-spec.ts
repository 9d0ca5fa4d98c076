import { createMigration, DatabaseConnection, Migrator } from '@backlot/database';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';

const NEW_MODEL = `
model Gadget {
  id   Int    @id @default(autoincrement())
  name String @unique

  @@map("gadgets")
}
`;

describe(`migrations on ${TEST_DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let db: TestDatabase;
  let workDir: string;
  let migrationsDir: string;
  let schemaPath: string;
  let migrator: Migrator;

  beforeAll(async () => {
    db = await openTestDatabase({ empty: true });
    workDir = mkdtempSync(join(tmpdir(), 'backlot-migrations-'));
    migrationsDir = join(workDir, 'migrations');
    schemaPath = join(workDir, 'schema.prisma');
    cpSync(db.config.migrationsDir, migrationsDir, { recursive: true });
    cpSync(db.config.schemaPath, schemaPath);
    migrator = new Migrator(db.connection, migrationsDir, schemaPath);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const committed = () =>
    readdirSync(migrationsDir)
      .filter((name) => /^\d{14}_/.test(name))
      .sort();

  it('reports every committed migration as pending on an empty database', async () => {
    const status = await migrator.status();
    expect(status).toEqual({ applied: [], pending: committed(), failed: [], unknown: [], schemaDrift: false });
  });

  it('applies pending migrations once and records them like prisma migrate deploy', async () => {
    expect(await migrator.apply()).toEqual(committed());
    expect(await migrator.apply()).toEqual([]);

    const rows = await db.connection.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((row) => row.migration_name)).toEqual(committed());
    for (const row of rows) {
      const sql = readFileSync(join(migrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).not.toBeNull();
    }
    expect(await migrator.history()).toMatchObject({ pending: [], applied: committed() });
  });

  // Each schema diff replays every migration into a scratch PGlite: tens of seconds on a busy
  // 2-core machine, so this suite diffs four times in all and reads history() elsewhere.
  it('detects schema drift, writes a migration for it, and applies it', async () => {
    writeFileSync(schemaPath, readFileSync(schemaPath, 'utf8') + NEW_MODEL);
    expect(await migrator.schemaDrift()).toBe(true);

    const created = await createMigration(migrationsDir, schemaPath, 'add_gadgets', new Date('2030-01-02T03:04:05Z'));
    expect(created?.folder).toBe('20300102030405_add_gadgets');
    expect(created?.script).toContain('CREATE TABLE "gadgets"');
    expect(readFileSync(join(migrationsDir, '20300102030405_add_gadgets', 'migration.sql'), 'utf8')).toBe(created?.script);

    // The drift is now in a migration: there is nothing left to write.
    expect(await createMigration(migrationsDir, schemaPath, 'nothing_new')).toBeUndefined();
    expect(await migrator.history()).toMatchObject({ pending: ['20300102030405_add_gadgets'] });
    expect(await migrator.apply()).toEqual(['20300102030405_add_gadgets']);
    await db.connection.query("INSERT INTO gadgets (name) VALUES ('spanner')");
    expect(await db.connection.query('SELECT name FROM gadgets')).toEqual([{ name: 'spanner' }]);
  }, 180_000);

  it('reports migrations the database has but the folder lacks', async () => {
    rmSync(join(migrationsDir, '20300102030405_add_gadgets'), { recursive: true });
    expect((await migrator.history()).unknown).toEqual(['20300102030405_add_gadgets']);
  });

  it('refuses migration names that are not lower-case words', async () => {
    await expect(createMigration(migrationsDir, schemaPath, 'Drop Table;')).rejects.toThrow(/lower-case letters/);
  });
});

(TEST_DATABASE_URL ? describe : describe.skip)('concurrent migration on PostgreSQL', () => {
  it('applies each migration once when two instances start together', async () => {
    const db = await openTestDatabase({ empty: true });
    try {
      // Same database, two connections: as two API instances starting with MIGRATE_ON_START.
      const other = new DatabaseConnection({ ...db.config.database });
      try {
        const results = await Promise.all([
          new Migrator(db.connection, db.config.migrationsDir, db.config.schemaPath).apply(),
          new Migrator(other, db.config.migrationsDir, db.config.schemaPath).apply(),
        ]);
        expect(results.flat().sort()).toEqual(
          readdirSync(db.config.migrationsDir)
            .filter((n) => /^\d{14}_/.test(n))
            .sort(),
        );
        // No connection may keep an advisory lock once migrating is done: a lock left on
        // an idle pool client made the next instance wait for the pool's idle timeout.
        const held = await db.connection.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM pg_locks l JOIN pg_database d ON d.oid = l.database
            WHERE l.locktype = 'advisory' AND d.datname = current_database()`,
        );
        expect(held).toEqual([{ count: 0 }]);
      } finally {
        await other.close();
      }
    } finally {
      await db.close();
    }
  });
});
