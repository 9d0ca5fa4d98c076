import { Migrator } from '@backlot/database';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { type CollectionRow, CollectionSchema } from '../../apps/api/src/data/collections/collection-schema';
import type { FieldDefinition } from '../../apps/api/src/data/collections/field-definition';
import { openTestDatabase, type TestDatabase } from '@backlot/testing/test-database';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';

const MIGRATION = /^\d{14}_hidden_fields_not_searchable$/;

// As collections could be defined before hidden + searchable was refused.
const LEAKY_FIELDS: FieldDefinition[] = [
  { name: 'title', type: 'text', searchable: true },
  { name: 'ssn', type: 'text', hidden: true, searchable: true, unique: true },
  { name: 'note', type: 'text', searchable: true },
  { name: 'internal', type: 'text', hidden: true },
];
const CLEAN_FIELDS: FieldDefinition[] = [
  { name: 'title', type: 'text', searchable: true },
  { name: 'code', type: 'text', hidden: true },
];
const ONLY_HIDDEN_SEARCHABLE: FieldDefinition[] = [
  { name: 'label', type: 'text' },
  { name: 'secret', type: 'text', hidden: true, searchable: true },
];

describe(`the hidden_fields_not_searchable migration on ${TEST_DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite'}`, () => {
  let db: TestDatabase;
  let workDir: string;

  beforeAll(async () => {
    db = await openTestDatabase({ empty: true });
    workDir = mkdtempSync(join(tmpdir(), 'backlot-hidden-search-'));
  });
  afterAll(async () => {
    await db?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** A collection and its records stored as the code before the migration stored them (hidden values in the vector). */
  async function seed(name: string, fields: FieldDefinition[], records: Record<string, unknown>[]): Promise<string> {
    const id = uuidv7();
    const rules = { list: '', view: '', create: '', update: '', delete: '' };
    const options = { softDelete: true, trashRetentionDays: 30, onUserDeleted: 'delete', maxRecordBytes: 262144 };
    await db.connection.query(
      `INSERT INTO collections (id, name, fields, rules, options, version) VALUES ($1::uuid, $2, $3::jsonb, $4::jsonb, $5::jsonb, 3)`,
      [id, name, JSON.stringify(fields), JSON.stringify(rules), JSON.stringify(options)],
    );
    const oldVector = `to_tsvector('simple', ${fields
      .filter((field) => field.searchable)
      .map((field) => `coalesce($3::jsonb->>'${field.name}', '')`)
      .join(" || ' ' || ")})`;
    for (const [index, data] of records.entries())
      await db.connection.query(
        `INSERT INTO records (id, collection_id, data, search, deleted_at)
         VALUES ($1::uuid, $2::uuid, $3::jsonb, ${oldVector}, ${index === records.length - 1 ? 'now()' : 'NULL'})`,
        [uuidv7(), id, JSON.stringify(data)],
      );
    return id;
  }

  const matches = async (collectionId: string, words: string) =>
    (
      await db.connection.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM records WHERE collection_id = $1::uuid AND search @@ websearch_to_tsquery('simple', $2)`,
        [collectionId, words],
      )
    )[0].count;

  const collection = async (id: string) =>
    (
      await db.connection.query<{ fields: FieldDefinition[]; version: number }>(
        'SELECT fields, version FROM collections WHERE id = $1::uuid',
        [id],
      )
    )[0];

  it('takes searchable off hidden fields, records a new version, and rebuilds the vectors as the app builds them', async () => {
    const migrationsDir = join(workDir, 'migrations');
    cpSync(db.config.migrationsDir, migrationsDir, { recursive: true });
    const names = readdirSync(migrationsDir)
      .filter((name) => /^\d{14}_/.test(name))
      .sort();
    const target = names.findIndex((name) => MIGRATION.test(name));
    expect(target).toBeGreaterThan(0);
    for (const later of names.slice(target)) rmSync(join(migrationsDir, later), { recursive: true });
    const migrator = new Migrator(db.connection, migrationsDir, db.config.schemaPath);
    expect(await migrator.apply()).toEqual(names.slice(0, target));

    const leaky = await seed('people', LEAKY_FIELDS, [
      { title: 'alpha', ssn: 'secret111', note: 'first', internal: 'x' },
      { title: 'beta', ssn: 'secret222' },
      { title: 'gamma', ssn: 'secret333', note: 'trashed' },
    ]);
    const onlyHidden = await seed('vault', ONLY_HIDDEN_SEARCHABLE, [{ label: 'l', secret: 'secret444' }, { secret: 'secret555' }]);
    const clean = await seed('clean', CLEAN_FIELDS, [{ title: 'delta', code: 'c1' }, { title: 'epsilon' }]);
    expect(await matches(leaky, 'secret111')).toBe(1);
    expect(await matches(onlyHidden, 'secret444')).toBe(1);
    const cleanBefore = await db.connection.query('SELECT id, search::text FROM records WHERE collection_id = $1::uuid ORDER BY id', [
      clean,
    ]);

    for (const later of names.slice(target)) cpSync(join(db.config.migrationsDir, later), join(migrationsDir, later), { recursive: true });
    expect(await migrator.apply()).toEqual(names.slice(target));

    const people = await collection(leaky);
    expect(people.fields).toEqual([
      LEAKY_FIELDS[0],
      { name: 'ssn', type: 'text', hidden: true, unique: true },
      LEAKY_FIELDS[2],
      LEAKY_FIELDS[3],
    ]);
    expect(people.version).toBe(4);
    expect((await collection(onlyHidden)).fields).toEqual([ONLY_HIDDEN_SEARCHABLE[0], { name: 'secret', type: 'text', hidden: true }]);
    const versions = await db.connection.query<{ collection_id: string; version: number; fields: FieldDefinition[] }>(
      'SELECT collection_id::text, version, fields FROM collection_versions ORDER BY collection_id',
    );
    expect(versions).toEqual(
      expect.arrayContaining([
        { collection_id: leaky, version: 4, fields: people.fields },
        expect.objectContaining({ collection_id: onlyHidden, version: 4 }),
      ]),
    );
    expect(versions).toHaveLength(2);

    for (const word of ['secret111', 'secret222', 'secret333']) expect(await matches(leaky, word)).toBe(0);
    expect(await matches(leaky, 'alpha first')).toBe(1);
    expect(await matches(leaky, 'trashed')).toBe(1);
    // Every vector, trashed records' too, is what the app now writes for the fixed definition.
    const schema = new CollectionSchema({ id: leaky, fields: people.fields, options: {} } as unknown as CollectionRow);
    const [{ differing }] = await db.connection.query<{ differing: number }>(
      `SELECT count(*)::int AS differing FROM records WHERE collection_id = $1::uuid AND search IS DISTINCT FROM ${schema.searchVector('data')}`,
      [leaky],
    );
    expect(differing).toBe(0);
    // No searchable field left: no vector, as the app stores it.
    expect(
      await db.connection.query('SELECT search FROM records WHERE collection_id = $1::uuid AND search IS NOT NULL', [onlyHidden]),
    ).toEqual([]);

    expect(await collection(clean)).toEqual({ fields: CLEAN_FIELDS, version: 3 });
    expect(await db.connection.query('SELECT id, search::text FROM records WHERE collection_id = $1::uuid ORDER BY id', [clean])).toEqual(
      cleanBefore,
    );
  });
});
